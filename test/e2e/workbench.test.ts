// The user's path through a real VS Code workbench (code-server in Debian
// Chromium): the Images view, Compare Images from the command palette, the
// Comparison view, and VS Code's own diff editor on the file that explains
// the difference. With CC_E2E_VSIX=path it runs against the packaged .vsix
// installed the way a user installs it, instead of the development folder.
import { strict as assert } from 'node:assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { installExtension, launchChromium, openWorkbench, pickQuickItem, runCommand, screenshot, startCodeServer, type CodeServer } from '../harness/codeServer';

const ROOT = resolve(__dirname, '../..');
const VSIX = process.env.CC_E2E_VSIX;
const MODE = VSIX ? 'vsix' : 'dev';

describe(`The workbench, as a user drives it (${VSIX ? 'installed .vsix' : 'development folder'})`, function () {
  this.timeout(600_000);
  let server: CodeServer;
  let browser: Browser;
  let page: Page;

  before(async () => {
    let extensionsDir: string | undefined;
    if (VSIX) {
      extensionsDir = mkdtempSync(join(tmpdir(), 'cc-e2e-exts-'));
      await installExtension(VSIX, extensionsDir);
    }
    server = await startCodeServer({ extensionsDir, settings: { 'workbench.colorTheme': 'Default Dark Modern', 'window.commandCenter': false } });
    browser = await launchChromium();
    const folder = mkdtempSync(join(tmpdir(), 'cc-e2e-ws-'));
    page = await openWorkbench(browser, server, { folder, viewport: { width: 1440, height: 900 }, ...(VSIX ? {} : { extensionDevelopmentPath: ROOT }) });
  });

  after(async () => {
    await page?.goto('about:blank').catch(() => undefined);
    await browser?.close();
    await server?.stop();
  });

  const pane = (title: string): Locator => page.locator('.part.sidebar .pane').filter({ has: page.locator('.pane-header', { hasText: title }) });
  /** A row of one of the extension's trees, by the text it shows. */
  const imagesRow = (text: string | RegExp): Locator => pane('Images').locator('.monaco-list-row').filter({ hasText: text }).first();
  const row = (text: string | RegExp): Locator => pane('Comparison').locator('.monaco-list-row').filter({ hasText: text }).first();

  it('shows the Images view in its own activity-bar container, layers numbered with their instructions', async () => {
    await page.locator('.part.activitybar .action-item a[aria-label^="Container Compare"]').click();
    await imagesRow('cc-example/php-fcgid').click();
    await imagesRow(/^laptop/).click();
    // Expanding an image indexes it (exports it once): its layers then show with their Dockerfile lines.
    await imagesRow('05 · RUN sh /usr/local/bin/install-fcgid.sh').waitFor({ timeout: 120_000 });
    await imagesRow('Filesystem').waitFor();
    await screenshot(page, `${MODE}-images-view`);
  });

  it('Compare Images from the command palette lists the layers that differ', async () => {
    // Room for the comparison: fold the Images and Findings views, as one does on a small screen.
    await pane('Images').locator('.pane-header').click();
    await pane('Findings').locator('.pane-header').click();
    await runCommand(page, 'Container Compare: Compare Images');
    await pickQuickItem(page, /^Compare Images: A/, 'cc-example/php-fcgid:laptop');
    await pickQuickItem(page, /^Compare Images: B/, 'cc-example/php-fcgid:ci');
    await pane('Comparison').getByText('4 of 7 layers differ · 42 files differ (11 modified, 31 removed) · 3 config differences').waitFor({ timeout: 120_000 });
    for (const text of ['00–02 · 3 shared layers', '03 · COPY → /etc/apache2/conf-available/php-fcgid.conf', '04 · COPY → /usr/local/bin/install-fcgid.sh', '05 · RUN sh /usr/local/bin/install-fcgid.sh', '06 · COPY → /var/www/html/index.php']) {
      await row(text).waitFor();
    }
    assert.match(await row('05 · RUN sh').innerText(), /72 files differ/);
    await row(/^Removed \(only in A\)/).waitFor();
    await screenshot(page, `${MODE}-comparison`);
  });

  it('Open Changes on the file that explains the difference shows it on A\'s side only', async () => {
    await row(/^Removed \(only in A\)/).click();
    await row(/fcgid\.load.*\/etc\/apache2\/mods-available/).click();
    const diff = page.locator('.monaco-diff-editor');
    await diff.waitFor();
    const original = diff.locator('.editor.original .view-lines');
    await original.getByText('LoadModule fcgid_module /usr/lib/apache2/modules/mod_fcgid.so').waitFor({ timeout: 30_000 });
    assert.equal((await diff.locator('.editor.modified .view-lines').innerText()).trim(), '');
    const tab = page.locator('.tabs-container .tab.active');
    assert.match(await tab.innerText(), /fcgid\.load \(laptop ↔ ci\) · only in laptop/);
    await screenshot(page, `${MODE}-diff-fcgid-load`);
  });

  it('a line-endings change says so in the diff title, where the text alone looks the same', async () => {
    await row(/^Line endings and mode\/owner/).click();
    await row(/^install-fcgid\.sh\s*\/usr\/local\/bin/).click();
    const tab = page.locator('.tabs-container .tab.active');
    await tab.filter({ hasText: 'install-fcgid.sh' }).waitFor();
    assert.match(await tab.innerText(), /line endings LF → CRLF, mode 0644 → 0755/);
    const diff = page.locator('.monaco-diff-editor');
    await diff.locator('.editor.original .view-lines').getByText('apt-get update').waitFor();
    await diff.locator('.editor.modified .view-lines').getByText('apt-get update').waitFor();
    await screenshot(page, `${MODE}-diff-line-endings`);
  });
});
