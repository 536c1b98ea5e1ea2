// Where a saved command applies and which container it runs in, and the label selectors that say so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { matchesSelector, parseLabelSelector } from '../../src/kube/savedCommands/labelSelector.ts';
import { appliesTo, findTargets, isSkipped, targetInPod, type PodSource } from '../../src/kube/savedCommands/targets.ts';
import { prepareJobs } from '../../src/kube/savedCommands/jobs.ts';
import { compileCommand } from '../../src/kube/savedCommands/template.ts';

function pod(name: string, opts: { ns?: string; labels?: Record<string, string>; containers?: Array<[string, 'running' | 'waiting']>; defaultContainer?: string; deleting?: boolean; os?: string } = {}): V1Pod {
  const containers = opts.containers ?? [['app', 'running']];
  return {
    metadata: {
      name,
      namespace: opts.ns ?? 'shop',
      labels: { ...opts.labels, ...(opts.os ? { 'kubernetes.io/os': opts.os } : {}) },
      annotations: opts.defaultContainer ? { 'kubectl.kubernetes.io/default-container': opts.defaultContainer } : undefined,
      deletionTimestamp: opts.deleting ? new Date() : undefined,
    },
    spec: { nodeName: 'node-7', containers: containers.map(([n]) => ({ name: n, image: 'img' })) },
    status: {
      phase: 'Running',
      containerStatuses: containers.map(([n, s]) => ({
        name: n,
        image: 'img',
        imageID: '',
        ready: s === 'running',
        restartCount: 0,
        state: s === 'running' ? { running: {} } : { waiting: { reason: 'CrashLoopBackOff' } },
      })),
    },
  };
}

test('label selectors: parse and match like kubectl', () => {
  const cases: Array<[string, Record<string, string>, boolean]> = [
    ['app=web', { app: 'web' }, true],
    ['app==web', { app: 'api' }, false],
    ['app!=web', {}, true],
    ['app!=web', { app: 'web' }, false],
    ['tier in (api, db),!canary', { tier: 'db' }, true],
    ['tier in (api, db),!canary', { tier: 'db', canary: 'true' }, false],
    ['tier notin (api)', {}, true],
    ['example.com/team', { 'example.com/team': 'x' }, true],
    ['app=', { app: '' }, true],
    ['', { anything: 'x' }, true],
  ];
  for (const [selector, labels, expected] of cases) assert.equal(matchesSelector(parseLabelSelector(selector), labels), expected, `${selector} on ${JSON.stringify(labels)}`);
  assert.throws(() => parseLabelSelector('app=web,,tier=db'), /empty requirement/);
  assert.throws(() => parseLabelSelector('tier in ()'), /at least one value/);
  assert.throws(() => parseLabelSelector('app=(web)'), /"\(web\)" in "app=\(web\)" is not a valid label value/);
  assert.throws(() => parseLabelSelector('bad key=x'), /not a label requirement/);
});

test('appliesTo: contexts, namespace patterns and the label selector', () => {
  const cmd = { contexts: ['*prod*'], namespaces: ['shop-*'], selector: parseLabelSelector('app=web') };
  assert.equal(appliesTo(cmd, 'eu-prod', 'shop-1'), true);
  assert.equal(appliesTo(cmd, 'dev', 'shop-1'), false);
  assert.equal(appliesTo(cmd, 'eu-prod', 'default'), false);
  assert.equal(appliesTo(cmd, 'eu-prod', 'shop-1', pod('a', { labels: { app: 'web' } })), true);
  assert.equal(appliesTo(cmd, 'eu-prod', 'shop-1', pod('a', { labels: { app: 'db' } })), false);
  assert.equal(appliesTo({ contexts: [], namespaces: [], selector: [] }, 'any', 'any', pod('a')), true);
});

test('container choice: pattern, default-container annotation, first running; reasons when none', () => {
  const multi = pod('m', { containers: [['istio-proxy', 'running'], ['app', 'running'], ['worker', 'waiting']], defaultContainer: 'app' });
  assert.equal((targetInPod({}, 'c', multi) as { container: string }).container, 'app');
  assert.equal((targetInPod({ container: 'istio*' }, 'c', multi) as { container: string }).container, 'istio-proxy');
  assert.deepEqual(targetInPod({ container: 'work*' }, 'c', multi), { context: 'c', namespace: 'shop', pod: 'm', reason: 'container work* is not running' });
  assert.match((targetInPod({ container: 'nginx' }, 'c', multi) as { reason: string }).reason, /no container matches "nginx"/);
  assert.equal((targetInPod({ container: 'istio*' }, 'c', multi, 'app') as { container: string }).container, 'app', 'a picked container wins');
  assert.match((targetInPod({}, 'c', pod('t', { deleting: true })) as { reason: string }).reason, /terminating/);
  assert.match((targetInPod({}, 'c', pod('w', { containers: [['app', 'waiting']] })) as { reason: string }).reason, /no container is running \(CrashLoopBackOff\)/);
  const t = targetInPod({}, 'ctx', pod('p'));
  assert.ok(!isSkipped(t));
  assert.deepEqual(t, { context: 'ctx', namespace: 'shop', pod: 'p', container: 'app', node: 'node-7', nodeOS: undefined });
});

test('findTargets: namespaces by pattern, selectors combined, pods sorted, skipped ones with reasons', async () => {
  const calls: string[] = [];
  const source: PodSource = {
    namespace: 'home',
    async listNamespaces() {
      return { names: ['shop-b', 'kube-system', 'shop-a'] };
    },
    async listAllPods(ns, { labelSelector }) {
      calls.push(`${ns}?${labelSelector}`);
      return { pods: [pod('z', { ns }), pod('a', { ns }), pod('dead', { ns, containers: [['app', 'waiting']] })] };
    },
  };
  const cmd = { container: undefined, namespaces: ['shop-*'], labelSelector: 'app=web', selector: parseLabelSelector('app=web'), contexts: [] };
  const found = await findTargets(source, cmd, { context: 'c', labelSelector: 'tier=db' });
  assert.deepEqual(calls, ['shop-a?app=web,tier=db', 'shop-b?app=web,tier=db']);
  assert.deepEqual(
    found.targets.map((t) => `${t.namespace}/${t.pod}`),
    ['shop-a/a', 'shop-a/z', 'shop-b/a', 'shop-b/z'],
  );
  assert.equal(found.skipped.length, 2);

  calls.length = 0;
  await findTargets(source, { ...cmd, namespaces: [], labelSelector: undefined }, { context: 'c' });
  assert.deepEqual(calls, ['home?undefined'], "no namespace patterns: the context's namespace");
});

test('prepareJobs fills in each target, and keeps shell strings off Windows containers', () => {
  const targets = [
    { context: 'c', namespace: 'shop', pod: 'web-0', container: 'app', node: 'n1' },
    { context: 'c', namespace: 'shop', pod: 'win-0', container: 'app', node: 'n2', nodeOS: 'windows' },
  ];
  const shell = prepareJobs({ compiled: compileCommand('echo ${pod} ${input:Why}') }, targets, new Map([['Why', 'x;y']]));
  assert.deepEqual(shell.jobs.map((j) => j.argv), [['sh', '-c', "echo 'web-0' 'x;y'"]]);
  assert.equal(shell.unfit[0].pod, 'win-0');
  assert.match(shell.unfit[0].reason, /runs with sh, which Windows containers do not have/);
  const argv = prepareJobs({ compiled: compileCommand(['cmd.exe', '/c', 'echo', '${node}']) }, targets, new Map());
  assert.deepEqual(argv.jobs.map((j) => j.argv.at(-1)), ['n1', 'n2']);
});
