// Container files in a real VS Code (code-server) against kubesim: a file opened from the
// Clusters tree is edited and saved in an ordinary editor tab and read back through exec; a
// container folder opens in the Explorer, where a new file is created in the container; a
// container without a shell says so and offers a debug container. kubesim does not chroot its
// containers, so the files live in a folder of this machine that the container sees by path.
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { startVsCode } from './harness.ts';
import type { VsCode } from './harness.ts';
import { ContainerFs } from '../../src/kube/containerFs/containerFs.ts';
import { kubeConfigForContext, loadKubeconfig } from '../../src/kube/kubeconfig.ts';

let vscode: VsCode;
let page: Page;
let folder: string;

before(async () => {
  // Saving is the user's act here (Ctrl+S), not an auto-save after a delay.
  vscode = await startVsCode({ settings: { 'files.autoSave': 'off' } });
  page = vscode.page;
  folder = path.join(vscode.kubesim.dir, 'e2e files');
  await mkdir(folder, { recursive: true });
  await writeFile(path.join(folder, 'notes.txt'), 'first line\n');
}, { timeout: 240_000 });

after(async () => {
  await vscode?.stop();
}, { timeout: 30_000 });

async function collapseIfShown(item: Locator): Promise<void> {
  if ((await item.count()) > 0 && (await item.getAttribute('aria-expanded')) === 'true') await item.click();
}

/** Right-clicks the `app` container of a pod (the only expanded pod) and runs a menu entry. */
async function containerMenu(pod: string, entry: string): Promise<void> {
  await vscode.openKubeExecView();
  await vscode.expand(vscode.treeItem(/^kubesim\b/).first());
  await vscode.expand(vscode.treeItem(/^default$/).first());
  await vscode.expand(vscode.treeItem(new RegExp(`^${pod}\\b`)).first());
  const container = vscode.treeItem(/^app\b/).first();
  await container.waitFor({ timeout: 30_000 }).catch(async (err: unknown) => {
    await vscode.screenshot(`container-files-no-app-under-${pod}`);
    throw err;
  });
  await vscode.contextMenu(container, entry);
}

async function answerInput(text: string): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(text);
  await input.press('Enter');
}

/** The file as the container sees it, read through exec by the engine. */
async function readInContainer(file: string): Promise<string> {
  const kubeConfig = kubeConfigForContext(await loadKubeconfig({ files: [vscode.kubesim.kubeconfigPath] }), 'kubesim');
  const fs = new ContainerFs({ kubeConfig: () => kubeConfig, target: { namespace: 'default', pod: 'web-0', container: 'app' }, keepaliveIntervalMs: 0 });
  return Buffer.from(await fs.readFile(file)).toString('utf8');
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

test('a container file opens from the tree, is edited and saved, and reads back through exec', { timeout: 180_000 }, async () => {
  const file = path.join(folder, 'notes.txt');
  await containerMenu('web-0', 'Open File in Container...');
  await answerInput(file);

  const tab = page.locator('.tabs-container .tab', { hasText: 'notes.txt' });
  await tab.waitFor({ timeout: 30_000 });
  const lines = page.locator('.editor-instance .view-lines').first();
  await lines.filter({ hasText: 'first line' }).waitFor();

  await lines.click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('saved from VS Code ✓');
  await page.locator('.tabs-container .tab.dirty', { hasText: 'notes.txt' }).waitFor();
  await page.keyboard.press('Control+S');
  await page.locator('.tabs-container .tab.dirty', { hasText: 'notes.txt' }).waitFor({ state: 'detached' });

  const content = await waitFor('the saved text in the container', async () => {
    const text = await readInContainer(file);
    return text.includes('saved from VS Code') ? text : undefined;
  });
  assert.equal(content, 'first line\nsaved from VS Code ✓');
  assert.equal(await readFile(file, 'utf8'), content);
  await vscode.screenshot('container-file-saved');
});

test('Open Container Folder shows the folder in the Explorer, where a new file is created in the container', { timeout: 180_000 }, async () => {
  await containerMenu('web-0', 'Open Container Folder');
  await answerInput(folder);

  // Adding a folder turns the window into a workspace and restarts extensions: the provider
  // comes back through its onFileSystem activation, then the Explorer lists the folder. The
  // restart folds the folder up again, so keep expanding it until its files show.
  const explorer = page.locator('.explorer-folders-view');
  const root = explorer.getByRole('treeitem', { name: /web-0\/app:/ }).first();
  await root.waitFor({ timeout: 60_000 });
  const notes = explorer.getByRole('treeitem', { name: /^notes\.txt/ });
  await waitFor('notes.txt in the Explorer', async () => {
    if ((await notes.count()) > 0) return true;
    if ((await root.getAttribute('aria-expanded')) === 'false') await root.click();
    return undefined;
  }, 90_000);

  await vscode.contextMenu(root, 'New File...');
  await page.keyboard.type('created in the explorer.txt');
  await page.keyboard.press('Enter');
  await page.locator('.tabs-container .tab.active', { hasText: 'created in the explorer.txt' }).waitFor({ timeout: 30_000 });
  await page.locator('.editor-instance .view-lines').first().click();
  await page.keyboard.type('hello container');
  await page.locator('.tabs-container .tab.dirty', { hasText: 'created in the explorer.txt' }).waitFor();
  await page.keyboard.press('Control+S');
  await page.locator('.tabs-container .tab.dirty', { hasText: 'created in the explorer.txt' }).waitFor({ state: 'detached' });

  const created = path.join(folder, 'created in the explorer.txt');
  const text = await waitFor('the new file in the container', async () => {
    const value = await readInContainer(created);
    return value === 'hello container' ? value : undefined;
  });
  assert.equal(text, 'hello container');
  await vscode.screenshot('container-folder-explorer');
});

test('a container without a shell says so and offers a debug container', { timeout: 90_000 }, async () => {
  await vscode.openKubeExecView();
  await collapseIfShown(vscode.treeItem(/^web-0\b/).first());
  await containerMenu('distroless-0', 'Open File in Container...');
  await answerInput('/etc/passwd');

  const toast = page.locator('.notification-toast', { hasText: 'distroless-0/app' });
  await toast.waitFor({ timeout: 30_000 });
  const message = await toast.innerText();
  assert.match(message, /has no sh/);
  assert.match(message, /\/proc\/1\/root/);
  assert.equal(await toast.getByRole('button', { name: 'Debug Container...' }).count(), 1);
  await vscode.screenshot('container-files-no-shell');
});
