// Saved commands in a real VS Code (code-server) against kubesim. The window opens in Restricted
// Mode (Workspace Trust on, no startup prompt). The workspace file's command is listed but
// disabled, and says why when run. The user's own command runs from the Clusters tree's context
// menu: the protected-context confirmation shows the exact command and pod, VS Code's trust
// prompt for terminals comes next, then the terminal shows the output and the exit code. Once
// trusted, the workspace command runs in several pods and ends in a report.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { startVsCode } from './harness.ts';
import type { VsCode } from './harness.ts';

let vscode: VsCode;
let page: Page;

const USER_COMMAND = { name: 'Greet', description: 'says hello, then fails', command: 'echo "hello from ${pod} in ${namespace}"; exit 3' };
const WORKSPACE_COMMAND = { name: 'Workspace hello', command: 'echo "workspace says hi from ${pod}"', labelSelector: 'app in (web, busybox, distroless)' };

before(async () => {
  vscode = await startVsCode({
    workspaceTrust: true,
    settings: {
      'security.workspace.trust.startupPrompt': 'never',
      'kubeExec.savedCommands': [USER_COMMAND],
      'kubeExec.protectedContexts': ['kube*'],
    },
  });
  page = vscode.page;
  await mkdir(path.join(vscode.workspace, '.vscode'), { recursive: true });
  await writeFile(path.join(vscode.workspace, '.vscode', 'kube-exec.json'), JSON.stringify({ savedCommands: [WORKSPACE_COMMAND] }, null, 2));
}, { timeout: 240_000 });

after(async () => {
  await vscode?.stop();
}, { timeout: 30_000 });

/** Runs a test body; on failure keeps a screenshot of the editor as it was. */
function withScreenshot(name: string, body: () => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await body();
    } catch (error) {
      await vscode.screenshot(`${name}-failed`).catch(() => {});
      throw error;
    }
  };
}

function sidebar(): Locator {
  return page.locator('.part.sidebar');
}

/** The body of the Saved Commands view, expanded. */
async function savedCommandsView(): Promise<Locator> {
  const headerSelector = '.pane-header[aria-label^="Saved Commands"]';
  const header = sidebar().locator(headerSelector);
  await header.waitFor();
  if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
  return sidebar().locator('.pane', { has: page.locator(headerSelector) }).locator('.pane-body');
}

async function pickQuickItem(label: string | RegExp): Promise<void> {
  const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: label }).first();
  await row.waitFor();
  await row.click();
}

function dialog(): Locator {
  return page.locator('.monaco-dialog-box');
}

/** The report webview's document (VS Code nests the content in a second iframe). */
function reportFrame(): FrameLocator {
  return page.frameLocator('iframe.webview.ready').last().frameLocator('iframe#active-frame');
}

test('the Saved Commands view lists the user command and, in Restricted Mode, why the workspace one is disabled', { timeout: 90_000 }, withScreenshot('saved-commands-view', async () => {
  await vscode.openKubeExecView();
  const view = await savedCommandsView();
  await view.getByRole('treeitem', { name: /^Greet/ }).waitFor({ timeout: 30_000 });
  await view.getByRole('treeitem', { name: /Restricted Mode: 1 workspace command is disabled/ }).waitFor();
  await view.getByRole('treeitem', { name: /^Workspace hello/ }).waitFor();
  await vscode.screenshot('saved-commands-restricted');
}));

test('in Restricted Mode the workspace command says why it cannot run, and offers Workspace Trust', { timeout: 60_000 }, withScreenshot('saved-commands-restricted-run', async () => {
  const view = await savedCommandsView();
  const item = view.getByRole('treeitem', { name: /^Workspace hello/ });
  const warning = page.locator('.notification-toast', { hasText: 'Restricted Mode' });
  await vscode.inlineAction(item, 'Run', warning);
  assert.match(await warning.innerText(), /"Workspace hello": This command comes from the workspace, and workspace commands run only in a trusted workspace/);
  await warning.getByRole('button', { name: 'Manage Workspace Trust' }).waitFor();
  await vscode.screenshot('saved-commands-restricted-message');
  await page.keyboard.press('Escape');
}));

