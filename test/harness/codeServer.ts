// A real VS Code for tests: code-server (same workbench and Node extension
// host as desktop VS Code) driven by Debian's chromium through playwright-core.
// @vscode/test-electron cannot download VS Code on these machines; see
// scripts/setup-vscode.sh, which installs everything this module starts.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { format, promisify } from 'node:util';
import { chromium } from 'playwright-core';
import type { ChildProcess } from 'node:child_process';
import type { Browser, Page } from 'playwright-core';

const CODE_SERVER_VERSION = '4.100.3';
const CHROMIUM = '/usr/bin/chromium';
// An empty config: otherwise code-server reads (or creates, with a password) ~/.config/code-server/config.yaml.
const EMPTY_CONFIG = '/dev/null';
const REPO_ROOT = resolve(__dirname, '../..');
const RESULTS_DIR = join(REPO_ROOT, 'test-results');

export interface StartOptions {
  /** Added to the server's environment, which the extension host inherits. */
  env?: NodeJS.ProcessEnv;
  /** Merged over the harness defaults in the user settings.json. */
  settings?: Record<string, unknown>;
  /** Use this extensions folder (e.g. one filled by installExtension) instead of a fresh empty one. */
  extensionsDir?: string;
}

export interface WorkbenchOptions {
  /** Absolute path of the folder the window opens. */
  folder: string;
  extensionDevelopmentPath?: string;
  extensionTestsPath?: string;
}

export interface CodeServer {
  port: number;
  baseUrl: string;
  userDataDir: string;
  extensionsDir: string;
  /** The server's stdout and stderr; kept after stop() for failure reports. */
  logFile: string;
  workbenchUrl(o: WorkbenchOptions): string;
  stop(): Promise<void>;
}

export interface ExtensionHostTestOptions extends WorkbenchOptions {
  extensionDevelopmentPath: string;
  extensionTestsPath: string;
  env?: NodeJS.ProcessEnv;
  settings?: Record<string, unknown>;
  timeoutMs?: number;
}

/** Path of the code-server that scripts/setup-vscode.sh installs (same CC_TOOLS_DIR rule). */
export function codeServerBin(): string {
  const tools = process.env.CC_TOOLS_DIR || join(homedir(), '.cache', 'container-compare-tools');
  const bin = join(tools, `code-server-${CODE_SERVER_VERSION}`, 'node_modules', '.bin', 'code-server');
  if (!existsSync(bin)) {
    throw new Error(`code-server ${CODE_SERVER_VERSION} is not installed at ${bin}. Run scripts/setup-vscode.sh (as root) first.`);
  }
  return bin;
}

/** The environment of every code-server process: no marketplace, and never hand off to an enclosing VS Code. */
function serverEnv(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra, EXTENSIONS_GALLERY: '{}' };
  // Set inside a VS Code terminal: code-server would forward its CLI to that window instead of acting.
  delete env.VSCODE_IPC_HOOK_CLI;
  return env;
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? res(addr.port) : rej(new Error('no port'))));
    });
  });
}

function logTail(logFile: string, lines = 30): string {
  try {
    return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no server log)';
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    // Negative pid: the whole group (server, extension host, pty host, watchers).
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // ESRCH: already gone.
  }
}

