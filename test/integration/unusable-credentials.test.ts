// A kubeconfig entry that cannot be used, and names that cannot be sent, as the extension meets
// them: the tree's ClusterClient and the terminals' ExecSession (both through the kubeconfig
// loader the extension uses) report the same clear error, naming the entry, and never go on
// with an anonymous request.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubesim, type Kubesim } from '../kubesim/index.ts';
import { kubeConfigForContext, loadKubeconfig, type LoadedKubeconfig } from '../../src/kube/kubeconfig.ts';
import { ClusterClient } from '../../src/kube/cluster.ts';
import { ExecSession } from '../../src/kube/exec/session.ts';
import { startFaultServer } from '../faults/faultServer.ts';

let sim: Kubesim;
let dir: string;
let loaded: LoadedKubeconfig;
let file: string;
const clients: ClusterClient[] = [];

/** The contexts of the broken kubeconfig, each with what its error must say. */
const BROKEN: Record<string, RegExp> = {
  'bad-ca-base64': /certificate-authority-data of cluster "bad-ca-base64" could not be decoded \(illegal base64 data at input byte 0\)/,
  'ca-not-pem': /unable to load root certificates of cluster "ca-not-pem": its certificate-authority holds no PEM certificate/,
  'rsa-key-ec-cert': /The client-key of user "rsa-key-ec-cert" is an RSA key, but its client-certificate is for an EC key/,
  'bad-server': /The server URL "http\/\/x:::" of cluster "bad-server" in the kubeconfig is not usable/,
  'ghost-user': /refers to user "ghost", which is not defined in the kubeconfig/,
  'odd-provider': /user "odd-provider": no Auth Provider found for name "bogus-provider"/,
};

before(async () => {
  sim = await startKubesim();
  dir = await mkdtemp(join(tmpdir(), 'unusable-credentials-'));
  const kubesimConfig = await readFile(sim.kubeconfigPath, 'utf8');
  const ca = /certificate-authority-data: (\S+)/.exec(kubesimConfig)![1]!;
  const cert = /client-certificate-data: (\S+)/.exec(kubesimConfig)![1]!;
  const rsaKey = Buffer.from(execFileSync('openssl', ['genrsa', '2048'], { stdio: ['ignore', 'pipe', 'ignore'] })).toString('base64');
  // The real token of kubesim's admin, so that one context of the file works.
  const admin = /- name: admin\n  user:\n    token: "([^"]+)"/.exec(kubesimConfig)![1]!;
  const cluster = (name: string, extra: string) => `- name: ${name}\n  cluster: {server: "${sim.url}", ${extra}}\n`;
  file = join(dir, 'broken.yaml');
  await writeFile(
    file,
    `apiVersion: v1
kind: Config
clusters:
${cluster('good', `certificate-authority-data: ${ca}`)}${cluster('bad-ca-base64', `certificate-authority-data: "!!!${ca}"`)}${cluster('ca-not-pem', `certificate-authority-data: ${Buffer.from('not a certificate').toString('base64')}`)}- name: bad-server
  cluster: {server: "http//x:::"}
users:
- name: admin
  user: {token: "${admin}"}
- name: token
  user: {token: "not-printed-token-1234"}
- name: rsa-key-ec-cert
  user: {client-certificate-data: ${cert}, client-key-data: ${rsaKey}}
- name: odd-provider
  user: {auth-provider: {name: bogus-provider}}
contexts:
- {name: bad-ca-base64, context: {cluster: bad-ca-base64, user: token}}
- {name: ca-not-pem, context: {cluster: ca-not-pem, user: token}}
- {name: rsa-key-ec-cert, context: {cluster: good, user: rsa-key-ec-cert}}
- {name: bad-server, context: {cluster: bad-server, user: token}}
- {name: ghost-user, context: {cluster: good, user: ghost}}
- {name: odd-provider, context: {cluster: good, user: odd-provider}}
- {name: admin, context: {cluster: good, user: admin}}
`,
  );
  loaded = await loadKubeconfig({ files: [file] });
});

