// Pod watches against kubesim: events, re-list on expired history, reconnect after drops with
// backoff, and a dispose that really stops. A TCP proxy in front of kubesim lets tests cut
// the network and count connections without touching kubesim.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import type { V1Pod } from '@kubernetes/client-node';
import { startKubesim, type Kubesim } from '../kubesim/index.ts';
import { kubeConfigForContext, loadKubeconfig, type LoadedKubeconfig } from '../../src/kube/kubeconfig.ts';
import { ClusterClient, type ClusterSource, type PodWatchListener } from '../../src/kube/cluster.ts';

let sim: Kubesim;
let loaded: LoadedKubeconfig;
const cleanups: Array<() => unknown> = [];

before(async () => {
  sim = await startKubesim();
  loaded = await loadKubeconfig({ files: [sim.kubeconfigPath] });
});

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await sim.stop();
});

interface Recorded {
  syncs: string[][];
  events: string[];
  errors: Array<{ message: string; willRetry: boolean; at: number }>;
  calls: number;
}

/** A listener that records everything, and a way to wait until something shows up. */
function recorder(): { listener: PodWatchListener; log: Recorded; until: (what: string, check: (log: Recorded) => boolean, timeoutMs?: number) => Promise<void> } {
  const log: Recorded = { syncs: [], events: [], errors: [], calls: 0 };
  const waiters = new Set<() => void>();
  const changed = (): void => {
    log.calls++;
    for (const w of [...waiters]) w();
  };
  const listener: PodWatchListener = {
    onSync: (pods: V1Pod[]) => {
      log.syncs.push(pods.map((p) => p.metadata!.name!).sort());
      changed();
    },
    onEvent: (type, pod) => {
      log.events.push(`${type} ${pod.metadata!.name}`);
      changed();
    },
    onError: (message, willRetry) => {
      log.errors.push({ message, willRetry, at: Date.now() });
      changed();
    },
  };
  const until = (what: string, check: (log: Recorded) => boolean, timeoutMs = 5000): Promise<void> =>
    new Promise((resolve, reject) => {
      if (check(log)) return resolve();
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`timed out waiting for ${what}; saw ${JSON.stringify(log)}`));
      }, timeoutMs);
      const waiter = (): void => {
        if (!check(log)) return;
        clearTimeout(timer);
        waiters.delete(waiter);
        resolve();
      };
      waiters.add(waiter);
    });
  return { listener, log, until };
}

function pod(namespace: string, name: string, labels: Record<string, string> = {}) {
  return { metadata: { name, namespace, labels }, spec: { containers: [{ name: 'app', image: 'kubesim/bash' }] } };
}

function client(context = 'kubesim', kc: ClusterSource = kubeConfigForContext(loaded, context)): ClusterClient {
  const c = new ClusterClient(kc);
  cleanups.push(() => c.dispose());
  return c;
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A TCP proxy to kubesim that can be cut and restored, and that counts connections. */
async function proxy(): Promise<{ url: string; connections: () => number; open: () => number; sentBytes: () => number; cut: () => Promise<void>; restore: () => Promise<void>; close: () => Promise<void> }> {
  const target = new URL(sim.url);
  const sockets = new Set<net.Socket>();
  let connections = 0;
  let sent = 0;
  let port = 0;
  let server: net.Server | undefined;
  const listen = (): Promise<void> =>
    new Promise((resolve) => {
      server = net.createServer((down) => {
        connections++;
        const up = net.connect(Number(target.port), target.hostname);
        for (const s of [down, up]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => undefined);
        }
        down.on('data', (chunk: Buffer) => (sent += chunk.length));
        down.on('close', () => up.destroy());
        up.on('close', () => down.destroy());
        down.pipe(up).pipe(down);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as net.AddressInfo).port;
        resolve();
      });
    });
  const cut = async (): Promise<void> => {
    const s = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await listen();
  return {
    url: `https://127.0.0.1:${port}`,
    connections: () => connections,
    open: () => sockets.size,
    sentBytes: () => sent,
    cut,
    restore: listen,
    close: cut,
  };
}

/** The kubesim context, but reaching the server through `url`. */
async function viaProxy(url: string): Promise<ClusterClient> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const routed = new KubeConfig();
  routed.loadFromOptions({
    clusters: loaded.entries.clusters.map((c) => (c.name === 'kubesim' ? { ...c, server: url } : c)),
    users: loaded.entries.users,
    contexts: loaded.entries.contexts,
    currentContext: 'kubesim',
  });
  return client('kubesim', routed);
}