/** Starts code-server on a free loopback port with fresh user data; resolves once /healthz answers. */
export async function startCodeServer(opts: StartOptions = {}): Promise<CodeServer> {
  const bin = codeServerBin();
  const tmp = await mkdtemp(join(tmpdir(), 'cc-code-server-'));
  const userDataDir = join(tmp, 'user-data');
  const extensionsDir = opts.extensionsDir ?? join(tmp, 'extensions');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  const settings = { 'security.workspace.trust.enabled': false, 'workbench.startupEditor': 'none', ...opts.settings };
  writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));

  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  mkdirSync(join(RESULTS_DIR, 'logs'), { recursive: true });
  const logFile = join(RESULTS_DIR, 'logs', `code-server-${port}.log`);
  const logFd = openSync(logFile, 'w');
  const args = [
    '--config', EMPTY_CONFIG, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry', '--disable-update-check', '--disable-getting-started-override',
    '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir,
  ];
  // detached: its own process group, so stop() reaches the extension host and every helper too.
  const child = spawn(bin, args, { detached: true, stdio: ['ignore', logFd, logFd], env: serverEnv(opts.env) });
  closeSync(logFd);
  let died: string | undefined;
  child.once('error', (e) => (died = `could not be started: ${e.message}`));
  const exited = new Promise<void>((res) => child.once('exit', (code, signal) => {
    died = `exited (${code ?? signal})`;
    res();
  }));
  // A test process that ends without stop() must not leave a server behind.
  const onExit = (): void => killGroup(child, 'SIGKILL');
  process.once('exit', onExit);

  let stopping: Promise<void> | undefined;
  // Idempotent: a failed start and a test's after() hook may both call it.
  const stop = (): Promise<void> => (stopping ??= (async () => {
    process.removeListener('exit', onExit);
    killGroup(child, 'SIGTERM');
    const timer = new Promise<void>((res) => setTimeout(res, 5000).unref());
    await Promise.race([exited, timer]);
    // Whatever ignored SIGTERM (or outlived the leader) goes now.
    killGroup(child, 'SIGKILL');
    await rm(tmp, { recursive: true, force: true });
  })());

  try {
    await waitForHealth(baseUrl, () => died, logFile);
  } catch (e) {
    await stop();
    throw e;
  }

  const remote = (path: string): string => `vscode-remote://127.0.0.1:${port}${resolve(path)}`;
  return {
    port, baseUrl, userDataDir, extensionsDir, logFile, stop,
    workbenchUrl(o: WorkbenchOptions): string {
      // code-server rejects --extensionDevelopmentPath on its command line; the workbench takes it from the URL payload.
      const payload: [string, string][] = [];
      if (o.extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', remote(o.extensionDevelopmentPath)]);
      if (o.extensionTestsPath) payload.push(['extensionTestsPath', remote(o.extensionTestsPath)]);
      const query = `folder=${encodeURIComponent(resolve(o.folder))}`;
      return `${baseUrl}/?${query}${payload.length ? `&payload=${encodeURIComponent(JSON.stringify(payload))}` : ''}`;
    },
  };
}