test('Run Saved Command... from the context menu of a pod: protected-context confirmation, trust prompt, then output and exit code in a terminal', { timeout: 120_000 }, withScreenshot('saved-commands-menu', async () => {
  await vscode.expand(vscode.treeItem(/^kubesim$/).first());
  await vscode.expand(vscode.treeItem(/^default$/).first());
  const pod = vscode.treeItem(/^web-0$/).first();
  await pod.waitFor({ timeout: 30_000 });
  await vscode.contextMenu(pod, 'Run Saved Command...');

  // The workspace command is offered but locked; the user's runs.
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Workspace hello' }).waitFor();
  await pickQuickItem('Greet');

  await dialog().waitFor();
  const text = await dialog().innerText();
  assert.match(text, /Context "kubesim" is protected\. Run "Greet" in 1 pod there\?/);
  assert.match(text, /echo "hello from "'web-0'" in "'default'; exit 3/, 'the exact command, values quoted as they run');
  assert.match(text, /default\/web-0 \(app\)/);
  await vscode.screenshot('saved-commands-protected-confirmation');
  await dialog().getByRole('button', { name: 'Run' }).click();

  // VS Code asks for Workspace Trust before it opens any terminal in Restricted Mode.
  const trust = dialog().filter({ hasText: 'Do you trust the authors of the files in this folder?' });
  await trust.waitFor();
  await trust.getByRole('button', { name: 'Trust Folder & Continue' }).click();

  const shown = await vscode.waitForTerminalText(/Exit code 3/, 30_000);
  assert.match(shown, /hello from web-0 in default/);
  assert.match(shown, /Exit code 3 · \d/);
  assert.match(await page.locator('.part.panel').innerText(), /Greet · web-0/, 'the terminal is named after the command and the pod');
  await vscode.screenshot('saved-commands-terminal');
}));

test('once trusted, the workspace command runs in the pods it applies to and ends in a report, failures first', { timeout: 150_000 }, withScreenshot('saved-commands-report', async () => {
  const view = await savedCommandsView();
  await view.getByRole('treeitem', { name: /Restricted Mode/ }).waitFor({ state: 'detached' });
  const item = view.getByRole('treeitem', { name: /^Workspace hello/ });
  // Which context: the current one is first, Enter takes it.
  await vscode.inlineAction(item, 'Run', page.locator('.quick-input-widget', { hasText: 'Run "Workspace hello" in which context?' }));
  assert.match(await page.locator('.quick-input-list .monaco-list-row').first().innerText(), /^kubesim\s*current/);
  await page.locator('.quick-input-widget input').press('Enter');
  // Options for a run in several pods: none, just run.
  await page.locator('.quick-input-widget', { hasText: 'Run "Workspace hello" in 3 pods' }).waitFor();
  await page.locator('.quick-input-widget input').press('Enter');
  await dialog().waitFor();
  assert.match(await dialog().innerText(), /default\/busybox-0 \(main\)[\s\S]*default\/distroless-0 \(app\)[\s\S]*default\/web-0 \(app\)/);
  await dialog().getByRole('button', { name: 'Run' }).click();

  const frame = reportFrame();
  await frame.locator('h1', { hasText: 'Workspace hello' }).waitFor({ timeout: 60_000 });
  const summary = await frame.locator('.summary').innerText();
  assert.match(summary, /2 succeeded, 1 failed/);
  const rows = frame.locator('tbody tr');
  assert.equal(await rows.count(), 3);
  // Failures first: distroless has no sh.
  assert.match(await rows.nth(0).innerText(), /default\/distroless-0[\s\S]*error/);
  assert.match(await rows.nth(1).innerText(), /busybox-0[\s\S]*exit code 0[\s\S]*workspace says hi from busybox-0/);
  await vscode.screenshot('saved-commands-report');

  // The full output is a click away.
  await rows.nth(2).getByRole('button', { name: 'Full output' }).click();
  const editor = page.locator('.editor-instance .view-lines', { hasText: 'workspace says hi from web-0' });
  await editor.first().waitFor();
  assert.match(await editor.first().innerText(), /exit\s+code\s+0/);
}));
