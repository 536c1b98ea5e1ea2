import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { formatAge, summarizeContainers, summarizePod } from '../../src/kube/podSummary.ts';

const NOW = Date.parse('2026-01-01T12:00:00Z');

function pod(overrides: { phase?: string; statuses?: object[]; deleting?: boolean; init?: object[]; containers?: string[] }): V1Pod {
  const containers = overrides.containers ?? ['app'];
  return {
    metadata: {
      name: 'p',
      creationTimestamp: new Date(NOW - 300_000),
      ...(overrides.deleting ? { deletionTimestamp: new Date(NOW) } : {}),
    },
    spec: {
      containers: containers.map((name) => ({ name, image: `img/${name}` })),
      initContainers: overrides.init ? [{ name: 'init', image: 'img/init' }] : undefined,
    },
    status: {
      phase: overrides.phase ?? 'Running',
      containerStatuses: overrides.statuses as never,
      initContainerStatuses: overrides.init as never,
    },
  } as V1Pod;
}

const running = (ready: boolean, restarts = 0) => ({ name: 'app', ready, restartCount: restarts, image: 'img/app', imageID: '', state: { running: { startedAt: new Date() } } });

test('pod states are classified like kubectl STATUS', () => {
  const cases: Array<[string, V1Pod, string, string]> = [
    ['running ready', pod({ statuses: [running(true)] }), 'running', 'Running'],
    ['running not ready', pod({ statuses: [running(false)] }), 'notReady', 'Running'],
    ['pending', pod({ phase: 'Pending', statuses: [{ name: 'app', ready: false, restartCount: 0, image: '', imageID: '', state: { waiting: { reason: 'ContainerCreating' } } }] }), 'pending', 'ContainerCreating'],
    ['succeeded', pod({ phase: 'Succeeded', statuses: [{ name: 'app', ready: false, restartCount: 0, image: '', imageID: '', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }), 'succeeded', 'Completed'],
    ['failed', pod({ phase: 'Failed', statuses: [{ name: 'app', ready: false, restartCount: 0, image: '', imageID: '', state: { terminated: { exitCode: 1, reason: 'Error' } } }] }), 'failed', 'Error'],
    ['crashloop', pod({ statuses: [{ name: 'app', ready: false, restartCount: 5, image: '', imageID: '', state: { waiting: { reason: 'CrashLoopBackOff' } } }] }), 'crashLoop', 'CrashLoopBackOff'],
    ['terminating', pod({ deleting: true, statuses: [running(true)] }), 'terminating', 'Terminating'],
    ['init running', pod({ phase: 'Pending', init: [{ name: 'init', ready: false, restartCount: 0, image: '', imageID: '', state: { running: {} } }] }), 'pending', 'Init:0/1'],
  ];
  for (const [name, p, state, reason] of cases) {
    const s = summarizePod(p, NOW);
    assert.equal(s.state, state, name);
    assert.equal(s.reason, reason, name);
  }
});

test('ready count, restarts and age are summed over containers', () => {
  const p = pod({ containers: ['app', 'side'], statuses: [running(true, 2), { ...running(false, 3), name: 'side' }] });
  const s = summarizePod(p, NOW);
  assert.deepEqual([s.ready, s.total, s.restarts, s.ageMs], [1, 2, 5, 300_000]);
});

test('containers list init, app and ephemeral containers with their state', () => {
  const p = pod({ init: [{ name: 'init', ready: false, restartCount: 0, image: '', imageID: '', state: { terminated: { exitCode: 0, reason: 'Completed' } } }], statuses: [running(true)] });
  p.spec!.ephemeralContainers = [{ name: 'debugger', image: 'busybox' }];
  const list = summarizeContainers(p);
  assert.deepEqual(list.map((c) => [c.name, c.kind, c.state, c.reason ?? '']), [
    ['init', 'init', 'terminated', 'Completed'],
    ['app', 'container', 'running', ''],
    ['debugger', 'ephemeral', 'unknown', ''],
  ]);
});

test('age is printed as kubectl prints it', () => {
  const cases: Array<[number, string]> = [
    [45_000, '45s'], [119_000, '119s'], [150_000, '2m30s'], [600_000, '10m'], [3 * 3600_000 + 5 * 60_000, '3h5m'],
    [10 * 3600_000, '10h'], [50 * 3600_000, '2d2h'], [20 * 86400_000, '20d'], [800 * 86400_000, '2y70d'],
  ];
  for (const [ms, text] of cases) assert.equal(formatAge(ms), text, String(ms));
  assert.equal(formatAge(undefined), '<unknown>');
});
