// Logs and the debugger in a real VS Code (code-server) against kubesim: Follow Logs on logger-0
// shows a line that was printed after the terminal opened; Attach Debugger (Node.js) on node-0,
// whose main process is `node --inspect=127.0.0.1:9229 app.js` with a `debugger;` statement in a
// timer, forwards the inspector port and starts VS Code's JavaScript debugger, which pauses there.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { startVsCode } from './harness.ts';
import type { VsCode } from './harness.ts';

let vscode: VsCode;
let page: Page;

before(async () => {
  // The source root is a setting here, so the attach asks nothing beyond runtime and port.
  vscode = await startVsCode({ settings: { 'kubeExec.debug.remoteRoot': '/app' } });
  page = vscode.page;
}, { timeout: 240_000 });

after(async () => {
  await vscode?.stop();
}, { timeout: 30_000 });

/** The Clusters tree with the demo namespace open; Saved Commands folded so rows fit. */
async function openDemo(): Promise<void> {
  await vscode.openKubeExecView();
  const saved = page.locator('.part.sidebar .pane-header[aria-label^="Saved Commands"]');
  if ((await saved.count()) && (await saved.getAttribute('aria-expanded')) === 'true') await saved.click();
  await vscode.expand(vscode.treeItem('kubesim'));
  await vscode.expand(vscode.treeItem('demo'));
}

/** Waits for the quick input whose title matches, then runs `act` on it. */
async function onQuickInput(title: RegExp, act: (input: Locator) => Promise<void>): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  await widget.locator('.quick-input-title', { hasText: title }).waitFor({ timeout: 30_000 });
  await act(widget.locator('input').first());
}

test('Follow Logs on a pod streams its log into a terminal, new lines as they come', { timeout: 180_000 }, async () => {
  await openDemo();
  await vscode.contextMenu(vscode.treeItem('logger-0'), 'Follow Logs');
  // The options: follow and the last lines are checked already.
  await onQuickInput(/^Logs of logger-0\/app/, async (input) => {
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Follow' }).waitFor();
    await input.press('Enter');
  });
  const text = await vscode.waitForTerminalText(/^line \d+$/m, 30_000);
  await page.locator('.part.panel', { hasText: 'logs: logger-0/app' }).first().waitFor({ timeout: 10_000 });
  const seen = [...text.matchAll(/^line (\d+)$/gm)].map((m) => Number(m[1]));
  const last = Math.max(...seen);
  // logger-0 prints a line a second: the next one arrives while we watch.
  const later = await vscode.waitForTerminalText(new RegExp(`^line ${last + 1}$`, 'm'), 30_000);
  assert.match(later, new RegExp(`^line ${last}\\n(line ${last} \\(stderr\\)\\n)?line ${last + 1}$`, 'm'), 'lines in order, none twice');
  await vscode.screenshot('follow-logs');
});

test('Attach Debugger (Node.js) forwards the inspector port and pauses on the debugger statement', { timeout: 240_000 }, async () => {
  await openDemo();
  await vscode.expand(vscode.treeItem('node-0'));
  const container = page.locator('.part.sidebar [role="treeitem"][aria-level="4"]').filter({ has: page.locator('.label-name', { hasText: /^app$/ }) }).last();
  await vscode.contextMenu(container, 'Attach Debugger...');

  // Node.js comes first: the container declares port 9229.
  await onQuickInput(/^Attach Debugger: node-0\/app/, async (input) => {
    const first = page.locator('.quick-input-widget .monaco-list-row').first();
    await first.filter({ hasText: 'Node.js' }).waitFor();
    assert.match(await first.innerText(), /port 9229 is declared by the container/);
    await input.press('Enter');
  });
  await onQuickInput(/Node\.js debug port in node-0\/app/, async (input) => {
    assert.equal(await input.inputValue(), '9229');
    await input.press('Enter');
  });
  await onQuickInput(/^Attach Debugger: Node\.js in node-0\/app/, async (input) => {
    await page.locator('.quick-input-widget .monaco-list-row').first().filter({ hasText: 'The process listens already' }).waitFor();
    await input.press('Enter');
  });

  // The forward shows in the status bar while the session runs.
  const forwardItem = page.locator('.part.statusbar .statusbar-item', { hasText: /\d+ → node-0:9229/ });
  await forwardItem.waitFor({ timeout: 30_000 });

  // app.js runs `debugger;` every second: the session stops there, on that line.
  try {
    await page.locator('.debug-toolbar').waitFor({ timeout: 60_000 });
    await page.locator('.editor-instance .view-line', { hasText: /debugger;\s*$/ }).first().waitFor({ timeout: 60_000 });
    await page.locator('.editor-instance .debug-top-stack-frame-line').first().waitFor({ timeout: 60_000 });
    const runAndDebug = page.locator('.part.activitybar').getByRole('tab', { name: /^Run and Debug/ });
    if ((await runAndDebug.getAttribute('aria-selected')) !== 'true') await runAndDebug.click();
    await page.locator('.debug-call-stack', { hasText: /Paused on debugger statement/i }).first().waitFor({ timeout: 30_000 });
  } catch (err) {
    await vscode.screenshot('attach-debugger-not-paused');
    throw err;
  }
  // The stack is the program's own: the timer callback in app.js.
  await page.locator('.debug-call-stack .monaco-list-row', { hasText: 'app.js' }).first().waitFor({ timeout: 30_000 });
  await vscode.screenshot('attach-debugger-paused');

  // Ending the session ends its forward.
  await page.keyboard.press('Shift+F5');
  await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 30_000 });
  await forwardItem.waitFor({ state: 'detached', timeout: 30_000 });
  assert.deepEqual(await vscode.errorNotifications(), []);
});
