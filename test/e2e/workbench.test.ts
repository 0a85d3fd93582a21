// The user's path through a real VS Code workbench (code-server in Debian
// Chromium), on a machine with thirty other repositories: the Images view
// (reached with Go to Image and the keyboard, never by hoping a row is on
// screen), Compare Images from the command palette, the Comparison Report
// editor and its evidence links, the Comparison view, and VS Code's own
// diff editor on the file that explains the difference. With
// CC_E2E_VSIX=path it runs against the packaged .vsix installed the way a
// user installs it, instead of the development folder.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, FrameLocator, Locator, Page } from 'playwright-core';
import { installExtension, launchChromium, mediaShot, openWorkbench, pickQuickItem, runCommand, screenshot, startCodeServer, type CodeServer } from '../harness/codeServer';
import { addNoise, type Noise } from '../helpers/noise';

const ROOT = resolve(__dirname, '../..');
const VSIX = process.env.CC_E2E_VSIX;
const MODE = VSIX ? 'vsix' : 'dev';

describe(`The workbench, as a user drives it (${VSIX ? 'installed .vsix' : 'development folder'})`, function () {
  this.timeout(600_000);
  let server: CodeServer;
  let browser: Browser;
  let page: Page;
  let noise: Noise;

  /** Made for this suite (an extensions folder for the .vsix, a workspace folder), removed after it. */
  const made: string[] = [];

  before(async () => {
    noise = addNoise();
    let extensionsDir: string | undefined;
    if (VSIX) {
      extensionsDir = mkdtempSync(join(tmpdir(), 'cc-e2e-exts-'));
      made.push(extensionsDir);
      await installExtension(VSIX, extensionsDir);
    }
    server = await startCodeServer({ extensionsDir, settings: { 'workbench.colorTheme': 'Default Dark Modern', 'window.commandCenter': false } });
    browser = await launchChromium();
    const folder = mkdtempSync(join(tmpdir(), 'cc-e2e-ws-'));
    made.push(folder);
    page = await openWorkbench(browser, server, { folder, viewport: { width: 1440, height: 900 }, ...(VSIX ? {} : { extensionDevelopmentPath: ROOT }) });
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && page) await screenshot(page, `${MODE}-failed-${this.currentTest.title.slice(0, 40).replace(/\W+/g, '-')}`);
  });

  after(async () => {
    await page?.goto('about:blank').catch(() => undefined);
    await browser?.close();
    await server?.stop();
    noise?.remove();
    for (const d of made) rmSync(d, { recursive: true, force: true });
  });

  const pane = (title: string): Locator => page.locator('.part.sidebar .pane').filter({ has: page.locator('.pane-header', { hasText: title }) });
  /** A row of one of the extension's trees, by the text it shows. */
  const imagesRow = (text: string | RegExp): Locator => pane('Images').locator('.monaco-list-row').filter({ hasText: text }).first();
  const row = (text: string | RegExp): Locator => pane('Comparison').locator('.monaco-list-row').filter({ hasText: text }).first();
  /** The row that has the keyboard focus in a view. */
  const focused = (view: string): Locator => pane(view).locator('.monaco-list-row.focused');
  /**
   * Moves the keyboard focus in a view to the row whose text matches, the
   * way a user walks a tree: a click on its first row, then Down until it
   * is there (the list scrolls with the focus, whatever is rendered).
   */
  async function walkTo(view: string, text: RegExp, max = 80, from: 'top' | 'here' = 'top'): Promise<void> {
    const f = focused(view);
    if (from === 'top') {
      await runCommand(page, `Container Compare: Focus on ${view} View`);
      await page.keyboard.press('Home');
    }
    for (let i = 0; i < max; i++) {
      if (text.test((await f.innerText().catch(() => '')).trim())) return;
      await page.keyboard.press('ArrowDown');
    }
    throw new Error(`no row ${text} in the ${view} view within ${max} rows`);
  }

  /** Right on the focused row; its children come below it (maybe under the fold: Down reaches them). */
  async function expandFocused(view: string): Promise<void> {
    await page.keyboard.press('ArrowRight');
    await pane(view).locator('.monaco-list-row.focused[aria-expanded="true"]').waitFor();
    // The view asks for the children after it expanded the row: let it have them before walking down.
    await page.waitForTimeout(300);
  }

  /** The report editor's page, inside VS Code's webview frames (the one webview on screen). */
  const report = (): FrameLocator => page.frameLocator('iframe.webview.ready >> visible=true').frameLocator('iframe#active-frame');
  const activeTab = (): Locator => page.locator('.tabs-container .tab.active');

  it('reaches an image among thirty other repositories with Go to Image, and expands it by keyboard into numbered layers', async () => {
    await page.locator('.part.activitybar .action-item a[aria-label^="Container Compare"]').click();
    await imagesRow(/^aa-noise-/).waitFor();
    // Before any comparison only the Images view is there: the sidebar is its.
    assert.equal(await pane('Comparison').count(), 0, 'an empty Comparison view is shown');
    assert.equal(await pane('Findings').count(), 0, 'an empty Findings view is shown');
    // Thirty repositories sort before the fixtures: the row is not rendered, a user has to go to it.
    assert.equal(await imagesRow('cc-example/php-fcgid').count(), 0, 'the fixture row is on screen anyway: this test would prove nothing');
    await runCommand(page, 'Container Compare: Go to Image…');
    await pickQuickItem(page, /^Go to Image/, 'cc-example/php-fcgid:laptop');
    await focused('Images').filter({ hasText: /^laptop/ }).waitFor();
    // Right expands it (indexing it once, with a progress that counts layers and bytes), Down walks its layers.
    await page.keyboard.press('ArrowRight');
    await pane('Images').locator('.monaco-list-row.focused[aria-expanded="true"]').waitFor();
    await imagesRow(/^00 · /).waitFor({ state: 'attached', timeout: 180_000 });
    for (let i = 0; i < 6; i++) await page.keyboard.press('ArrowDown');
    await focused('Images').filter({ hasText: '05 · RUN sh /usr/local/bin/install-fcgid.sh' }).waitFor();
    for (let i = 0; i < 2; i++) await page.keyboard.press('ArrowDown');
    await focused('Images').filter({ hasText: /^Filesystem/ }).waitFor();
    await screenshot(page, `${MODE}-images-view`);
  });

  it('Compare Images from the command palette opens the report with both references and every finding in full', async () => {
    await runCommand(page, 'Container Compare: Compare Images');
    await pickQuickItem(page, /^Compare Images: A/, 'cc-example/php-fcgid:laptop');
    await pickQuickItem(page, /^Compare Images: B/, 'cc-example/php-fcgid:ci');
    await pane('Comparison').getByText('4 of 7 layers differ · 42 files differ (11 modified, 31 removed)').waitFor({ timeout: 180_000 });
    // Room for the comparison: fold the Images view (its header shows now that it has company), as one does on a small screen.
    await pane('Images').locator('.pane-header[aria-expanded="true"]').click();
    // The view names the repository, not only the tags.
    assert.match(await pane('Comparison').locator('.pane-header').innerText(), /php-fcgid: laptop ↔ ci/);
    await activeTab().filter({ hasText: 'Report: php-fcgid: laptop ↔ ci' }).waitFor();
    const r = report();
    await r.locator('#sides .ref', { hasText: 'cc-example/php-fcgid:laptop' }).waitFor();
    await r.locator('#sides .ref', { hasText: 'cc-example/php-fcgid:ci' }).waitFor();
    const first = r.locator('#findings > li').first();
    assert.equal(await first.locator('.code').textContent(), 'CC102');
    assert.match((await first.locator('.finding-title').textContent()) ?? '', /^install-fcgid\.sh has CRLF line endings in ci; `RUN sh \/usr\/local\/bin\/install-fcgid\.sh` then produced a different layer/);
    assert.match((await first.locator('.finding-detail').textContent()) ?? '', /\\r/);
    // No engine words anywhere on the page.
    assert.doesNotMatch((await r.locator('body').innerText()) ?? '', /crlfScript|sameStepDifferentResult|score \d|History\[/);
    if (MODE === 'dev') await mediaShot(page, 'screenshot-report-dark');
    await screenshot(page, `${MODE}-report-dark`);
    for (const text of ['00–02 · 3 shared layers', '03 · COPY → /etc/apache2/conf-available/php-fcgid.conf', '04 · COPY → /usr/local/bin/install-fcgid.sh', '05 · RUN sh /usr/local/bin/install-fcgid.sh', '06 · COPY → /var/www/html/index.php']) {
      await row(text).waitFor();
    }
    assert.match(await row('05 · RUN sh').innerText(), /39 files differ/);
  });

  it('every evidence link of the report lands: the file as a diff, the layer pair, the package row', async () => {
    const first = report().locator('#findings > li').first();
    await first.locator('ul.evidence a', { hasText: /^install-fcgid\.sh$/ }).click();
    await activeTab().filter({ hasText: /install-fcgid\.sh \(laptop ↔ ci\) · line endings LF → CRLF, mode 0644 → 0755/ }).waitFor();
    await page.locator('.monaco-diff-editor .editor.modified .view-lines').getByText('apt-get update').waitFor();
    // Back to the report: it comes back where it was.
    await page.locator('.tabs-container .tab', { hasText: 'Report:' }).click();
    await report().locator('#findings > li').first().locator('ul.evidence a', { hasText: /^Layer 05 · RUN sh/ }).click();
    await activeTab().filter({ hasText: /^Layer 05: laptop ↔ ci/ }).waitFor();
    await page.locator('.tabs-container .tab', { hasText: 'Report:' }).click();
    // The first finding cites forty things: its first few show, the rest behind "Show N more".
    const cause = report().locator('#findings > li').first();
    assert.equal(await cause.locator('ul.evidence a[title$="Debian package (dpkg)"]').isVisible(), false);
    await cause.locator('ul.evidence a.action', { hasText: /^Show \d+ more$/ }).click();
    await cause.locator('ul.evidence a[title$="Debian package (dpkg)"]').click();
    await report().locator('li.selected[data-anchor="pkg:dpkg:libapache2-mod-fcgid"]').waitFor();
    await screenshot(page, `${MODE}-report-package`);
  });

  /** Preferences: Color Theme, then the theme by name (the picker previews as it goes, Enter keeps it). */
  async function colorTheme(name: string): Promise<void> {
    await runCommand(page, 'Preferences: Color Theme');
    const widget = page.locator('.quick-input-widget');
    await widget.locator('input').fill(name);
    await widget.locator('.quick-input-list .monaco-list-row').first().filter({ hasText: name }).waitFor();
    await page.keyboard.press('Enter');
    await widget.waitFor({ state: 'hidden' });
  }

  it('the report follows the light theme too', async () => {
    await colorTheme('Light Modern');
    await page.locator('.monaco-workbench.vs').waitFor();
    await report().locator('#findings > li').first().waitFor();
    await report().locator('#findings').evaluate((e) => e.ownerDocument.defaultView!.scrollTo(0, 0));
    if (MODE === 'dev') await mediaShot(page, 'screenshot-report-light');
    await screenshot(page, `${MODE}-report-light`);
    await colorTheme('Dark Modern');
    await page.locator('.monaco-workbench.vs-dark').waitFor();
  });

  it('Open Changes on the file that explains the difference shows it on A\'s side only', async () => {
    // Reached by keyboard: the view is short (the Findings view is below it), its rows are not all rendered.
    await walkTo('Comparison', /^Removed \(only in A\)/);
    await expandFocused('Comparison');
    await walkTo('Comparison', /^fcgid\.load/, 5, 'here');
    await page.keyboard.press('Enter');
    const diff = page.locator('.monaco-diff-editor');
    await diff.waitFor();
    const original = diff.locator('.editor.original .view-lines');
    await original.getByText('LoadModule fcgid_module /usr/lib/apache2/modules/mod_fcgid.so').waitFor({ timeout: 30_000 });
    assert.equal((await diff.locator('.editor.modified .view-lines').innerText()).trim(), '');
    assert.match(await activeTab().innerText(), /fcgid\.load \(laptop ↔ ci\) · only in laptop/);
    await screenshot(page, `${MODE}-diff-fcgid-load`);
  });

  it('a line-endings change says so in the diff title, where the text alone looks the same', async () => {
    await walkTo('Comparison', /^Line endings and mode\/owner/);
    await expandFocused('Comparison');
    await walkTo('Comparison', /^install-fcgid\.sh/, 5, 'here');
    await page.keyboard.press('Enter');
    const tab = activeTab();
    await tab.filter({ hasText: 'install-fcgid.sh' }).waitFor();
    assert.match(await tab.innerText(), /line endings LF → CRLF, mode 0644 → 0755/);
    const diff = page.locator('.monaco-diff-editor');
    await diff.locator('.editor.original .view-lines').getByText('apt-get update').waitFor();
    await diff.locator('.editor.modified .view-lines').getByText('apt-get update').waitFor();
    await screenshot(page, `${MODE}-diff-line-endings`);
  });

  it('Next Finding has a key of its own (Ctrl+F8), and the report shows the finding it went to', async () => {
    await page.locator('.tabs-container .tab', { hasText: 'Report:' }).click();
    await report().locator('#findings > li').first().waitFor();
    await page.keyboard.press('Control+F8');
    await report().locator('#findings > li.selected').first().waitFor();
    await page.keyboard.press('Control+F8');
    await report().locator('#findings > li.selected[data-anchor="finding:1"], #findings > li.selected[data-anchor="finding:2"]').first().waitFor();
  });
});
