// Activation stays light: the release bundle, loaded with a stand-in `vscode` module and
// activated, lists the kubeconfig's contexts without loading client-node (its own file,
// dist/client-node.js), https/tls or ws. Those come with the first request to a cluster, which
// the end-to-end tests make through the packaged extension.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..', '..');

test('activating the release bundle loads neither client-node nor ws, nor network or crypto modules', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'kube-exec-activation-'));
  try {
    const outdir = path.join(dir, 'dist');
    await run(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs'), '--production', '--outdir', outdir], { cwd: ROOT });
    assert.deepEqual((await readdir(outdir)).sort(), ['cli.js', 'client-node.js', 'extension.js']);

    const kubeconfig = path.join(dir, 'kubeconfig');
    await writeFile(
      kubeconfig,
      [
        'apiVersion: v1',
        'current-context: one',
        'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]',
        'users: [{name: u, user: {token: abc}}]',
        'contexts: [{name: one, context: {cluster: c, user: u}}]',
      ].join('\n'),
    );
    const { stdout } = await run(
      process.execPath,
      [path.join(ROOT, 'bench', 'activateChild.ts'), path.join(outdir, 'extension.js'), path.join(dir, 'storage'), path.join(ROOT, 'node_modules', '@types', 'vscode', 'index.d.ts')],
      { cwd: ROOT, env: { ...process.env, KUBECONFIG: kubeconfig } },
    );
    const result = JSON.parse(stdout) as { commands: number; builtinsLoaded: string[]; filesLoaded: string[] };
    assert.ok(result.commands > 10, `activate registered ${result.commands} commands`);
    assert.deepEqual(result.filesLoaded.map((f) => path.basename(f)), ['extension.js']);
    for (const heavy of ['http', 'https', 'tls', 'net', 'crypto', 'zlib', 'child_process']) {
      assert.ok(!result.builtinsLoaded.includes(heavy), `activation loaded ${heavy} (loaded: ${result.builtinsLoaded.join(', ')})`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
