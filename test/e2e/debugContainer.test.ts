// Debug containers in a real VS Code (code-server) against kubesim: Open Shell on a distroless pod
// finds no shell and offers a debug container; taking the offer starts one (a progress
// notification while it starts) and opens a terminal on it with a working prompt, from which the
// distroless container's files are in view. The debug container then shows in the tree, and
// after its terminal is closed, Attach connects to the same shell again.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { startVsCode } from './harness.ts';
import type { VsCode } from './harness.ts';

let vscode: VsCode;
let page: Page;

before(async () => {
  vscode = await startVsCode();
  page = vscode.page;
}, { timeout: 240_000 });

after(async () => {
  await vscode?.stop();
}, { timeout: 30_000 });

/** A line that ends in a shell prompt. */
const PROMPT = /[$#] ?$/m;

async function waitFor<T>(what: string, get: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await get();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('no shell in distroless-0: press D and get a prompt in a debug container', { timeout: 180_000 }, async () => {
  await vscode.openKubeExecView();
  await vscode.expand(vscode.treeItem('kubesim'));
  await vscode.expand(vscode.treeItem('default'));
  const pod = vscode.treeItem('distroless-0');
  await pod.waitFor({ timeout: 30_000 });
  await vscode.contextMenu(pod, 'Open Shell');
  // The keys are named once a key pressed on its own can act (src/editor/endedKeys.ts).
  await vscode.waitForTerminalText(/Press D to start one, Ctrl\+D to close\./, 30_000);

  // The offer is also a notification; D in the terminal takes it.
  await page.locator('.notification-toast', { hasText: 'has no shell' }).last().getByRole('button', { name: 'Debug Container...' }).waitFor();
  await page.locator('.terminal-wrapper.active .xterm').first().click();
  await page.keyboard.press('d');

  // A terminal on the new container; its shell answers.
  const first = await vscode.waitForTerminalText(/Connecting to container (debugger-[a-z0-9]{5}) of default\/distroless-0/, 60_000);
  const started = /Connecting to container (debugger-[a-z0-9]{5})/.exec(first)![1]!;
  await vscode.waitForTerminalText(PROMPT, 60_000).catch(async (err: unknown) => {
    await vscode.screenshot('debug-container-no-prompt');
    throw err;
  });
  await page.locator('.terminal-wrapper.active .xterm').first().click();
  await page.keyboard.type('echo $((6*7))\n');
  await vscode.waitForTerminalText(/^42$/m);
  // The distroless container's root file system, through the shared process namespace.
  await page.keyboard.type('ls /proc/1/root/\n');
  await vscode.waitForTerminalText(/^bin\s+tmp\s+usr$/m);
  await vscode.screenshot('debug-container');

  // The debug container is in the tree under the pod, as a running ephemeral container.
  await vscode.expand(pod);
  const debugNode = vscode.treeItem(/^debugger-[a-z0-9]{5}$/).first();
  await debugNode.waitFor({ timeout: 30_000 });
  assert.equal((await debugNode.locator('.label-name').innerText()).trim(), started);
  await waitFor('the debug container to show as running', async () => {
    const text = await debugNode.locator('.label-description').innerText();
    return /^ephemeral · running/.test(text) ? text : undefined;
  });

  // Closing the terminal detaches; Attach finds the same shell, variables and all.
  await page.locator('.terminal-wrapper.active .xterm').first().click();
  await page.keyboard.type('export LEFT=behind\n');
  await new Promise((r) => setTimeout(r, 500));
  await vscode.runCommand('Terminal: Kill the Active Terminal Instance');
  await vscode.contextMenu(debugNode, 'Attach');
  await vscode.waitForTerminalText(/If you see no prompt, press Enter\./, 30_000).catch(async (err: unknown) => {
    await vscode.screenshot('debug-container-attach-failed');
    throw err;
  });
  await page.locator('.terminal-wrapper.active .xterm').first().click();
  await page.keyboard.type('echo "still $LEFT"\n');
  await vscode.waitForTerminalText(/^still behind$/m);

  // Ending the shell ends the container; the tree says it terminated.
  await page.keyboard.type('exit\n');
  await waitFor('the debug container to show as terminated', async () => {
    const text = await debugNode.locator('.label-description').innerText();
    return /terminated/.test(text) ? text : undefined;
  });
  assert.deepEqual((await vscode.errorNotifications()).filter((m) => /Kube Exec/.test(m)), []);
});
