// A keystroke meant for one container must never reach another. When a shell ends, its terminal
// stays open with the outcome on screen and takes no key as a command while the user is still
// typing; before, the first key closed it, VS Code moved focus to the next terminal, and the
// rest of the line ran in a shell in another pod. Here shell B (busybox-0) records every byte it
// gets into a file, shell A (web-0) exits with code 3, and a whole line is typed at once into
// the focused terminal.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { until } from '../support/until.ts';
import { startVsCode } from './harness.ts';
import type { VsCode } from './harness.ts';

let vscode: VsCode;

before(async () => {
  vscode = await startVsCode();
  await vscode.openKubeExecView();
  // The Saved Commands view shares the side bar; folded, the Clusters tree gets the whole height.
  const saved = vscode.page.locator('.part.sidebar .pane-header[aria-label^="Saved Commands"]');
  if ((await saved.getAttribute('aria-expanded')) === 'true') await saved.click();
}, { timeout: 240_000 });

after(async () => {
  await vscode?.stop();
}, { timeout: 30_000 });

/** A line that ends in a shell prompt. */
const PROMPT = /[$#] ?$/m;

function waitFor<T>(what: string, get: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  return until(what, get, { timeoutMs, intervalMs: 150 });
}

/** The terminal panel's tab of the terminal called `name` (shown once two terminals are open). */
function terminalTab(name: string) {
  return vscode.page.locator('.terminal-tabs-entry', { hasText: name });
}

async function focusTerminal(name: string): Promise<void> {
  await terminalTab(name).click();
  await vscode.page.locator('.terminal-wrapper.active .xterm').first().click();
}

async function readIfThere(file: string): Promise<string> {
  return readFile(file, 'utf8').catch(() => '');
}

test('a line typed right after a shell ends reaches no other shell; the ended terminal keeps its exit code', { timeout: 180_000 }, async () => {
  const { page } = vscode;
  const tag = randomBytes(3).toString('hex');
  // kubesim runs container processes unconfined: an absolute path is a host path, which this
  // test can read back. Every byte shell B's terminal sends lands in it.
  const record = path.join(vscode.kubesim.dir, `b-input-${tag}`);

  await vscode.expand(vscode.treeItem('kubesim'));
  await vscode.expand(vscode.treeItem('default'));

  // Shell B, in busybox-0: `cat` records its input. The number is worked out by the shell, so
  // the typed line alone does not show it.
  await vscode.contextMenu(vscode.treeItem('busybox-0'), 'Open Shell');
  await vscode.waitForTerminalText(/Connecting to default\/busybox-0[\s\S]*[$#] ?$/m, 30_000);
  await page.keyboard.type(`echo recording-$((6*7)); cat > ${record}\n`);
  await vscode.waitForTerminalText(/^recording-42$/m);

  // Shell A, in web-0, opened second: it is the active terminal, with B behind it.
  await vscode.contextMenu(vscode.treeItem('web-0'), 'Open Shell');
  await vscode.waitForTerminalText(/Connecting to default\/web-0[\s\S]*[$#] ?$/m, 30_000);
  await terminalTab('busybox-0/main').waitFor();
  await page.locator('.terminal-wrapper.active .xterm').first().click();
  await page.keyboard.type('exit 3\n');
  await vscode.waitForTerminalText(/The shell exited with code 3\./);

  // The rest of what the user types, at a person's pace (80 ms a key): the old terminal closed
  // on the first key, and by the time VS Code had focused B, the rest went there. Typed all at
  // once, the keys would all hit A before its terminal was gone and hide the bug.
  const leaked = `echo LEAKED-${tag}`;
  await page.keyboard.type(`${leaked}\n`, { delay: 80 });

  // A is still the terminal on screen, still says how the shell ended, and (once typing has
  // paused) says which keys do what. Nothing typed shows: it went nowhere.
  const a = await vscode.waitForTerminalText(/Press Enter to open a new shell, Ctrl\+D to close\./);
  assert.match(a, /Connecting to default\/web-0/);
  assert.match(a, /The shell exited with code 3\./);
  assert.doesNotMatch(a, /LEAKED/);
  assert.equal(a.match(/Connecting to default\/web-0/g)?.length, 1, 'the Enter ending the typed line did not open a new shell');

  // B: a marker line after the typed one. Both ends of B's input are in order (one terminal, one
  // socket, one tty), so once the marker is in the file, anything typed into B before it is there
  // too: the file holding the marker alone proves no byte of the line reached B.
  await focusTerminal('busybox-0/main');
  await vscode.waitForTerminalText(/^recording-42$/m);
  const marker = `marker-${tag}`;
  await page.keyboard.type(`${marker}\n`);
  const got = await waitFor('the marker in B\'s record', async () => {
    const text = await readIfThere(record);
    return text.includes(marker) ? text : undefined;
  });
  assert.equal(got, `${marker}\n`, 'shell B got only what was typed into B');
  // Nothing reconnected A either: the only shell left in kubesim is B's.
  assert.equal(vscode.kubesim.execProcesses().length, 1, 'one exec process (B): A stayed ended');

  // The actions still work when taken on purpose: Enter on its own opens a new shell in A...
  await focusTerminal('web-0/app');
  await vscode.waitForTerminalText(/Press Enter to open a new shell, Ctrl\+D to close\./);
  await page.keyboard.press('Enter');
  await vscode.waitForTerminalText(/Connecting to default\/web-0[\s\S]*Connecting to default\/web-0[\s\S]*[$#] ?$/, 30_000);
  await page.keyboard.type('echo again-$((6*7))\n');
  const again = await vscode.waitForTerminalText(/^again-42$/m);
  assert.match(again, /The shell exited with code 3\./, 'the earlier outcome stays in the scrollback');

  // ...and Ctrl+D on its own closes an ended terminal: B, after its own non-zero exit.
  await focusTerminal('busybox-0/main');
  await page.keyboard.press('Control+D');
  await vscode.waitForTerminalText(/^recording-42$[\s\S]*[$#] ?$/m);
  await page.keyboard.type('exit 4\n');
  await vscode.waitForTerminalText(/The shell exited with code 4\.[\s\S]*Press Enter to open a new shell, Ctrl\+D to close\./);
  await page.keyboard.press('Control+D');
  await waitFor('B\'s terminal to close', async () => ((await page.locator('.xterm').count()) === 1 ? true : undefined));
});