test('a watch syncs, then sees pods added, modified and deleted', async () => {
  sim.addNamespace('w-events');
  sim.addPod(pod('w-events', 'before'));
  const { listener, log, until } = recorder();
  const watch = client().watchPods('w-events', listener, { minBackoffMs: 50 });
  cleanups.push(() => watch.dispose());
  await until('the first sync', (l) => l.syncs.length === 1);
  assert.deepEqual(log.syncs[0], ['before']);

  sim.addPod(pod('w-events', 'new-one'));
  await until('ADDED', (l) => l.events.includes('ADDED new-one'));
  sim.updatePod('w-events', 'new-one', (p) => {
    p.metadata.labels = { ...p.metadata.labels, changed: 'yes' };
  });
  await until('MODIFIED', (l) => l.events.includes('MODIFIED new-one'));
  sim.deletePod('w-events', 'new-one');
  await until('DELETED', (l) => l.events.includes('DELETED new-one'));
  assert.deepEqual(log.events, ['ADDED new-one', 'MODIFIED new-one', 'DELETED new-one']);
  assert.deepEqual(log.errors, []);
  watch.dispose();
});

test('a label selector limits the watch to matching pods', async () => {
  sim.addNamespace('w-labels');
  const { listener, log, until } = recorder();
  const watch = client().watchPods('w-labels', listener, { labelSelector: 'tier=front' });
  cleanups.push(() => watch.dispose());
  await until('the first sync', (l) => l.syncs.length === 1);
  sim.addPod(pod('w-labels', 'back', { tier: 'back' }));
  sim.addPod(pod('w-labels', 'front', { tier: 'front' }));
  await until('ADDED front', (l) => l.events.includes('ADDED front'));
  assert.deepEqual(log.events, ['ADDED front']);
  watch.dispose();
});

test('expired watch history: the watch lists again and syncs the full state', async () => {
  sim.addNamespace('w-expire');
  const { listener, log, until } = recorder();
  const watch = client().watchPods('w-expire', listener, { minBackoffMs: 50 });
  cleanups.push(() => watch.dispose());
  await until('the first sync', (l) => l.syncs.length === 1);
  sim.addPod(pod('w-expire', 'a'));
  await until('ADDED a', (l) => l.events.includes('ADDED a'));

  // The history is compacted, then the connection breaks: resuming from the old
  // resourceVersion gets 410 Expired, so the watcher must list again.
  sim.faults.expireWatchHistory();
  sim.addPod(pod('w-expire', 'b'));
  await until('ADDED b', (l) => l.events.includes('ADDED b'));
  sim.faults.expireWatchHistory();
  sim.faults.dropConnections();
  await until('the re-list', (l) => l.syncs.length === 2);
  assert.deepEqual(log.syncs[1], ['a', 'b']);
  assert.deepEqual(log.errors, [], 'an expired history is routine, not an error');

  sim.addPod(pod('w-expire', 'c'));
  await until('events after the re-list', (l) => l.events.includes('ADDED c'));
  watch.dispose();
});

test('after a dropped connection the watch resumes, and events from the gap and after are seen', async () => {
  sim.addNamespace('w-drop');
  const { listener, log, until } = recorder();
  const watch = client().watchPods('w-drop', listener, { minBackoffMs: 100, maxBackoffMs: 1000 });
  cleanups.push(() => watch.dispose());
  await until('the first sync', (l) => l.syncs.length === 1);
  sim.addPod(pod('w-drop', 'first'));
  await until('ADDED first', (l) => l.events.includes('ADDED first'));

  sim.faults.dropConnections();
  // Before the reconnect (which waits out a backoff of at least 50 ms).
  sim.addPod(pod('w-drop', 'during-gap'));
  await until('the event from the gap', (l) => l.events.includes('ADDED during-gap'));
  sim.addPod(pod('w-drop', 'after'));
  await until('the event after reconnecting', (l) => l.events.includes('ADDED after'));
  assert.equal(log.syncs.length, 1, 'resumed from the last resourceVersion, without a new list');
  assert.deepEqual(log.errors, [], 'a working watch that broke and came back is not an error');
  assert.deepEqual(log.events, ['ADDED first', 'ADDED during-gap', 'ADDED after']);
  watch.dispose();
});