after(async () => {
  for (const c of clients) c.dispose();
  await sim?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('the file names its unusable entries, and the rest of it still loads', () => {
  const problems = loaded.problems.map((p) => p.message).join('\n');
  assert.ok(loaded.problems.some((p) => p.file === file && p.message.startsWith('certificate-authority-data of cluster "bad-ca-base64" could not be decoded')), problems);
  assert.match(problems, /user "odd-provider": no Auth Provider found/);
  assert.ok(!problems.includes('not-printed-token'), problems);
  assert.deepEqual(loaded.contexts.map((c) => c.name).sort(), ['admin', 'bad-ca-base64', 'bad-server', 'ca-not-pem', 'ghost-user', 'odd-provider', 'rsa-key-ec-cert']);
});

test('the tree and a shell both say what is wrong with the entry; nothing goes out anonymous', { timeout: 60_000 }, async () => {
  for (const [context, expected] of Object.entries(BROKEN)) {
    const client = new ClusterClient(kubeConfigForContext(loaded, context));
    clients.push(client);
    await assert.rejects(client.listPods('default'), (err: Error) => {
      assert.match(err.message, expected, `tree, ${context}`);
      assert.doesNotMatch(err.message, /anonymous|forbidden|self-signed|Invalid URL|not-printed-token/i, `tree, ${context}`);
      return true;
    });
    const session = ExecSession.start(kubeConfigForContext(loaded, context), { namespace: 'default', pod: 'web-0', command: ['true'] });
    const result = await session.result;
    assert.equal(result.kind, 'error', `shell, ${context}: ${JSON.stringify(result)}`);
    assert.ok(result.kind === 'error');
    assert.match(result.message, expected, `shell, ${context}`);
    assert.equal(result.noResponse, true, `shell, ${context}: nothing was sent`);
  }
});

test('names that would change the path, and a namespace that does not exist, as the tree and a shell meet them', { timeout: 60_000 }, async () => {
  const config = kubeConfigForContext(loaded, 'admin');
  const client = new ClusterClient(config);
  clients.push(client);
  await assert.rejects(client.getPod('..', 'web-0'), { message: `invalid namespace "..": [may not be '..']` });
  await assert.rejects(client.listPods('a/b'), { message: `invalid namespace "a/b": [may not contain '/']` });
  await assert.rejects(client.getPod('default', '.'), { message: `invalid resource name ".": [may not be '.']` });
  const run = (target: { namespace: string; pod: string; container?: string }) => ExecSession.start(config, { ...target, command: ['true'] }).result;
  assert.deepEqual(await run({ namespace: 'default', pod: '..' }), { kind: 'error', message: `invalid resource name "..": [may not be '..']`, noResponse: true });
  assert.deepEqual(await run({ namespace: 'default', pod: 'web-0', container: '%2e' }), {
    kind: 'error',
    message: `invalid container name "%2e": [may not contain '%']`,
    noResponse: true,
  });
  assert.deepEqual(await run({ namespace: 'no-such-ns', pod: 'web-0' }), {
    kind: 'error',
    message: 'namespaces "no-such-ns" not found',
    httpStatus: 404,
    reason: 'NotFound',
  });
  // A pod that is missing in a namespace that exists stays the pod's error.
  assert.deepEqual(await run({ namespace: 'default', pod: 'nope' }), { kind: 'error', message: 'pods "nope" not found', httpStatus: 404, reason: 'NotFound' });
  // And the working context still works.
  const ok = ExecSession.start(config, { namespace: 'default', pod: 'web-0', command: ['true'] });
  ok.stdout.resume();
  assert.deepEqual(await ok.result, { kind: 'exit', code: 0 });
});

test('the tree meets a server that accepts the connection and then says nothing: the TLS deadline, in words', { timeout: 60_000 }, async () => {
  const silent = await startFaultServer({ transport: 'tcp-silent' });
  try {
    const text = `apiVersion: v1
kind: Config
clusters:
- name: silent
  cluster: {server: "${silent.url}", insecure-skip-tls-verify: true}
contexts:
- {name: silent, context: {cluster: silent}}
`;
    const silentFile = join(dir, 'silent.yaml');
    await writeFile(silentFile, text);
    const client = new ClusterClient(kubeConfigForContext(await loadKubeconfig({ files: [silentFile] }), 'silent'));
    clients.push(client);
    const began = Date.now();
    await assert.rejects(client.listNamespaces(), {
      message: `Unable to connect to ${silent.url}: the server accepted the connection but did not complete the TLS handshake within 10 s. Is an HTTPS server (the API server, or a proxy in front of it) listening on that port?`,
    });
    const took = Date.now() - began;
    assert.ok(took >= 9_000 && took < 20_000, `took ${took} ms`);
    assert.equal(await silent.waitAllClosed(5_000), true, 'nothing left connected');
  } finally {
    await silent.close();
  }
});
