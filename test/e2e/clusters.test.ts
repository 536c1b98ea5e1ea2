// The Clusters tree and shell terminals in a real VS Code against kubesim: what a user sees
// and does, from expanding a context to closing a shell.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Locator } from 'playwright-core';
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

/** Rows scrolled out of view leave the DOM: start each test with every context collapsed. */
async function collapseAll(): Promise<void> {
  await vscode.openKubeExecView();
  const expanded = vscode.page.locator('.part.sidebar [role="treeitem"][aria-level="1"][aria-expanded="true"]');
  for (let i = 0; i < 10 && (await expanded.count()) > 0; i++) {
    await expanded.first().locator('.monaco-tl-twistie').click();
  }
}

async function description(item: Locator): Promise<string> {
  return item.locator('.label-description').innerText();
}

/** Waits for a line that ends in a shell prompt character. */
const PROMPT = /[$#] ?$/m;

async function killActiveTerminal(): Promise<void> {
  await vscode.runCommand('Terminal: Kill the Active Terminal Instance');
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('the tree shows contexts, namespaces and pods with their states, and follows changes live', { timeout: 120_000 }, async () => {
  const t0 = Date.now();
  const step = (what: string) => console.log(`# ${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
  await vscode.expand(vscode.treeItem('kubesim'));
  for (const ctx of ['kubesim-cert', 'kubesim-forbidden', 'kubesim-unreachable']) await vscode.treeItem(ctx).waitFor();
  step('contexts listed');
  await vscode.expand(vscode.treeItem('default'));

  const web = vscode.treeItem('web-0');
  await web.waitFor({ timeout: 30_000 });
  assert.match(await description(web), /^Running · 1\/1 ready · 0 restarts · \d/);
  assert.match(await description(vscode.treeItem('crashloop-0')), /^CrashLoopBackOff · 0\/1 ready · 5 restarts/);
  assert.match(await description(vscode.treeItem('pending-0')), /^ContainerCreating · 0\/1 ready/);
  assert.match(await description(vscode.treeItem('done-0')), /^Completed/);
  assert.match(await description(vscode.treeItem('terminating-0')), /^Terminating/);
  step('pods listed');
  // Each state has its own icon.
  const icon = async (name: string) => (await vscode.treeItem(name).locator('.custom-view-tree-node-item-icon').getAttribute('class')) ?? '';
  assert.match(await icon('web-0'), /codicon-pass-filled/);
  assert.match(await icon('crashloop-0'), /codicon-debug-restart/);
  assert.match(await icon('failed-0'), /codicon-error/);

  step('icons checked');
  // Containers, init containers included, under a pod.
  await vscode.expand(vscode.treeItem('multi-0'));
  await vscode.treeItem('sidecar').waitFor();
  assert.match(await description(vscode.treeItem('init')), /^init · terminated/);
  await vscode.screenshot('tree');

  step('containers listed');
  // Live: a pod that changes in place re-renders its own row, and only it. The inline button of
  // a neighbouring row stays the same element, so a click on it is not lost to a re-render.
  // Inline buttons stay in the DOM, hidden until the pointer is on the row.
  const button = web.locator('.action-label[aria-label*="Open Shell"]');
  await button.evaluate((el) => el.setAttribute('data-e2e-mark', 'before'));
  vscode.kubesim.updatePod('default', 'crashloop-0', (p) => {
    for (const c of p.status.containerStatuses ?? []) c.restartCount = 6;
  });
  await waitFor('crashloop-0 shows 6 restarts', async () => /· 6 restarts/.test(await description(vscode.treeItem('crashloop-0'))));
  // The update's debounce has passed once the changed row shows; give the workbench a moment.
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(await web.locator('[data-e2e-mark="before"]').count(), 1, "web-0's row was rendered again when crashloop-0 changed");
  step('a change re-renders only its row');
  // Live: a pod created in the cluster appears, a deleted one goes, without pressing Refresh.
  vscode.kubesim.addPod({ metadata: { name: 'arrived-0', namespace: 'default' }, spec: { containers: [{ name: 'app', image: 'kubesim/bash' }] } });
  await vscode.treeItem('arrived-0').waitFor({ timeout: 15_000 });
  vscode.kubesim.deletePod('default', 'arrived-0');
  await vscode.treeItem('arrived-0').waitFor({ state: 'detached', timeout: 15_000 });
  step('live add and delete seen');
});

test('problems show in the tree where they happen, in words', { timeout: 90_000 }, async () => {
  await collapseAll();
  await vscode.expand(vscode.treeItem('kubesim-unreachable'));
  await vscode.treeItem(/^Unable to connect to https:\/\/127\.0\.0\.1:1/).waitFor({ timeout: 30_000 });

  await vscode.expand(vscode.treeItem('kubesim-badtoken'));
  await vscode.treeItem(/Unauthorized/).waitFor({ timeout: 30_000 });

  // The forbidden user may not list namespaces: the context's own namespace is shown, and why.
  await vscode.expand(vscode.treeItem('kubesim-forbidden'));
  await vscode.treeItem(/^This user may not list namespaces, so only the context's namespace "default" is shown/).waitFor({ timeout: 30_000 });
  await vscode.treeItem('default').waitFor();
  await vscode.screenshot('tree-errors');
});

test('right-click a pod, Open Shell: commands run, resizes reach the shell, the exit code is shown', { timeout: 120_000 }, async () => {
  await collapseAll();
  await vscode.expand(vscode.treeItem('kubesim'));
  await vscode.expand(vscode.treeItem('default'));
  await vscode.contextMenu(vscode.treeItem('web-0'), 'Open Shell');
  await vscode.waitForTerminalText(PROMPT, 30_000);
  await vscode.page.keyboard.type('echo $((6*7))\n');
  await vscode.waitForTerminalText(/^42$/m);

  await vscode.page.keyboard.type('stty size\n');
  const before = (await vscode.waitForTerminalText(/^\d+ \d+$/m)).match(/^(\d+) (\d+)$/m)!;
  await vscode.runCommand('View: Toggle Maximized Panel');
  await vscode.page.locator('.xterm-helper-textarea').first().focus().catch(() => undefined);
  await vscode.page.locator('.terminal-wrapper.active .xterm').first().click();
  await vscode.page.keyboard.type('clear; stty size\n');
  const after = await vscode.waitForTerminalText(new RegExp(`^(?!${before[1]} ${before[2]}$)\\d+ \\d+$`, 'm'));
  const [rows] = after.match(/^(\d+) (\d+)$/m)!.slice(1).map(Number);
  assert.ok(rows > Number(before[1]), `rows grew after maximizing the panel: ${before[0]} -> ${rows}`);
  await vscode.runCommand('View: Toggle Maximized Panel');
  // For the README: once the palette and the terminal's size overlay have gone.
  await vscode.page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
  await new Promise((r) => setTimeout(r, 1500));
  await vscode.screenshot('shell');

  await vscode.page.locator('.terminal-wrapper.active .xterm').first().click();
  await vscode.page.keyboard.type('exit 3\n');
  await vscode.waitForTerminalText(/The shell exited with code 3\./);
});

// Terminals stay open from one step to the next (a new one becomes the active, visible one):
// opening a terminal while VS Code tears down the previous one races in the workbench. The last
// test closes them all.
test('busybox gets sh, distroless says it has no shell, the forbidden user sees the 403 message', { timeout: 120_000 }, async () => {
  await collapseAll();
  await vscode.expand(vscode.treeItem('kubesim'));
  await vscode.expand(vscode.treeItem('default'));
  await vscode.contextMenu(vscode.treeItem('busybox-0'), 'Open Shell');
  await vscode.waitForTerminalText(PROMPT, 30_000);
  await vscode.page.keyboard.type('echo shell=${0##*/}\n');
  await vscode.waitForTerminalText(/^shell=sh$/m);

  await vscode.contextMenu(vscode.treeItem('distroless-0'), 'Open Shell');
  // The last line, naming the keys, shows once a key can act (src/editor/endedKeys.ts).
  const text = await vscode.waitForTerminalText(/no shell[\s\S]*Press D to start one, Ctrl\+D to close\./i, 30_000);
  assert.match(text, /bash.*ash.*sh/s, 'the shells tried are named');
  assert.match(text, /debug container/i, 'a debug container is offered');
  await vscode.screenshot('no-shell');
  // The no-shell offer stays as a notification; out of the way for what follows.
  await vscode.runCommand('Notifications: Clear All Notifications');

  await collapseAll();
  await vscode.expand(vscode.treeItem('kubesim-forbidden'));
  // The forbidden user's namespace is "default" as well: its rows come after the admin's.
  await vscode.expand(vscode.treeItem('default'));
  await vscode.contextMenu(vscode.treeItem('web-0'), 'Open Shell');
  // The terminal wraps the long message: read it as one line.
  const denied = (await vscode.waitForTerminalText(/Press Ctrl\+D to close/, 30_000)).replace(/\s+/g, ' ');
  assert.match(denied, /pods "web-0" is forbidden: User "dev" cannot create resource "pods\/exec" in API group "" in the namespace "default"/);
  await vscode.screenshot('forbidden');
});

test('closing a shell terminal ends the shell in the container', { timeout: 90_000 }, async () => {
  await vscode.runCommand('Terminal: Kill All Terminals');
  await waitFor('earlier shells have ended', () => vscode.kubesim.execProcesses().length === 0, 20_000);
  await collapseAll();
  await vscode.expand(vscode.treeItem('kubesim'));
  await vscode.expand(vscode.treeItem('default'));
  await vscode.contextMenu(vscode.treeItem('web-0'), 'Open Shell');
  await vscode.waitForTerminalText(PROMPT, 30_000);
  await vscode.page.keyboard.type('sleep 1000 &\n');
  // Bash says "[1] pid" once the job is one of its own: a hangup any earlier could race the fork.
  await vscode.waitForTerminalText(/^\[1\] \d+$/m);
  await waitFor('the shell and its child run in kubesim', () => vscode.kubesim.execProcesses().length > 0);
  await killActiveTerminal();
  await waitFor('no exec process is left in kubesim', () => vscode.kubesim.execProcesses().length === 0, 20_000);
});