test('a watch the server ends (its timeout) is renewed without a new list', async () => {
  sim.addNamespace('w-renew');
  const { listener, log, until } = recorder();
  const link = await proxy();
  cleanups.push(() => link.close());
  const c = await viaProxy(link.url);
  const watch = c.watchPods('w-renew', listener, { minBackoffMs: 50, timeoutSeconds: 1 });
  cleanups.push(() => watch.dispose());
  await until('the first sync', (l) => l.syncs.length === 1);
  await delay(200); // the watch request is on its way
  const connections = link.connections();
  const sent = link.sentBytes();
  await delay(1100);
  sim.addPod(pod('w-renew', 'after-renewal'));
  await until('an event on the renewed watch', (l) => l.events.includes('ADDED after-renewal'));
  assert.equal(log.syncs.length, 1);
  assert.deepEqual(log.errors, []);
  // The ended response leaves its keep-alive connection reusable, so a renewal needs no new one.
  assert.ok(link.connections() - connections <= 1, `${link.connections() - connections} new connections`);
  assert.ok(link.sentBytes() > sent, 'a new watch request was sent');
  watch.dispose();
});

test('while the server is unreachable, retries back off, then the watch recovers with a fresh list', async () => {
  sim.addNamespace('w-backoff');
  const { listener, log, until } = recorder();
  const link = await proxy();
  cleanups.push(() => link.close());
  const c = await viaProxy(link.url);
  const watch = c.watchPods('w-backoff', listener, { minBackoffMs: 100, maxBackoffMs: 5000 });
  cleanups.push(() => watch.dispose());
  await until('the first sync', (l) => l.syncs.length === 1);

  // Down before anything arrived: the broken watch and the refused reconnects are reported.
  await link.cut();
  await until('five failures', (l) => l.errors.length >= 5, 10_000);
  const gaps = log.errors.slice(1, 5).map((e, i) => e.at - log.errors[i].at);
  assert.ok(gaps[3] > gaps[0], `retries wait longer and longer: ${gaps.join(', ')} ms`);
  assert.ok(gaps[3] >= 400, `the fourth retry waited at least 400 ms: ${gaps.join(', ')}`);
  assert.ok(log.errors.every((e) => e.willRetry));
  assert.match(log.errors.at(-1)!.message, /^Unable to connect to https:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED/);

  sim.addPod(pod('w-backoff', 'while-down'));
  await link.restore();
  await until('a fresh sync after recovery', (l) => l.syncs.length === 2, 10_000);
  assert.deepEqual(log.syncs[1], ['while-down']);
  sim.addPod(pod('w-backoff', 'after'));
  await until('events after recovery', (l) => l.events.includes('ADDED after'));
  watch.dispose();
});

test('dispose stops the watch: connections close and nothing more is requested or reported', async () => {
  sim.addNamespace('w-dispose');
  const { listener, log, until } = recorder();
  const link = await proxy();
  cleanups.push(() => link.close());
  const c = await viaProxy(link.url);
  const watch = c.watchPods('w-dispose', listener, { minBackoffMs: 20 });
  await until('the first sync', (l) => l.syncs.length === 1);
  sim.addPod(pod('w-dispose', 'one'));
  await until('ADDED one', (l) => l.events.includes('ADDED one'));
  assert.ok(link.open() > 0);

  watch.dispose();
  c.dispose();
  const connectionsAtDispose = link.connections();
  const callsAtDispose = log.calls;
  sim.addPod(pod('w-dispose', 'two'));
  sim.faults.dropConnections();
  await delay(300);
  assert.equal(link.connections(), connectionsAtDispose, 'no new connection after dispose');
  assert.equal(link.open(), 0, 'every connection is closed');
  assert.equal(log.calls, callsAtDispose, 'no callback after dispose');
});

test('a watch the user may not make stops with a message and does not retry', async () => {
  const { listener, log, until } = recorder();
  const watch = client('kubesim-forbidden').watchPods('demo', listener, { minBackoffMs: 20 });
  cleanups.push(() => watch.dispose());
  await until('the error', (l) => l.errors.length === 1);
  assert.equal(log.errors[0].willRetry, false);
  assert.equal(log.errors[0].message, 'Forbidden: pods is forbidden: User "dev" cannot list resource "pods" in API group "" in the namespace "demo"');
  await delay(150);
  assert.equal(log.errors.length, 1, 'no retries');
  assert.equal(log.syncs.length, 0);
});

test('ClusterClient.dispose stops every watch it started', async () => {
  const c = client();
  const a = recorder();
  const b = recorder();
  c.watchPods('default', a.listener);
  c.watchPods(undefined, b.listener);
  await a.until('sync a', (l) => l.syncs.length === 1);
  await b.until('sync b', (l) => l.syncs.length === 1);
  c.dispose();
  const calls = a.log.calls + b.log.calls;
  sim.addPod(pod('default', 'after-client-dispose'));
  await delay(200);
  assert.equal(a.log.calls + b.log.calls, calls);
  assert.throws(() => c.watchPods('default', a.listener), /was closed/);
});
