// ClusterClient against kubesim: every way of authenticating, every way of failing, paging.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startKubesim, type Kubesim } from '../kubesim/index.ts';
import { kubeConfigForContext, loadKubeconfig, type LoadedKubeconfig } from '../../src/kube/kubeconfig.ts';
import { ClusterClient } from '../../src/kube/cluster.ts';
import { KubeApiError } from '../../src/kube/errors.ts';

let sim: Kubesim;
let loaded: LoadedKubeconfig;
const clients: ClusterClient[] = [];

before(async () => {
  sim = await startKubesim({ pods: 25, bulkNamespaces: 1 });
  loaded = await loadKubeconfig({ files: [sim.kubeconfigPath] });
  assert.deepEqual(loaded.problems, []);
});

after(async () => {
  for (const client of clients) client.dispose();
  await sim.stop();
});

function client(context: string): ClusterClient {
  const c = new ClusterClient(kubeConfigForContext(loaded, context));
  clients.push(c);
  return c;
}

const names = (pods: Array<{ metadata?: { name?: string } }>): string[] => pods.map((p) => p.metadata!.name!).sort();

test('token, client-certificate and exec-plugin contexts all list pods', async () => {
  for (const context of ['kubesim', 'kubesim-cert', 'kubesim-exec']) {
    const c = client(context);
    assert.equal(c.server, sim.url);
    const { pods, resourceVersion } = await c.listPods('default');
    assert.ok(names(pods).includes('web-0'), `${context} sees web-0`);
    assert.match(resourceVersion, /^\d+$/);
    const web = pods.find((p) => p.metadata?.name === 'web-0')!;
    // Timestamps are Dates, as client-node's V1Pod type promises.
    assert.ok(web.metadata?.creationTimestamp instanceof Date, `${context}: creationTimestamp is a Date`);
    assert.ok(web.status?.startTime instanceof Date);
  }
});

test('listNamespaces lists every namespace for a user allowed to', async () => {
  const { names: all, fallbackReason } = await client('kubesim').listNamespaces();
  assert.equal(fallbackReason, undefined);
  for (const ns of ['bulk', 'default', 'demo', 'kube-system']) assert.ok(all.includes(ns), `has ${ns}`);
});

