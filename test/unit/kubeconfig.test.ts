import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Cluster, User } from '@kubernetes/client-node';
import type { ClientOptions } from 'ws';
import { kubeConfigForContext, kubeconfigPaths, loadKubeconfig, type LoadedKubeconfig } from '../../src/kube/kubeconfig.ts';

function clusterOf(loaded: LoadedKubeconfig, name: string): Cluster | undefined {
  return loaded.entries.clusters.find((c) => c.name === name);
}

function userOf(loaded: LoadedKubeconfig, name: string): User | undefined {
  return loaded.entries.users.find((u) => u.name === name);
}

let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kubeconfig-test-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
  return file;
}

function config(opts: { current?: string; clusters?: Array<[string, string]>; users?: string[]; contexts?: Array<[string, string, string, string?]> }): string {
  const lines = ['apiVersion: v1', 'kind: Config'];
  if (opts.current !== undefined) lines.push(`current-context: ${opts.current}`);
  lines.push('clusters:');
  for (const [name, server] of opts.clusters ?? []) lines.push(`- name: ${name}`, '  cluster:', `    server: ${server}`);
  lines.push('users:');
  for (const name of opts.users ?? []) lines.push(`- name: ${name}`, '  user:', `    token: token-of-${name}`);
  lines.push('contexts:');
  for (const [name, cluster, user, ns] of opts.contexts ?? []) {
    lines.push(`- name: ${name}`, '  context:', `    cluster: ${cluster}`, `    user: ${user}`);
    if (ns) lines.push(`    namespace: ${ns}`);
  }
  return lines.join('\n') + '\n';
}

test('kubeconfigPaths splits KUBECONFIG, drops empty entries and duplicates, else uses ~/.kube/config', () => {
  const d = path.delimiter;
  assert.deepEqual(kubeconfigPaths({ KUBECONFIG: `/a/one${d}${d}/b/two${d}/a/one${d}` }, '/home/u'), ['/a/one', '/b/two']);
  assert.deepEqual(kubeconfigPaths({}, '/home/u'), [path.join('/home/u', '.kube', 'config')]);
  assert.deepEqual(kubeconfigPaths({ KUBECONFIG: '' }, '/home/u'), [path.join('/home/u', '.kube', 'config')]);
  assert.deepEqual(kubeconfigPaths({ KUBECONFIG: d }, '/home/u'), [path.join('/home/u', '.kube', 'config')]);
});

test('merging: the first file to define a name wins, current-context comes from the first file that sets it', async () => {
  const first = await write(
    'merge/first.yaml',
    config({ clusters: [['shared', 'https://first:6443']], users: ['u1'], contexts: [['shared-ctx', 'shared', 'u1', 'first-ns'], ['only-first', 'shared', 'u1']] }),
  );
  const second = await write(
    'merge/second.yaml',
    config({
      current: 'only-second',
      clusters: [['shared', 'https://second:6443'], ['other', 'https://other:6443']],
      users: ['u1', 'u2'],
      contexts: [['shared-ctx', 'other', 'u2'], ['only-second', 'other', 'u2']],
    }),
  );
  const third = await write('merge/third.yaml', config({ current: 'only-first' }));

  const loaded = await loadKubeconfig({ files: [first, second, third] });
  assert.deepEqual(loaded.problems, []);
  assert.deepEqual(loaded.files, [first, second, third]);
  // first.yaml sets no current-context, so second.yaml's is used, not third.yaml's.
  assert.equal(loaded.currentContext, 'only-second');
  assert.equal(loaded.entries.currentContext, 'only-second');
  assert.deepEqual(
    loaded.contexts.map((c) => [c.name, c.cluster, c.server, c.current]),
    [
      ['shared-ctx', 'shared', 'https://first:6443', false],
      ['only-first', 'shared', 'https://first:6443', false],
      ['only-second', 'other', 'https://other:6443', true],
    ],
  );
  assert.equal(clusterOf(loaded, 'shared')?.server, 'https://first:6443');
  assert.equal(userOf(loaded, 'u1')?.token, 'token-of-u1');
  const shared = loaded.contexts[0];
  assert.equal(shared.namespace, 'first-ns');
  assert.equal(shared.namespaceExplicit, true);
  assert.equal(loaded.contexts[1].namespace, 'default');
  assert.equal(loaded.contexts[1].namespaceExplicit, false);

  // Reversed order, reversed winners.
  const reversed = await loadKubeconfig({ files: [second, first] });
  assert.equal(clusterOf(reversed, 'shared')?.server, 'https://second:6443');
  assert.equal(reversed.contexts.find((c) => c.name === 'shared-ctx')?.cluster, 'other');
});

