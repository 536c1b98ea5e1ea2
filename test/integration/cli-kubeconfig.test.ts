// The CLI's quick kubeconfig loader: merging like kubectl, credentials of each kind, and the
// fall back to client-node for what it does not cover.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientOptions } from 'ws';
import { loadCliKubeConfig, KubeconfigError } from '../../src/cli/kubeconfig.ts';

let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-kubeconfig-'));
  await mkdir(join(dir, 'certs'));
  await writeFile(join(dir, 'certs', 'ca.pem'), 'CA-FROM-FILE');
  await writeFile(join(dir, 'token'), 'token-from-file\n');
  await writeFile(join(dir, 'plugin.sh'), '#!/bin/sh\necho "{\\"apiVersion\\":\\"client.authentication.k8s.io/v1\\",\\"kind\\":\\"ExecCredential\\",\\"status\\":{\\"token\\":\\"plugin-$PLUGIN_SUFFIX\\"}}"\n', { mode: 0o755 });
  await writeFile(
    join(dir, 'a.yaml'),
    `apiVersion: v1
kind: Config
current-context: first
clusters:
- name: one
  cluster:
    server: https://one.example:6443
    certificate-authority: certs/ca.pem
    tls-server-name: api.one
- name: shared
  cluster:
    server: https://from-a.example
contexts:
- name: first
  context:
    cluster: one
    user: file-token
    namespace: team-a
users:
- name: file-token
  user:
    tokenFile: token
`,
  );
  await writeFile(
    join(dir, 'b.yaml'),
    `apiVersion: v1
kind: Config
current-context: second
clusters:
- name: shared
  cluster:
    server: https://from-b.example
    insecure-skip-tls-verify: true
contexts:
- name: second
  context:
    cluster: shared
    user: plugin
- name: first
  context:
    cluster: shared
    user: plugin
- name: oidc
  context:
    cluster: shared
    user: oidc-user
users:
- name: plugin
  user:
    as: someone
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./plugin.sh
      env:
      - name: PLUGIN_SUFFIX
        value: ok
- name: oidc-user
  user:
    auth-provider:
      name: oidc
      config:
        id-token: abc
`,
  );
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function options(kc: { applyToHTTPSOptions(o: ClientOptions): Promise<void> }): Promise<ClientOptions> {
  const o: ClientOptions = {};
  await kc.applyToHTTPSOptions(o);
  return o;
}

test('$KUBECONFIG files merge as kubectl merges them: first name and first current-context win', async () => {
  const env = { KUBECONFIG: [join(dir, 'a.yaml'), join(dir, 'missing.yaml'), join(dir, 'b.yaml')].join(':'), HOME: dir };
  const kc = await loadCliKubeConfig({ env });
  assert.equal(kc.getCurrentContext(), 'first');
  assert.equal(kc.namespace, 'team-a');
  assert.deepEqual(kc.getCurrentCluster(), { name: 'one', server: 'https://one.example:6443' });
  const o = await options(kc);
  assert.equal(String(o.ca), 'CA-FROM-FILE', 'relative to the file that named it');
  assert.equal((o as { servername?: string }).servername, 'api.one');
  assert.equal(o.headers?.['Authorization'], 'Bearer token-from-file');

  const second = await loadCliKubeConfig({ env, context: 'second' });
  assert.equal(second.namespace, 'default');
  assert.equal(second.getCurrentCluster()?.server, 'https://from-a.example', 'cluster "shared" from the first file');
});

test('exec credential plugins run with their env, relative to the kubeconfig; impersonation header', async () => {
  const kc = await loadCliKubeConfig({ kubeconfig: join(dir, 'b.yaml') });
  const o = await options(kc);
  assert.equal(o.headers?.['Authorization'], 'Bearer plugin-ok');
  assert.equal(o.headers?.['Impersonate-User'], 'someone');
  assert.equal(o.rejectUnauthorized, false);
});

test('a named file must exist; an unknown context is kubectl\'s error', async () => {
  await assert.rejects(loadCliKubeConfig({ kubeconfig: join(dir, 'nope.yaml') }), (e: unknown) => e instanceof KubeconfigError && /nope\.yaml: no such file/.test(e.message));
  await assert.rejects(loadCliKubeConfig({ kubeconfig: join(dir, 'a.yaml'), context: 'zzz' }), /context was not found for specified context: zzz/);
});

test('YAML beyond the quick reader (anchors, flow mappings, block scalars) is read by js-yaml', async () => {
  const file = join(dir, 'fancy.yaml');
  await writeFile(
    file,
    `clusters:
- name: c
  cluster: &c {server: "https://fancy.example"}
contexts:
- name: fancy
  context: {cluster: c, user: u}
users:
- name: u
  user:
    token: >-
      folded-token
current-context: fancy
`,
  );
  const kc = await loadCliKubeConfig({ kubeconfig: file });
  assert.equal(kc.getCurrentCluster()?.server, 'https://fancy.example');
  assert.equal((await options(kc)).headers?.['Authorization'], 'Bearer folded-token');
  await writeFile(file, 'clusters: [\n  token: secret-value\n');
  await assert.rejects(loadCliKubeConfig({ kubeconfig: file }), (e: unknown) => e instanceof KubeconfigError && !e.message.includes('secret-value'));
});

test('auth providers are left to client-node, loaded only then', async () => {
  const kc = await loadCliKubeConfig({ kubeconfig: join(dir, 'b.yaml'), context: 'oidc' });
  assert.equal(kc.constructor.name, 'KubeConfig');
  assert.equal(kc.getCurrentContext(), 'oidc');
  assert.equal(kc.getCurrentCluster()?.server, 'https://from-b.example');
  assert.equal(kc.namespace, 'default');
});