test('forbidden to list namespaces: the context namespace, with the reason', async () => {
  const c = client('kubesim-forbidden');
  const result = await c.listNamespaces();
  assert.deepEqual(result.names, ['default']);
  assert.match(result.fallbackReason ?? '', /only the context's namespace "default"/);
  assert.ok(
    result.fallbackReason!.includes('namespaces is forbidden: User "dev" cannot list resource "namespaces" in API group "" at the cluster scope'),
    result.fallbackReason,
  );
  // The same user may still list pods where its role allows, and gets the Status message where not.
  assert.ok((await c.listPods('default')).pods.length > 0);
  await assert.rejects(c.listPods('demo'), (err: unknown) => {
    assert.ok(err instanceof KubeApiError);
    assert.equal(err.httpStatus, 403);
    assert.equal(err.message, 'Forbidden: pods is forbidden: User "dev" cannot list resource "pods" in API group "" in the namespace "demo"');
    return true;
  });
});

test('a bad token is "Unauthorized"', async () => {
  await assert.rejects(client('kubesim-badtoken').listPods('default'), (err: unknown) => {
    assert.ok(err instanceof KubeApiError);
    assert.equal(err.httpStatus, 401);
    assert.match(err.message, /^Unauthorized: /);
    assert.ok(!err.message.includes('kubesim-invalid-token'), 'the token is not in the message');
    return true;
  });
});

test('an unreachable server is "Unable to connect to https://127.0.0.1:1: ..."', async () => {
  const c = client('kubesim-unreachable');
  await assert.rejects(c.listNamespaces(), /^Error: Unable to connect to https:\/\/127\.0\.0\.1:1: connect ECONNREFUSED 127\.0\.0\.1:1/);
  await assert.rejects(c.listPods(undefined), /Unable to connect to https:\/\/127\.0\.0\.1:1: /);
});

test('a server certificate from an unknown authority is explained', async () => {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const noCa = new KubeConfig();
  noCa.loadFromOptions({
    clusters: [{ name: 'kubesim', server: sim.url, skipTLSVerify: false }],
    users: loaded.entries.users,
    contexts: loaded.entries.contexts,
    currentContext: 'kubesim',
  });
  const c = new ClusterClient(noCa);
  clients.push(c);
  await assert.rejects(c.listPods('default'), (err: unknown) => {
    const message = (err as Error).message;
    assert.ok(message.startsWith(`Unable to connect to ${sim.url}: the server's certificate is signed by an unknown authority (`), message);
    assert.match(message, /Check certificate-authority or certificate-authority-data/);
    return true;
  });
});

test('pagination: limit and continue give 3 pages for 25 pods at 10 a page', async () => {
  const c = client('kubesim');
  const pages: string[][] = [];
  let token: string | undefined;
  do {
    const page = await c.listPods('bulk', { limit: 10, continueToken: token });
    pages.push(names(page.pods));
    token = page.continueToken;
  } while (token);
  assert.deepEqual(pages.map((p) => p.length), [10, 10, 5]);
  const all = pages.flat();
  assert.equal(new Set(all).size, 25);

  const seen: Array<[number, number, boolean]> = [];
  const result = await c.listAllPods('bulk', { pageSize: 10, onPage: (pods, page) => seen.push([pods.length, page.index, page.restarted]) });
  assert.deepEqual(seen, [[10, 0, false], [10, 1, false], [5, 2, false]]);
  assert.deepEqual(names(result.pods), all.sort());
  assert.match(result.resourceVersion, /^\d+$/);
});

test('a continue token that expires midway restarts the list from scratch', async () => {
  const c = client('kubesim');
  const seen: Array<[number, number, boolean]> = [];
  let expired = false;
  const result = await c.listAllPods('bulk', {
    pageSize: 10,
    onPage: (pods, page) => {
      seen.push([pods.length, page.index, page.restarted]);
      if (!expired) {
        expired = true;
        sim.faults.expireWatchHistory();
      }
    },
  });
  assert.deepEqual(seen, [[10, 0, false], [10, 0, true], [10, 1, false], [5, 2, false]]);
  assert.equal(new Set(names(result.pods)).size, 25);
});

test('label and field selectors narrow the list', async () => {
  const c = client('kubesim');
  const { pods } = await c.listPods(undefined, { labelSelector: 'app=api' });
  assert.deepEqual(names(pods), ['api-0', 'api-1']);
  const shard = await c.listAllPods('bulk', { labelSelector: 'app=bulk,shard in (3,7)' });
  assert.deepEqual(names(shard.pods), ['bulk-13', 'bulk-17', 'bulk-23', 'bulk-3', 'bulk-7']);
  const byName = await c.listPods('default', { fieldSelector: 'metadata.name=web-0' });
  assert.deepEqual(names(byName.pods), ['web-0']);
});

test('getPod returns the pod, or says it was not found', async () => {
  const c = client('kubesim');
  const pod = await c.getPod('default', 'web-0');
  assert.equal(pod.metadata?.name, 'web-0');
  assert.ok(pod.metadata?.creationTimestamp instanceof Date);
  await assert.rejects(c.getPod('default', 'no-such-pod'), (err: unknown) => {
    assert.ok(err instanceof KubeApiError);
    assert.equal(err.message, 'Not found: pods "no-such-pod" not found');
    return true;
  });
});

test('node OS: from the node when allowed, else from the pod nodeSelector', async () => {
  const admin = client('kubesim');
  const win = await admin.getPod('default', 'win-0');
  const web = await admin.getPod('default', 'web-0');
  assert.equal(await admin.nodeOperatingSystem(win), 'windows');
  assert.equal(await admin.nodeOperatingSystem(web), 'linux');
  assert.equal((await admin.getNode('win-node-1')).metadata?.labels?.['kubernetes.io/os'], 'windows');

  const dev = client('kubesim-forbidden');
  await assert.rejects(dev.getNode('win-node-1'), /^Error: Forbidden: |Forbidden: nodes "win-node-1" is forbidden/);
  assert.equal(await dev.nodeOperatingSystem(win), 'windows'); // nodeSelector
  assert.equal(await dev.nodeOperatingSystem(web), undefined); // nothing says
});

test('token-file and certificate-authority files, relative to their kubeconfig, are used', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'cluster-files-'));
  try {
    const admin = loaded.entries.users.find((u) => u.name === 'admin')!;
    const cluster = loaded.entries.clusters.find((c) => c.name === 'kubesim')!;
    await writeFile(path.join(dir, 'token'), `${admin.token}\n`);
    await writeFile(path.join(dir, 'ca.crt'), Buffer.from(cluster.caData!, 'base64'));
    const file = path.join(dir, 'config');
    await writeFile(
      file,
      [
        'current-context: files',
        `clusters: [{name: c, cluster: {server: "${sim.url}", certificate-authority: ca.crt}}]`,
        'users: [{name: u, user: {token-file: token}}]',
        'contexts: [{name: files, context: {cluster: c, user: u}}]',
      ].join('\n'),
    );
    const fromFiles = await loadKubeconfig({ files: [file] });
    assert.deepEqual(fromFiles.problems, []);
    const c = new ClusterClient(kubeConfigForContext(fromFiles, 'files'));
    clients.push(c);
    assert.ok((await c.listPods('default')).pods.length > 0);

    await rm(path.join(dir, 'ca.crt'));
    const missing = new ClusterClient(kubeConfigForContext(fromFiles, 'files'));
    clients.push(missing);
    await assert.rejects(missing.listPods('default'), /Cannot read the certificate-authority file of cluster "c": ENOENT/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a failing exec credential plugin is named in the error', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'cluster-plugin-'));
  try {
    const cluster = loaded.entries.clusters.find((c) => c.name === 'kubesim')!;
    await writeFile(path.join(dir, 'silent-fail.sh'), '#!/bin/sh\nexit 3\n', { mode: 0o755 });
    const file = path.join(dir, 'config');
    await writeFile(
      file,
      [
        `clusters: [{name: c, cluster: {server: "${sim.url}", certificate-authority-data: ${cluster.caData}}}]`,
        'users:',
        '- {name: missing, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: ./not-installed}}}',
        '- {name: failing, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: ./silent-fail.sh}}}',
        'contexts: [{name: missing, context: {cluster: c, user: missing}}, {name: failing, context: {cluster: c, user: failing}}]',
      ].join('\n'),
    );
    const plugins = await loadKubeconfig({ files: [file] });
    const notInstalled = new ClusterClient(kubeConfigForContext(plugins, 'missing'));
    const failing = new ClusterClient(kubeConfigForContext(plugins, 'failing'));
    clients.push(notInstalled, failing);
    await assert.rejects(
      notInstalled.listPods('default'),
      new RegExp(`^Error: Could not get credentials for user "missing" of context "missing" from its exec credential plugin "${path.join(dir, 'not-installed')}": spawn .*ENOENT`),
    );
    await assert.rejects(failing.listPods('default'), /exec credential plugin ".*silent-fail\.sh": the plugin failed and printed no explanation$/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('cancelled and disposed requests fail with a clear message', async () => {
  const c = client('kubesim');
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(c.listPods('default', { signal: controller.signal }), (err: unknown) => {
    assert.equal((err as Error).name, 'AbortError');
    assert.match((err as Error).message, /cancelled/);
    return true;
  });
  sim.faults.latencyMs = 300;
  try {
    await assert.rejects(c.listPods('default', { signal: AbortSignal.timeout(50) }), (err: unknown) => {
      assert.equal((err as Error).name, 'TimeoutError');
      assert.match((err as Error).message, /^Timed out waiting for the API server at https:\/\/127\.0\.0\.1:\d+/);
      return true;
    });
    const pending = c.listPods('default');
    setTimeout(() => c.dispose(), 50);
    await assert.rejects(pending, /The connection to context "kubesim" was closed/);
    await assert.rejects(c.listNamespaces(), /was closed/);
  } finally {
    sim.faults.latencyMs = 0;
  }
});