test('KUBECONFIG order decides the winner when no files are passed', async () => {
  const a = await write('env/a.yaml', config({ current: 'ctx-a', clusters: [['c', 'https://a:1']], users: ['u'], contexts: [['ctx-a', 'c', 'u']] }));
  const b = await write('env/b.yaml', config({ current: 'ctx-b', clusters: [['c', 'https://b:1']], users: ['u'], contexts: [['ctx-b', 'c', 'u']] }));
  const saved = process.env.KUBECONFIG;
  try {
    process.env.KUBECONFIG = [b, a].join(path.delimiter);
    const loaded = await loadKubeconfig();
    assert.equal(loaded.currentContext, 'ctx-b');
    assert.equal(clusterOf(loaded, 'c')?.server, 'https://b:1');
    assert.deepEqual(loaded.files, [b, a]);
  } finally {
    if (saved === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = saved;
  }
});

test('a missing file in the list is skipped silently; a missing extra file is a problem naming it', async () => {
  const good = await write('missing/good.yaml', config({ current: 'x', clusters: [['c', 'https://c:1']], users: ['u'], contexts: [['x', 'c', 'u']] }));
  const absent = path.join(dir, 'missing', 'nope.yaml');
  const absentExtra = path.join(dir, 'missing', 'extra-nope.yaml');

  const loaded = await loadKubeconfig({ files: [absent, good], extraFiles: [absentExtra] });
  assert.deepEqual(loaded.files, [good]);
  assert.equal(loaded.problems.length, 1);
  assert.equal(loaded.problems[0].file, absentExtra);
  assert.match(loaded.problems[0].message, /extra-nope\.yaml/);
  assert.match(loaded.problems[0].message, /does not exist/);
  assert.deepEqual(loaded.contexts.map((c) => c.name), ['x']);
});

test('malformed and unreadable files give problems naming the file and the parser message; the others still load', async () => {
  const good = await write('bad/good.yaml', config({ current: 'ok', clusters: [['c', 'https://c:1']], users: ['u'], contexts: [['ok', 'c', 'u']] }));
  const secret = 'sup3r-s3cret-token-value';
  const malformed = await write('bad/malformed.yaml', `users:\n- name: u\n  user:\n    token: ${secret}\n   bad: [indent\n`);
  const notAMap = await write('bad/list.yaml', '- just\n- a list\n');
  const aDirectory = path.join(dir, 'bad', 'a-directory');
  await mkdir(aDirectory, { recursive: true });

  const loaded = await loadKubeconfig({ files: [malformed, good, notAMap, aDirectory] });
  assert.deepEqual(loaded.contexts.map((c) => c.name), ['ok']);
  assert.equal(loaded.currentContext, 'ok');
  assert.deepEqual(loaded.files, [malformed, good, notAMap, aDirectory]);
  const byFile = new Map(loaded.problems.map((p) => [p.file, p.message]));
  assert.equal(loaded.problems.length, 3);

  const parse = byFile.get(malformed)!;
  assert.match(parse, /malformed\.yaml/);
  assert.match(parse, /line \d+, column \d+/);
  assert.ok(!parse.includes(secret), `the parse error must not quote the token: ${parse}`);

  assert.match(byFile.get(notAMap)!, /list\.yaml: it is not a kubeconfig/);
  assert.match(byFile.get(aDirectory)!, /a-directory: it is a directory/);
});

test('an invalid entry is reported and skipped, the rest of its file is kept', async () => {
  const file = await write(
    'entries/partial.yaml',
    [
      'current-context: good',
      'clusters:',
      '- name: no-server',
      '  cluster: {}',
      '- name: c',
      '  cluster: {server: "https://c:1"}',
      'users: [{name: u, user: {}}]',
      'contexts:',
      '- {name: good, context: {cluster: c, user: u}}',
      '- {name: dangling, context: {cluster: ghost, user: u}}',
    ].join('\n'),
  );
  const loaded = await loadKubeconfig({ files: [file] });
  assert.deepEqual(loaded.contexts.map((c) => c.name), ['good', 'dangling']);
  assert.equal(loaded.contexts[1].server, undefined);
  const messages = loaded.problems.map((p) => p.message);
  assert.ok(messages.some((m) => m.includes('partial.yaml') && m.includes('clusters[0].cluster.server is missing')), messages.join('\n'));
  assert.ok(messages.some((m) => m.includes('"dangling"') && m.includes('"ghost"')), messages.join('\n'));
});

test('an empty file is no problem', async () => {
  const empty = await write('empty/config', '');
  const loaded = await loadKubeconfig({ files: [empty] });
  assert.deepEqual(loaded.problems, []);
  assert.deepEqual(loaded.contexts, []);
  assert.equal(loaded.currentContext, undefined);
  assert.deepEqual(loaded.files, [empty]);
});

test('relative paths resolve against the directory of the file that holds them', async () => {
  const cfgDir = path.join(dir, 'rel', 'nested');
  await write('rel/nested/certs/token', 'file-token\n');
  const file = await write(
    'rel/nested/config',
    [
      'current-context: rel',
      'clusters:',
      '- name: c',
      '  cluster: {server: "https://c:1", certificate-authority: certs/ca.crt}',
      '- name: abs',
      '  cluster: {server: "https://abs:1", certificate-authority: /etc/abs-ca.crt}',
      'users:',
      '- name: files',
      '  user: {client-certificate: certs/client.crt, client-key: ../key.pem, token: ignored-because-token-file-wins, token-file: certs/token}',
      '- name: plugin',
      '  user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: ./bin/plugin, args: [get]}}',
      '- name: path-plugin',
      '  user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: kubelogin}}',
      'contexts:',
      '- {name: rel, context: {cluster: c, user: files}}',
    ].join('\n'),
  );
  const loaded = await loadKubeconfig({ files: [file] });
  assert.deepEqual(loaded.problems, []);
  const kc = { getCluster: (name: string) => clusterOf(loaded, name), getUser: (name: string) => userOf(loaded, name) };
  assert.equal(kc.getCluster('c')?.caFile, path.join(cfgDir, 'certs', 'ca.crt'));
  assert.equal(kc.getCluster('abs')?.caFile, '/etc/abs-ca.crt');
  const user = kc.getUser('files')!;
  assert.equal(user.certFile, path.join(cfgDir, 'certs', 'client.crt'));
  assert.equal(user.keyFile, path.join(dir, 'rel', 'key.pem'));
  assert.equal(user.authProvider?.config?.tokenFile, path.join(cfgDir, 'certs', 'token'));
  assert.equal(kc.getUser('plugin')?.exec.command, path.join(cfgDir, 'bin', 'plugin'));
  // A bare command is looked up on PATH, as kubectl does: left alone.
  assert.equal(kc.getUser('path-plugin')?.exec.command, 'kubelogin');

  // The token file is found relative to the kubeconfig, not the current directory, and wins over token.
  const forContext = kubeConfigForContext(loaded, 'rel');
  forContext.getCluster('c')!.caFile = undefined;
  forContext.getUser('files')!.certFile = undefined;
  forContext.getUser('files')!.keyFile = undefined;
  const opts: ClientOptions = {};
  await forContext.applyToHTTPSOptions(opts);
  assert.match(String((opts.headers as Record<string, string>).Authorization), /^Bearer file-token/);
});

test('a missing token-file does not stop the file from loading', async () => {
  const file = await write(
    'tokenfile/config',
    ['clusters: [{name: c, cluster: {server: "https://c:1"}}]', 'users: [{name: u, user: {token-file: not-there}}]', 'contexts: [{name: t, context: {cluster: c, user: u}}]'].join('\n'),
  );
  const loaded = await loadKubeconfig({ files: [file] });
  assert.deepEqual(loaded.problems, []);
  assert.deepEqual(loaded.contexts.map((c) => c.name), ['t']);
});

test('loading and copying never write the kubeconfig files', async () => {
  const a = await write('nowrite/a', config({ current: 'a', clusters: [['c', 'https://c:1']], users: ['u'], contexts: [['a', 'c', 'u'], ['b', 'c', 'u', 'ns']] }));
  const b = await write('nowrite/b', config({ current: 'b', clusters: [['d', 'https://d:1']], users: ['v'], contexts: [['z', 'd', 'v']] }));
  const before = await Promise.all([a, b].map(async (f) => ({ text: await readFile(f, 'utf8'), mtime: (await stat(f)).mtimeMs })));

  const loaded = await loadKubeconfig({ files: [a, b] });
  const copy = kubeConfigForContext(loaded, 'b');
  kubeConfigForContext(loaded, 'z');
  await new Promise((resolve) => setTimeout(resolve, 20));

  const afterLoad = await Promise.all([a, b].map(async (f) => ({ text: await readFile(f, 'utf8'), mtime: (await stat(f)).mtimeMs })));
  assert.deepEqual(afterLoad, before);
  assert.equal(loaded.entries.currentContext, 'a');
});

test('kubeConfigForContext returns an independent copy targeting the context, and names an unknown one', async () => {
  const file = await write('copy/config', config({ current: 'a', clusters: [['c', 'https://c:1'], ['d', 'https://d:1']], users: ['u'], contexts: [['a', 'c', 'u'], ['b', 'd', 'u', 'team']] }));
  const loaded = await loadKubeconfig({ files: [file] });

  const copy = kubeConfigForContext(loaded, 'b');
  assert.equal(copy.getCurrentContext(), 'b');
  assert.equal(copy.getCurrentCluster()?.server, 'https://d:1');
  assert.equal(copy.getContextObject('b')?.namespace, 'team');
  assert.equal(loaded.entries.currentContext, 'a');
  copy.getCluster('d')!.caFile = '/changed';
  assert.equal(clusterOf(loaded, 'd')?.caFile, undefined);

  assert.throws(() => kubeConfigForContext(loaded, 'nope'), /Context "nope" is not defined in the kubeconfig \(it has: a, b\)/);
});
