// Run Side by Side in the workbench: the panel's webview, read through its DOM.
// The PHP pair must show what the blog post's author had to find by eye (fcgid
// starts on one side only, the module is missing, B serves PHP source); a
// container whose logs carry HTML, <script>, ANSI and control characters must
// come out as inert text, under a CSP that nothing violates.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { addNoise, type Noise } from '../helpers/noise';
import { installExtension, launchChromium, openWorkbench, pickQuickItem, runCommand, screenshot, startCodeServer, type CodeServer } from '../harness/codeServer';

const ROOT = resolve(__dirname, '../..');
const VSIX = process.env.CC_E2E_VSIX;
const MODE = VSIX ? 'vsix' : 'dev';

/** Names of the containers Run Side by Side started on this engine (anyone's: the engine may be shared). */
function ourContainers(): string[] {
  return execFileSync('docker', ['ps', '-a', '--filter', 'label=dev.container-compare.run', '--format', '{{.Names}}'], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

describe(`Run Side by Side in the workbench (${VSIX ? 'installed .vsix' : 'development folder'})`, function () {
  this.timeout(600_000);
  let server: CodeServer;
  let browser: Browser;
  let page: Page;
  const cspViolations: string[] = [];

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
    // Short startup windows: the fixtures log everything in their first second.
    server = await startCodeServer({ extensionsDir, settings: { 'workbench.colorTheme': 'Default Dark Modern', 'containerCompare.run.quietSeconds': 1.5, 'containerCompare.run.maxSeconds': 15 } });
    browser = await launchChromium();
    const folder = mkdtempSync(join(tmpdir(), 'cc-e2e-ws-'));
    made.push(folder);
    page = await openWorkbench(browser, server, { folder, viewport: { width: 1440, height: 1000 }, ...(VSIX ? {} : { extensionDevelopmentPath: ROOT }) });
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
    });
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

  /** The panel's page inside VS Code's webview frames (the webview on screen: the report shares the editor group). */
  const panel = (): FrameLocator => page.frameLocator('iframe.webview.ready >> visible=true').frameLocator('iframe#active-frame');

  async function runPair(a: string, b: string): Promise<void> {
    await runCommand(page, 'Container Compare: Run Side by Side');
    await pickQuickItem(page, /^Run Side by Side: A/, a);
    await pickQuickItem(page, /^Run Side by Side: B/, b);
    await panel().locator('#phase', { hasText: /^Done/ }).waitFor({ timeout: 240_000 });
    assert.equal(await panel().locator('#title').textContent(), `${a}  ↔  ${b}`, 'the pickers chose other images');
  }

  /** The containers the panel shows (cc-run-<id>-a|b): ours, whatever else runs on a shared engine. */
  async function shownContainers(): Promise<string[]> {
    const where = await panel().locator('.side-where').allTextContents();
    return where.map((w) => w.split(' · ')[0]).filter((n) => n.startsWith('cc-run-'));
  }

  async function closePanel(): Promise<string[]> {
    const names = await shownContainers();
    assert.equal(names.length, 2, 'the panel names no containers');
    // Closing the comparison closes its run panel (and its report): the next run starts from the pickers.
    await page.keyboard.press('Escape');
    await runCommand(page, 'Container Compare: Close Comparison');
    return names;
  }

  it('shows that fcgid starts in one container only, the module missing, and PHP source served by the other', async () => {
    await runPair('cc-example/php-fcgid:laptop', 'cc-example/php-fcgid:ci');
    const p = panel();
    const findings = p.locator('#findings');
    await findings.getByText(/fcgid/).first().waitFor();
    await findings.getByText(/source/i).first().waitFor();
    // The module list from apache2ctl -M: fcgid_module on A only.
    await p.locator('#modules-a').getByText('fcgid_module').first().waitFor({ state: 'attached' });
    // The HTTP comparison calls the leak out.
    await p.locator('#http .callout.error').waitFor({ state: 'attached' });
    assert.match(await p.locator('#http .callout.error').textContent() ?? '', /^B serves server-side source/);
    // The fcgid start line is on A's side only.
    await p.locator('#diffOnly').click();
    const row = p.locator('.row.onlyA', { hasText: 'mod_fcgid: Process manager' }).first();
    await row.waitFor();
    assert.equal(await row.locator('.text.b').textContent(), '');
    await screenshot(page, `${MODE}-run-php`);
    // Hidden behind another editor, the panel's page is discarded; shown again, it comes back as it was.
    await runCommand(page, 'File: New Untitled Text File');
    await page.locator('.tabs-container .tab', { hasText: 'Run:' }).click();
    await panel().locator('.row.onlyA', { hasText: 'mod_fcgid: Process manager' }).first().waitFor();
    assert.equal(await panel().locator('#diffOnly').getAttribute('checked'), '');
    await panel().locator('#findings').getByText(/source/i).first().waitFor();
    // Stop: the containers go, and no card still says running, or where it was published.
    const names = await shownContainers();
    await panel().locator('#stop').click();
    await panel().locator('#phase', { hasText: /containers were removed/ }).waitFor({ timeout: 60_000 });
    for (const side of ['a', 'b']) {
      assert.match((await panel().locator(`#side-${side} .side-state`).textContent()) ?? '', /^removed \(was running/);
      assert.doesNotMatch((await panel().locator(`#side-${side} .side-where`).textContent()) ?? '', /127\.0\.0\.1/);
    }
    await screenshot(page, `${MODE}-run-stopped`);
    await waitForNoContainers(names);
    await page.keyboard.press('Escape');
    await runCommand(page, 'Container Compare: Close Comparison');
    await page.locator('.tabs-container .tab', { hasText: /^(Run|Report):/ }).first().waitFor({ state: 'detached' });
  });

  it('renders HTML, <script>, ANSI and control characters from a container as inert text', async () => {
    await runPair('cc-fixture/noisylogs:a', 'cc-fixture/noisylogs:b');
    const p = panel();
    const script = p.locator('.row .text.a', { hasText: '<script>alert(1)</script>' }).first();
    await script.waitFor();
    // Text, not markup: no element was made from it, and the escape character shows as ^[ (caret notation).
    assert.equal(await p.locator('#rows script, #rows img, #rows b').count(), 0);
    await p.locator('.row .text.a', { hasText: '<b>bold</b> <img src=x onerror=alert(1)>' }).first().waitFor();
    const ansi = p.locator('.row .text.a', { hasText: '^[[31mred^[[0m' }).first();
    await ansi.waitFor();
    assert.doesNotMatch((await ansi.textContent()) ?? '', /\u001b/);
    // A row shows its lines in full below the columns when clicked.
    await ansi.click();
    assert.match((await p.locator('#detail-a').textContent()) ?? '', /\^\[\[31mred\^\[\[0m and \^\[\[1;32mbold green/);
    // C1 controls and bidi overrides are named, not obeyed.
    await p.locator('.row .text.a', { hasText: 'c1-csi:<U+009B>2J' }).first().waitFor();
    await p.locator('.row .text.a', { hasText: '<U+202E>' }).first().waitFor();
    // The request's own log line is captured on both sides before the report.
    assert.equal(await p.locator('.row.onlyA, .row.onlyB').count(), 0);
    await screenshot(page, `${MODE}-run-noisy`);
    assert.deepEqual(cspViolations, [], 'the panel ran into its Content Security Policy');
    await waitForNoContainers(await closePanel());
  });
});

/** Waits until the containers named are gone (and no container of ours is left by them). */
async function waitForNoContainers(names: string[]): Promise<void> {
  const left = () => ourContainers().filter((n) => names.includes(n));
  const deadline = Date.now() + 30_000;
  while (left().length) {
    if (Date.now() > deadline) throw new Error(`containers left behind after the panel closed: ${left().join(' ')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