async function waitForHealth(baseUrl: string, died: () => string | undefined, logFile: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const why = died();
    if (why) throw new Error(`code-server ${why} before it was ready. Log ${logFile}:\n${logTail(logFile)}`);
    try {
      if ((await fetch(`${baseUrl}/healthz`)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`code-server did not answer ${baseUrl}/healthz within ${timeoutMs / 1000}s. Log ${logFile}:\n${logTail(logFile)}`);
}

/** Installs a .vsix into extensionsDir, as a user would with `code-server --install-extension`. */
export async function installExtension(vsixPath: string, extensionsDir: string): Promise<void> {
  // A throwaway user-data dir: the CLI writes its machine id and logs there, not in ~/.local/share.
  const tmp = await mkdtemp(join(tmpdir(), 'cc-code-server-install-'));
  try {
    await promisify(execFile)(codeServerBin(), [
      '--config', EMPTY_CONFIG, '--user-data-dir', join(tmp, 'user-data'), '--extensions-dir', extensionsDir,
      '--install-extension', resolve(vsixPath),
    ], { env: serverEnv() });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Headless Debian chromium; playwright's own browser downloads cannot work here. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install chromium (or run scripts/setup-vscode.sh).`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // No network here: without these, chromium keeps trying Google's hosts.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/**
 * Runs a mocha suite inside code-server's extension host and resolves to its exit code.
 * The results reach only the browser page, so the page hands them back through exposed
 * functions: the server log's extension-host exit code is always 0.
 */
export async function runExtensionHostTests(o: ExtensionHostTestOptions): Promise<number> {
  const timeoutMs = o.timeoutMs ?? 120_000;
  const server = await startCodeServer({ env: o.env, settings: o.settings });
  let browser: Browser | undefined;
  let page: Page | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    browser = await launchChromium();
    page = await browser.newPage();
    let exited = false;
    let onExit: (code: number) => void = () => {};
    const exitCode = new Promise<number>((res) => (onExit = res));
    // The workbench calls these with a log level and printf-style arguments (all of the
    // window's log, the extension host's console included), then with the exit code.
    await page.exposeFunction('codeAutomationLog', (_type: string, args: unknown[]) => {
      // After the result only the window's shutdown chatter follows.
      if (!exited) process.stdout.write(`${format(...(Array.isArray(args) ? args : [args]))}\n`);
    });
    await page.exposeFunction('codeAutomationExit', (code: number) => {
      exited = true;
      onExit(code);
    });
    const timeout = new Promise<never>((_, rej) => {
      timer = setTimeout(() => rej(new Error(
        `No test result from the extension host within ${timeoutMs / 1000}s. Server log ${server.logFile}, last lines:\n${logTail(server.logFile)}`,
      )), timeoutMs);
    });
    await page.goto(server.workbenchUrl(o));
    return await Promise.race([exitCode, timeout]);
  } finally {
    clearTimeout(timer);
    // Leaving the workbench first lets the extension host shut down instead of lingering.
    await page?.goto('about:blank').catch(() => undefined);
    await browser?.close();
    await server.stop();
  }
}

/** Opens a workbench window and resolves once the workbench and its activity bar are shown. */
export async function openWorkbench(browser: Browser, server: CodeServer, o: WorkbenchOptions & { viewport?: { width: number; height: number } }): Promise<Page> {
  const page = await browser.newPage({ viewport: o.viewport ?? { width: 1280, height: 800 } });
  await page.goto(server.workbenchUrl(o));
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  await page.locator('.part.activitybar').waitFor({ timeout: 60_000 });
  return page;
}

/**
 * Runs a command by its palette title, e.g. 'View: Show Explorer'. The
 * palette lists what is registered when it opens, and an extension's
 * contributions arrive a moment after the workbench: reopen until it is there.
 */
export async function runCommand(page: Page, title: string, timeoutMs = 30_000): Promise<void> {
  // The exact title, not the first fuzzy match: recently used commands are listed first.
  const exact = new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const input = page.locator('.quick-input-widget input');
  const row = page.locator('.quick-input-list .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: exact }) }).first();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await page.keyboard.press('F1');
    try {
      // The palette may not open for a key pressed while a quick input (a theme picker) is still closing:
      // then it is pressed again, like a user would.
      await input.fill(`>${title}`, { timeout: 5000 });
      await row.waitFor({ timeout: 3000 });
      break;
    } catch {
      if (Date.now() > deadline) {
        const shown = await page.locator('.quick-input-list').innerText().catch(() => '(no list)');
        throw new Error(`"${title}" is not in the command palette (or the palette did not open), which shows:\n${shown.slice(0, 1500)}`);
      }
      await page.keyboard.press('Escape');
    }
  }
  await row.click();
  // Done when the palette is gone, or when the command opened its own quick input in its place.
  // (A string: this file is type-checked without the DOM library.)
  await page.waitForFunction(`(() => {
    const widget = document.querySelector('.quick-input-widget');
    const value = widget?.querySelector('input')?.value ?? '';
    return !widget || widget.style.display === 'none' || !value.startsWith('>');
  })()`);
}

/**
 * Picks an item in the quick input whose title matches `title` (one step of a
 * multi-step picker): waits for that step, filters by `text`, waits until the
 * first row is the one wanted, and accepts it with Enter. Clicking instead
 * can land on a recycled row of the virtualized list.
 */
export async function pickQuickItem(page: Page, title: RegExp, text: string, timeoutMs = 30_000): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  await widget.locator('.quick-input-title', { hasText: title }).waitFor({ timeout: timeoutMs });
  await widget.locator('input').fill(text);
  const first = widget.locator('.quick-input-list .monaco-list-row').first();
  await first.filter({ hasText: text }).waitFor({ timeout: timeoutMs });
  await page.keyboard.press('Enter');
  await widget.locator('.quick-input-title', { hasText: title }).waitFor({ state: 'hidden', timeout: timeoutMs });
}

/** Saves a PNG under test-results/screenshots/ and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = join(RESULTS_DIR, 'screenshots');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  // Toasts and views slide in: finish their transitions so the picture shows the end state.
  await page.screenshot({ path, animations: 'disabled' });
  return path;
}

/**
 * Saves a PNG into media/ (what README.md shows), from the window as it is:
 * the e2e suite keeps the README's pictures of the product current.
 */
export async function mediaShot(page: Page, name: string): Promise<string> {
  const path = join(REPO_ROOT, 'media', `${name}.png`);
  await page.screenshot({ path, animations: 'disabled' });
  return path;
}
