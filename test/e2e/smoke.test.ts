// The packaged extension in a real VS Code: it installs, shows its activity bar entry, its
// Clusters view lists the kubeconfig contexts, and it activates without an error.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startVsCode } from './harness.ts';
import type { VsCode } from './harness.ts';

let vscode: VsCode;

before(async () => {
  vscode = await startVsCode();
}, { timeout: 240_000 });

after(async () => {
  await vscode?.stop();
}, { timeout: 30_000 });

async function extensionHostLog(logsDir: string): Promise<string> {
  const files = (await readdir(logsDir, { recursive: true })).filter((file) => file.endsWith('exthost.log'));
  const texts = await Promise.all(files.map((file) => readFile(path.join(logsDir, file), 'utf8')));
  return texts.join('\n');
}

test('the Kube Exec activity bar entry opens the Clusters view listing the kubeconfig contexts', { timeout: 180_000 }, async () => {
  const { page } = vscode;
  const entry = page.locator('.part.activitybar').getByRole('tab', { name: 'Kube Exec' });
  // The entry appears once the extension host has scanned the extensions: slow on a busy machine.
  await entry.waitFor({ timeout: 120_000 });
  assert.equal(await entry.isVisible(), true);

  const clusters = await vscode.openKubeExecView();
  assert.equal(await clusters.isVisible(), true);
  // "KUBE EXEC" alone, or "KUBE EXEC: CLUSTERS" while Clusters is the container's only view.
  const title = await page.locator('.part.sidebar .composite.title').innerText();
  assert.match(title, /^Kube Exec\b/i);

  // kubesim's kubeconfig names its current context "kubesim": seeing it proves the extension
  // read KUBECONFIG from code-server's environment.
  const current = clusters.getByRole('treeitem', { name: /^kubesim\b/ }).first();
  await current.waitFor({ timeout: 30_000 });
  // Label and description sit in separate spans.
  assert.match(await current.innerText(), /^kubesim\s*current$/);
  await vscode.screenshot('smoke-clusters');
});

test('the extension is installed and activated, with no error notification', { timeout: 60_000 }, async () => {
  const { page } = vscode;
  await vscode.runCommand('Developer: Show Running Extensions');
  const list = page.locator('.editor-instance .monaco-list').first();
  await list.waitFor();
  // The list only renders the rows in view, and a quickly activated extension sorts low: scroll
  // down until its row is there.
  const row = page.locator('.editor-instance .monaco-list-row', { hasText: 'Kube Exec' }).first();
  const box = await list.boundingBox();
  for (let i = 0; i < 40 && !(await row.isVisible()); i++) {
    if (box) await page.mouse.move(box.x + box.width / 2, box.y + Math.min(box.height / 2, 200));
    await page.mouse.wheel(0, 200);
    await new Promise((r) => setTimeout(r, 150));
  }
  await row.waitFor();
  assert.match(await row.innerText(), /Activation: \d+ms/);
  // The list opens as a modal editor over the workbench; close it for the tests after this one.
  await page.keyboard.press('Escape');
  await page.locator('.monaco-modal-editor-block').waitFor({ state: 'hidden' });

  const log = await extensionHostLog(vscode.logsDir);
  assert.match(log, /_doActivateExtension kube-exec\.kube-exec\b/);
  assert.doesNotMatch(log, /Activating extension '?kube-exec\.kube-exec'? failed/i);

  assert.deepEqual(await vscode.errorNotifications(), []);
});

test('a shell opened from the tree runs a command in the container', { timeout: 90_000 }, async () => {
  await vscode.openKubeExecView();
  // Rows out of sight are not in the DOM: fold the Saved Commands view so that the Clusters tree
  // has the side bar's whole height.
  const saved = vscode.page.locator('.part.sidebar .pane-header[aria-label^="Saved Commands"]');
  if ((await saved.count()) && (await saved.getAttribute('aria-expanded')) === 'true') await saved.click();
  await vscode.expand(vscode.treeItem('kubesim'));
  await vscode.expand(vscode.treeItem('default'));
  const pod = vscode.treeItem('web-0');
  await vscode.inlineAction(pod, /Open Shell/, vscode.page.locator('.terminal-wrapper.active .xterm').first());

  // Lines come with trailing blanks trimmed: the prompt ends in "#" or "$".
  await vscode.waitForTerminalText(/[$#]$/m, 30_000);
  // The arithmetic is done by the container's shell: the typed line alone does not hold "42".
  await vscode.page.keyboard.type('echo kube-exec-$((6*7))\n');
  const text = await vscode.waitForTerminalText(/^kube-exec-42$/m);
  assert.match(text, /Connecting to default\/web-0/);
  await vscode.screenshot('smoke-shell');
});
