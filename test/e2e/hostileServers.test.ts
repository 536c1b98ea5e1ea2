// What the engine refuses (hostile names, unusable kubeconfig entries, a server that says nothing)
// as a user meets it in the editor: in the tree and in a shell's terminal, the same clear words
// as from the engine, and nothing sent that should not be. The hostile names come from a server
// of our own (test/faults/faultServer.ts), since no real API server would ever list them.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startFaultServer, type FaultServer } from '../faults/faultServer.ts';
import { startVsCode } from './harness.ts';
import type { VsCode } from './harness.ts';

let vscode: VsCode;
let hostile: FaultServer;
let silent: FaultServer;
let dir: string;

before(async () => {
  // A server that lists a namespace called ".." and, in "default", a pod called "..".
  hostile = await startFaultServer({ namespaces: ['default', '..'], pods: ['web-0', '..'] });
  silent = await startFaultServer({ transport: 'tcp-silent' });
  dir = await mkdtemp(path.join(tmpdir(), 'kube-exec-hostile-'));
  const extra = path.join(dir, 'hostile.kubeconfig');
  const ca = Buffer.from(hostile.caCert).toString('base64');
  await writeFile(
    extra,
    `apiVersion: v1
kind: Config
clusters:
- name: hostile
  cluster: {server: "${hostile.url}", certificate-authority-data: ${ca}}
- name: silent
  cluster: {server: "${silent.url}", certificate-authority-data: ${ca}}
- name: bad-ca
  cluster: {server: "${hostile.url}", certificate-authority-data: "!!!${ca}"}
users:
- name: someone
  user: {token: "hostile-test-token-not-shown"}
contexts:
- {name: hostile, context: {cluster: hostile, user: someone}}
- {name: silent, context: {cluster: silent, user: someone}}
- {name: bad-ca, context: {cluster: bad-ca, user: someone}}
`,
  );
  vscode = await startVsCode({
    settings: { 'kubeExec.kubeconfigFiles': [extra], 'kubeExec.savedCommands': [{ name: 'Say ok', command: 'echo ok' }] },
  });
  await vscode.openKubeExecView();
  const saved = vscode.page.locator('.part.sidebar .pane-header[aria-label^="Saved Commands"]');
  if ((await saved.getAttribute('aria-expanded')) === 'true') await saved.click();
}, { timeout: 240_000 });

after(async () => {
  await vscode?.stop();
  await hostile?.close();
  await silent?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
}, { timeout: 30_000 });

test('a pod or namespace named ".." shows, but nothing is sent for it: the shell and the tree say why', { timeout: 120_000 }, async () => {
  await vscode.expand(vscode.treeItem('hostile'));
  await vscode.expand(vscode.treeItem('default'));
  const dotdot = vscode.treeItem('..').last();
  await dotdot.waitFor({ timeout: 30_000 });
  await vscode.contextMenu(dotdot, 'Open Shell');
  const text = await vscode.waitForTerminalText(/invalid resource name "\.\.": \[may not be '\.\.'\]/, 30_000);
  assert.doesNotMatch(text, /not found|hostile-test-token/);

  // The namespace called "..": expanding it lists nothing and says why.
  await vscode.expand(vscode.treeItem('..').first());
  await vscode.treeItem(/^invalid namespace "\.\.": \[may not be '\.\.'\]/).waitFor({ timeout: 30_000 });

  // What was sent: the lists of namespaces and of default's pods (and its watch), nothing else.
  // Before names were checked, pod ".." went out as /api/v1/namespaces/default/exec and
  // namespace ".." as /api/v1/pods: other resources altogether.
  const paths = [...new Set(hostile.requests.map((r) => r.path))].sort();
  assert.deepEqual(paths, ['/api/v1/namespaces', '/api/v1/namespaces/default/pods']);
  await vscode.screenshot('hostile-names');
});

test('a saved command across a namespace with a pod called "..": that pod fails with the reason, the others run', { timeout: 120_000 }, async () => {
  const { page } = vscode;
  const before = hostile.requests.length;
  const namespace = vscode.treeItem('default').last();
  await namespace.waitFor({ timeout: 30_000 });
  await vscode.contextMenu(namespace, 'Run Saved Command...');
  await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Say ok' }).first().click();
  // Which pods: a label selector, or empty for all of them.
  await page.locator('.quick-input-widget', { hasText: 'Run "Say ok" in namespace default' }).waitFor();
  await page.locator('.quick-input-widget input').press('Enter');
  // Options for a run in several pods: none, just run.
  await page.locator('.quick-input-widget', { hasText: 'Run "Say ok" in 2 pods' }).waitFor();
  await page.locator('.quick-input-widget input').press('Enter');

  const frame = page.frameLocator('iframe.webview.ready').last().frameLocator('iframe#active-frame');
  await frame.locator('h1', { hasText: 'Say ok' }).waitFor({ timeout: 60_000 });
  assert.match(await frame.locator('.summary').innerText(), /1 succeeded, 1 failed/);
  const rows = frame.locator('tbody tr');
  assert.equal(await rows.count(), 2);
  // Failures first: the pod whose name cannot be sent, with kubectl's words for why.
  assert.match(await rows.nth(0).innerText(), /default\/\.\.[\s\S]*invalid resource name "\.\.": \[may not be '\.\.'\]/);
  assert.match(await rows.nth(1).innerText(), /default\/web-0[\s\S]*exit code 0/);
  // The one exec that went out was web-0's.
  const execs = hostile.requests.slice(before).map((r) => r.path).filter((p) => p.endsWith('/exec'));
  assert.deepEqual(execs, ['/api/v1/namespaces/default/pods/web-0/exec']);
  await vscode.screenshot('hostile-saved-command');
});

test('an unusable kubeconfig entry and a server that says nothing are named in the tree', { timeout: 120_000 }, async () => {
  // The file's problem is listed at the top of the tree, naming file, field and entry ...
  await vscode.treeItem(/certificate-authority-data of cluster "bad-ca" could not be decoded \(illegal base64 data at input byte 0\)/).first().waitFor({ timeout: 30_000 });
  // ... and the context that uses it says the same when it is opened.
  await vscode.expand(vscode.treeItem('bad-ca'));
  await vscode.treeItem(/^Kubeconfig .*: certificate-authority-data of cluster "bad-ca" could not be decoded/).waitFor({ timeout: 30_000 });

  // A server that accepts the connection and never answers: the TLS step's deadline, in words.
  const started = Date.now();
  await vscode.expand(vscode.treeItem('silent'));
  await vscode.treeItem(new RegExp(`^Unable to connect to ${silent.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: the server accepted the connection but did not complete the TLS handshake within 10 s`)).waitFor({ timeout: 40_000 });
  assert.ok(Date.now() - started < 35_000, 'named within the deadline');
});
