// kubesim proven by @kubernetes/client-node's own classes, an outside client nobody on this project
// wrote (issue 11, "Three outside clients"): KubeConfig reads kubesim's kubeconfig; CoreV1Api
// lists, reads and pages; Watch sees ADDED, MODIFIED and DELETED for changes made through kubesim,
// and the 410 ERROR event after a compaction; an informer lists and watches; Exec, Attach, Log and
// PortForward carry real bytes. The engine under src/ is not used here: every request is
// client-node's.
//
// Where client-node itself loses information (a refused upgrade's Status, a log error's text), the
// assertions say what client-node gives against a real API server, and a comment says so.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PassThrough, Readable, Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ApiException, Attach, CoreV1Api, Exec, Health, KubeConfig, Log, makeInformer, PatchStrategy, PortForward, setHeaderOptions, VersionApi, Watch,
  type LogOptions, type V1Pod, type V1Status,
} from '@kubernetes/client-node';
import type { WebSocket } from 'ws';
import { startKubesim, type Kubesim } from '../kubesim/index.ts';

/** Pods this file adds live here, so the fixture namespaces stay as every other test expects them. */
const NS = 'client-node';

/** Awaits a condition that client-node's callbacks make true (a poll: they offer no other hook). */
async function until(check: () => boolean, what: () => string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await sleep(10);
  }
}

/** A Writable that keeps what client-node writes into it. */
class Sink extends Writable {
  private readonly chunks: Buffer[] = [];
  finished = false;
  /** An error of the stream client-node piped in (see the constructor). */
  sourceError: Error | undefined;

  constructor() {
    super();
    this.on('finish', () => (this.finished = true));
    // client-node's Log pipes the response body into us and listens for no error on it, so the
    // AbortError of its own AbortController (the documented way to stop following) would be an
    // uncaught exception, against a real cluster as against kubesim. A client-node user has to
    // catch it on the piped stream, which 'pipe' hands over.
    this.on('pipe', (source: Readable) => source.on('error', (err) => (this.sourceError = err)));
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(Buffer.from(chunk));
    callback();
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  text(): string {
    return this.bytes().toString('utf8');
  }

  async contains(wanted: string | RegExp, timeoutMs?: number): Promise<string> {
    const has = () => (typeof wanted === 'string' ? this.text().includes(wanted) : wanted.test(this.text()));
    await until(has, () => `${String(wanted)} in ${JSON.stringify(this.text())}`, timeoutMs);
    return this.text();
  }
}

/**
 * A terminal's stdout as client-node recognises one (rows, columns and 'resize'): Exec and Attach
 * then send its size on the resize channel, as they do for process.stdout.
 */
class TerminalSink extends Sink {
  rows = 30;
  columns = 100;
}

function closed(ws: WebSocket): Promise<number> {
  if (ws.readyState === ws.CLOSED) return Promise.resolve(-1);
  return new Promise((resolve) => ws.once('close', (code: number) => resolve(code)));
}

interface WatchEvent {
  type: string;
  object: { metadata?: { name?: string; resourceVersion?: string; labels?: Record<string, string> }; [key: string]: unknown };
}

/** One client-node Watch: its events, how it ended, and a way to stop it. */
async function startWatch(kc: KubeConfig, path: string, query: Record<string, string | number | boolean | undefined>) {
  const events: WatchEvent[] = [];
  let resolveDone: (err: unknown) => void = () => undefined;
  const done = new Promise<unknown>((resolve) => (resolveDone = resolve));
  const controller = await new Watch(kc).watch(path, query, (type, object) => events.push({ type, object }), (err) => resolveDone(err));
  return {
    events,
    done,
    stop: () => controller.abort(),
    async next(check: (e: WatchEvent) => boolean, what: string): Promise<WatchEvent> {
      await until(() => events.some(check), () => `${what}; events so far: ${JSON.stringify(events.map((e) => [e.type, e.object.metadata?.name]))}`);
      return events.find(check)!;
    },
  };
}

/** RFC3339Nano to milliseconds, rounded down (Date.parse does not promise nine fraction digits). */
function millis(stamp: string): number {
  return Date.parse(`${stamp.slice(0, 23)}Z`);
}

/** Lines of a `timestamps=true` log, split into time and text. */
function stamped(text: string): Array<{ ms: number; line: string }> {
  return text.split('\n').filter(Boolean).map((l) => {
    const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z) (.*)$/.exec(l);
    assert.ok(m, `not a timestamped log line: ${JSON.stringify(l)}`);
    return { ms: millis(m[1]!), line: m[2]! };
  });
}

/** The numbers of "tick N" lines. */
function ticks(lines: string[]): number[] {
  return lines.map((l) => {
    const m = /^tick (\d+)$/.exec(l);
    assert.ok(m, `not a tick line: ${JSON.stringify(l)}`);
    return Number(m[1]);
  });
}

function consecutive(numbers: number[]): boolean {
  return numbers.every((n, i) => i === 0 || n === numbers[i - 1]! + 1);
}

async function refusal(promise: Promise<unknown>): Promise<ApiException<unknown>> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ApiException, `expected an ApiException, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to be refused');
}

/**
 * The Status an API error carries. client-node 2.x deserialises only the responses its OpenAPI
 * spec declares (2xx, 401); any other answer's body is kept as the raw text, with wire names.
 */
function statusOf(err: ApiException<unknown>): V1Status & { metadata?: { continue?: string } } {
  assert.equal(typeof err.body, 'string');
  return JSON.parse(err.body as string) as V1Status & { metadata?: { continue?: string } };
}

describe('kubesim through @kubernetes/client-node', { concurrency: 1, timeout: 60_000 }, () => {
  let sim: Kubesim;
  let kc: KubeConfig;
  let core: CoreV1Api;
  const sockets = new Set<WebSocket>();
  const aborts = new Set<AbortController>();

  /** client-node's Log, its AbortController kept so after() can end a follow a failed test left. */
  async function log(pod: string, container: string, sink: Writable, options: LogOptions, namespace = NS): Promise<AbortController> {
    const controller = await new Log(kc).log(namespace, pod, container, sink, options);
    aborts.add(controller);
    return controller;
  }

  before(async () => {
    sim = await startKubesim();
    kc = new KubeConfig();
    kc.loadFromFile(sim.kubeconfigPath);
    core = kc.makeApiClient(CoreV1Api);
  });
  after(async () => {
    for (const ws of sockets) ws.terminate();
    for (const controller of aborts) controller.abort();
    await sim.stop();
  });

  test('KubeConfig reads kubesim\'s kubeconfig; the version and health endpoints answer', async () => {
    assert.equal(kc.getCurrentCluster()?.server, sim.url);
    const user = kc.getCurrentUser();
    assert.ok(user && (user.token || user.certData || user.certFile || user.exec), JSON.stringify(user));
    const version = await kc.makeApiClient(VersionApi).getCode();
    assert.deepEqual([version.major, version.minor, version.gitVersion], ['1', '35', 'v1.35.0']);
    const health = new Health(kc);
    assert.deepEqual([await health.readyz({}), await health.livez({})], [true, true]);
  });

  test('lists and reads: namespaces, a pod, label selectors, and pages following the continue token', async () => {
    // Seven pods of our own, so the pages are known exactly.
    for (let i = 0; i < 7; i++) {
      sim.addPod({ metadata: { name: `page-${i}`, namespace: NS, labels: { set: 'paging', tier: i % 2 === 0 ? 'a' : 'b' } }, spec: { containers: [{ name: 'app', image: 'kubesim/bash' }] } });
    }

    const namespaces = await core.listNamespace();
    const nsNames = namespaces.items.map((n) => n.metadata?.name);
    for (const name of ['default', 'demo', 'kube-node-lease', 'kube-public', 'kube-system', NS]) assert.ok(nsNames.includes(name), `${name} in ${nsNames.join(' ')}`);
    assert.match(namespaces.metadata?.resourceVersion ?? '', /^\d+$/);
    assert.ok(namespaces.items.every((n) => n.status?.phase === 'Active'));

    // A read comes back as client-node's typed V1Pod: timestamps as Dates, nested objects typed.
    const web = await core.readNamespacedPod({ name: 'web-0', namespace: 'default' });
    assert.equal(web.metadata?.name, 'web-0');
    assert.deepEqual(web.metadata?.labels, { app: 'web' });
    assert.equal(web.status?.phase, 'Running');
    assert.ok(web.metadata?.creationTimestamp instanceof Date && !Number.isNaN(web.metadata.creationTimestamp.getTime()));
    assert.deepEqual(web.spec?.containers.map((c) => c.name), ['app']);
    assert.ok(web.status?.containerStatuses?.[0]?.state?.running?.startedAt instanceof Date);

    const missing = await refusal(core.readNamespacedPod({ name: 'nope', namespace: 'default' }));
    assert.equal(missing.code, 404);
    assert.deepEqual(
      (({ kind, status, reason, code, message, details }) => ({ kind, status, reason, code, message, details }))(statusOf(missing)),
      { kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404, message: 'pods "nope" not found', details: { name: 'nope', kind: 'pods' } },
    );

    const names = (pods: V1Pod[]) => pods.map((p) => p.metadata?.name ?? '');
    assert.deepEqual(names((await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=job' })).items), ['done-0', 'failed-0']);
    assert.deepEqual(names((await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app in (web,busybox)' })).items), ['busybox-0', 'web-0']);
    assert.deepEqual(names((await core.listNamespacedPod({ namespace: NS, labelSelector: 'set=paging,tier!=a' })).items), ['page-1', 'page-3', 'page-5']);

    // Pages of three (the namespace holds only these seven pods so far): the continue token
    // carries on where the last page ended, remainingItemCount counts what is left, and the last
    // page has neither.
    const everything = names((await core.listNamespacedPod({ namespace: NS })).items);
    assert.deepEqual(everything, ['page-0', 'page-1', 'page-2', 'page-3', 'page-4', 'page-5', 'page-6']);
    const pages: string[][] = [];
    const remaining: Array<number | undefined> = [];
    let token: string | undefined;
    do {
      const page = await core.listNamespacedPod({ namespace: NS, limit: 3, _continue: token });
      pages.push(names(page.items));
      remaining.push(page.metadata?.remainingItemCount);
      token = page.metadata?._continue;
    } while (token);
    assert.deepEqual(pages, [['page-0', 'page-1', 'page-2'], ['page-3', 'page-4', 'page-5'], ['page-6']]);
    assert.deepEqual(remaining, [4, 1, undefined]);

    // A selector pages over the matching pods only, and (the storage cannot count matches it has
    // not read) without remainingItemCount.
    const first = await core.listNamespacedPod({ namespace: NS, labelSelector: 'tier=a', limit: 2 });
    const second = await core.listNamespacedPod({ namespace: NS, labelSelector: 'tier=a', limit: 2, _continue: first.metadata?._continue });
    assert.deepEqual([names(first.items), names(second.items)], [['page-0', 'page-2'], ['page-4', 'page-6']]);
    assert.deepEqual([first.metadata?.remainingItemCount, second.metadata?._continue], [undefined, undefined]);

    // A continue token from before a compaction: 410 Expired, with a token to go on inconsistently.
    const before = await core.listNamespacedPod({ namespace: NS, labelSelector: 'set=paging', limit: 3 });
    sim.faults.expireWatchHistory();
    const expired = await refusal(core.listNamespacedPod({ namespace: NS, labelSelector: 'set=paging', limit: 3, _continue: before.metadata?._continue }));
    assert.equal(expired.code, 410);
    const status = statusOf(expired);
    assert.equal(status.reason, 'Expired');
    assert.match(status.message ?? '', /^The provided continue parameter is too old to display a consistent list result\./);
    const resume = status.metadata?.continue;
    assert.ok(resume);
    const inconsistent = await core.listNamespacedPod({ namespace: NS, labelSelector: 'set=paging', limit: 3, _continue: resume });
    assert.deepEqual(names(inconsistent.items), ['page-3', 'page-4', 'page-5']);
  });

  test('watch: ADDED, MODIFIED and DELETED for pods kubesim adds, changes, relabels and deletes', async () => {
    const selector = 'test=cn-watch';
    const list = await core.listNamespacedPod({ namespace: NS, labelSelector: selector });
    assert.deepEqual(list.items, []);
    const rv = list.metadata?.resourceVersion ?? '';
    // From the list's resourceVersion, as an informer watches: nothing after it may be missed,
    // even what happens before the watch's request arrives.
    const watch = await startWatch(kc, `/api/v1/namespaces/${NS}/pods`, { labelSelector: selector, resourceVersion: rv });
    const pod = (name: string) => ({ metadata: { name, namespace: NS, labels: { test: 'cn-watch' } }, spec: { containers: [{ name: 'app', image: 'kubesim/bash' }] } });
    sim.addPod(pod('w-0'));
    sim.addPod(pod('w-1'));
    sim.updatePod(NS, 'w-0', (p) => {
      p.metadata.labels = { ...p.metadata.labels, step: 'modified' };
    });
    // Leaving the selector is a DELETED for this watch, carrying the object as it is now.
    sim.updatePod(NS, 'w-1', (p) => {
      p.metadata.labels = { test: 'elsewhere' };
    });
    sim.deletePod(NS, 'w-0');
    await watch.next((e) => e.type === 'DELETED' && e.object.metadata?.name === 'w-0', 'the DELETED of w-0');
    watch.stop();
    assert.deepEqual(watch.events.map((e) => [e.type, e.object.metadata?.name, e.object.metadata?.labels]), [
      ['ADDED', 'w-0', { test: 'cn-watch' }],
      ['ADDED', 'w-1', { test: 'cn-watch' }],
      ['MODIFIED', 'w-0', { test: 'cn-watch', step: 'modified' }],
      ['DELETED', 'w-1', { test: 'elsewhere' }],
      ['DELETED', 'w-0', { test: 'cn-watch', step: 'modified' }],
    ]);
    const versions = watch.events.map((e) => Number(e.object.metadata?.resourceVersion));
    assert.ok(versions.every((v, i) => v > (i === 0 ? Number(rv) : versions[i - 1]!)), `resourceVersions rise from ${rv}: ${versions.join(' ')}`);

    // Without a resourceVersion a watch starts with the current state, as ADDED events.
    const fresh = await startWatch(kc, '/api/v1/namespaces/default/pods', { labelSelector: 'app=job' });
    await watch.done;
    await fresh.next((e) => e.object.metadata?.name === 'failed-0', 'the ADDED of failed-0');
    fresh.stop();
    assert.deepEqual(fresh.events.map((e) => [e.type, e.object.metadata?.name]), [['ADDED', 'done-0'], ['ADDED', 'failed-0']]);

    // A streaming list (WatchList): the current state, then a BOOKMARK marking its end.
    const streaming = await startWatch(kc, '/api/v1/namespaces/default/pods', {
      labelSelector: 'app=job', sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan', allowWatchBookmarks: true,
    });
    const end = await streaming.next((e) => e.type === 'BOOKMARK', 'the BOOKMARK ending the initial events');
    streaming.stop();
    assert.deepEqual(streaming.events.slice(0, 3).map((e) => [e.type, e.object.metadata?.name]), [['ADDED', 'done-0'], ['ADDED', 'failed-0'], ['BOOKMARK', undefined]]);
    assert.deepEqual((end.object.metadata as { annotations?: Record<string, string> }).annotations, { 'k8s.io/initial-events-end': 'true' });
    assert.match(end.object.metadata?.resourceVersion ?? '', /^\d+$/);
  });

  test('watch across a compaction: an older resourceVersion gets an ERROR event with 410 Expired and the watch ends', async () => {
    const label = { test: 'cn-compact' };
    const old = (await core.listNamespacedPod({ namespace: NS, labelSelector: 'test=cn-compact' })).metadata?.resourceVersion ?? '';
    // A watch established before the compaction is not ended by it, as in a real API server.
    const established = await startWatch(kc, `/api/v1/namespaces/${NS}/pods`, { labelSelector: 'test=cn-compact', resourceVersion: old });
    sim.addPod({ metadata: { name: 'c-0', namespace: NS, labels: label }, spec: { containers: [{ name: 'app', image: 'kubesim/bash' }] } });
    await established.next((e) => e.object.metadata?.name === 'c-0', 'c-0 on the established watch');
    sim.faults.expireWatchHistory();

    const stale = await startWatch(kc, `/api/v1/namespaces/${NS}/pods`, { labelSelector: 'test=cn-compact', resourceVersion: old });
    // The server ends the response after the ERROR: client-node's done callback gets no error.
    assert.equal(await stale.done, null);
    assert.equal(stale.events.length, 1, JSON.stringify(stale.events));
    const [error] = stale.events;
    assert.equal(error!.type, 'ERROR');
    assert.deepEqual(
      (({ kind, apiVersion, status, reason, code }) => ({ kind, apiVersion, status, reason, code }))(error!.object as Record<string, unknown>),
      { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410 },
    );
    assert.match(String(error!.object['message']), new RegExp(`^too old resource version: ${old} \\(\\d+\\)$`));

    // What an informer does next: list again, watch from the new list's resourceVersion.
    const relisted = await core.listNamespacedPod({ namespace: NS, labelSelector: 'test=cn-compact' });
    assert.deepEqual(relisted.items.map((p) => p.metadata?.name), ['c-0']);
    const rewatch = await startWatch(kc, `/api/v1/namespaces/${NS}/pods`, { labelSelector: 'test=cn-compact', resourceVersion: relisted.metadata?.resourceVersion });
    sim.addPod({ metadata: { name: 'c-1', namespace: NS, labels: label }, spec: { containers: [{ name: 'app', image: 'kubesim/bash' }] } });
    await rewatch.next((e) => e.object.metadata?.name === 'c-1', 'c-1 after the relist');
    await established.next((e) => e.object.metadata?.name === 'c-1', 'c-1 on the watch established before the compaction');
    rewatch.stop();
    established.stop();
    assert.deepEqual(rewatch.events.map((e) => [e.type, e.object.metadata?.name]), [['ADDED', 'c-1']]);
    assert.deepEqual(established.events.map((e) => [e.type, e.object.metadata?.name]), [['ADDED', 'c-0'], ['ADDED', 'c-1']]);
  });

  test('informer: list, then watch from the list\'s resourceVersion; a delete through CoreV1Api is graceful', async () => {
    const selector = 'test=cn-informer';
    const pod = (name: string) => ({ metadata: { name, namespace: NS, labels: { test: 'cn-informer' } }, spec: { containers: [{ name: 'app', image: 'kubesim/bash' }] } });
    sim.addPod(pod('i-0'));
    const informer = makeInformer(kc, `/api/v1/namespaces/${NS}/pods`, () => core.listNamespacedPod({ namespace: NS, labelSelector: selector }), selector);
    const seen: string[] = [];
    const errors: unknown[] = [];
    informer.on('add', (p) => seen.push(`add ${p.metadata?.name}`));
    informer.on('update', (p) => seen.push(`update ${p.metadata?.name}${p.metadata?.deletionTimestamp ? ' terminating' : ''}`));
    informer.on('delete', (p) => seen.push(`delete ${p.metadata?.name}`));
    informer.on('error', (err) => errors.push(err));
    await informer.start();
    try {
      // i-0 came from the list; what follows comes from the watch.
      assert.deepEqual(seen, ['add i-0']);
      sim.addPod(pod('i-1'));
      sim.updatePod(NS, 'i-1', (p) => {
        p.metadata.labels = { ...p.metadata.labels, step: 'modified' };
      });
      // The API server's default for a pod is its terminationGracePeriodSeconds: the pod is
      // marked terminating first, and goes when the kubelet is done (kubesim: within a second).
      const deleted = await core.deleteNamespacedPod({ name: 'i-0', namespace: NS });
      assert.ok(deleted.metadata?.deletionTimestamp instanceof Date);
      assert.equal(deleted.metadata?.deletionGracePeriodSeconds, 30);
      await until(() => seen.includes('delete i-0'), () => `the delete of i-0; seen ${seen.join(', ')}`);
      assert.deepEqual(seen, ['add i-0', 'add i-1', 'update i-1', 'update i-0 terminating', 'delete i-0']);
      assert.deepEqual(informer.list(NS).map((p) => p.metadata?.labels), [{ test: 'cn-informer', step: 'modified' }]);
      assert.deepEqual(errors, []);
    } finally {
      await informer.stop();
    }
  });

  test('exec: stdin piped in to its end, stdout and stderr apart, a non-zero exit through the status callback', async () => {
    const stdout = new Sink();
    const stderr = new Sink();
    let status: V1Status | undefined;
    // The end of the Readable is sent as v5's CLOSE for stdin, so cat sees end of input and the
    // command goes on to exit with its own code.
    const stdin = Readable.from([Buffer.from('hello from client-node\n'), Buffer.from('second line\n')]);
    const ws = await new Exec(kc).exec('default', 'web-0', 'app', ['sh', '-c', 'cat; echo to-stderr >&2; exit 3'], stdout, stderr, stdin, false, (s) => (status = s));
    sockets.add(ws);
    assert.equal(ws.protocol, 'v5.channel.k8s.io');
    await closed(ws);
    assert.equal(stdout.text(), 'hello from client-node\nsecond line\n');
    assert.equal(stderr.text(), 'to-stderr\n');
    // client-node ends both streams when the status arrives, after everything before it.
    assert.ok(stdout.finished && stderr.finished);
    assert.deepEqual(status, {
      metadata: {},
      status: 'Failure',
      message: 'command terminated with non-zero exit code: command terminated with exit code 3',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
  });

  test('exec: a MiB of random bytes through cat comes back unchanged', async () => {
    const data = randomBytes(1 << 20);
    const stdout = new Sink();
    let status: V1Status | undefined;
    // Chunks of 64 KiB, each its own stdin frame; the end is v5's CLOSE, after which cat exits.
    const chunks = Array.from({ length: 16 }, (_, i) => data.subarray(i << 16, (i + 1) << 16));
    const ws = await new Exec(kc).exec('default', 'web-0', 'app', ['cat'], stdout, new Sink(), Readable.from(chunks), false, (s) => (status = s));
    sockets.add(ws);
    // The status ends the session (client-node then ends stdout and starts the close handshake),
    // and the server reads the close frame at once: its stdin backed up on the way (client-node
    // sends without backpressure), which must not leave the socket unread (ws would wait 30 s).
    const began = Date.now();
    await closed(ws);
    assert.ok(Date.now() - began < 10_000, `the socket closed after ${Date.now() - began} ms`);
    assert.deepEqual(status, { metadata: {}, status: 'Success' });
    assert.equal(stdout.bytes().length, data.length);
    assert.ok(stdout.bytes().equals(data), 'the bytes came back as they went');
  });

  test('exec: Success, a missing executable as InternalError, and a TTY at the size client-node sends', async () => {
    const run = async (command: string[], stdout: Sink, stderr: Sink | null, tty: boolean) => {
      let status: V1Status | undefined;
      const ws = await new Exec(kc).exec('default', 'web-0', 'app', command, stdout, stderr, null, tty, (s) => (status = s));
      sockets.add(ws);
      await closed(ws);
      return status;
    };
    const ok = new Sink();
    assert.deepEqual(await run(['echo', 'fine'], ok, new Sink(), false), { metadata: {}, status: 'Success' });
    assert.equal(ok.text(), 'fine\n');

    const missing = await run(['no-such-binary'], new Sink(), new Sink(), false);
    assert.equal(missing?.status, 'Failure');
    assert.equal(missing?.reason, 'InternalError');
    assert.equal(missing?.code, 500);
    assert.match(missing?.message ?? '', /exec: "no-such-binary": executable file not found in \$PATH/);

    // A stdout with rows and columns makes client-node send its size first on the resize channel;
    // with a TTY, stderr is part of stdout and client-node asks for none.
    const terminal = new TerminalSink();
    assert.deepEqual(await run(['sh', '-c', 'stty size; tty -s && echo is-a-tty; echo err >&2'], terminal, null, true), { metadata: {}, status: 'Success' });
    assert.equal(terminal.text(), '30 100\r\nis-a-tty\r\nerr\r\n');
  });

  test('exec refused: client-node rejects with the HTTP code only', async () => {
    // A real API server answers 404 with a Status ('pods "nope" not found'); client-node's
    // WebSocketHandler rejects with ws's "Unexpected server response" and drops the body
    // (client-node #353), so the code is all a client-node user sees, from kubesim as from a cluster.
    await assert.rejects(
      new Exec(kc).exec('default', 'nope', 'app', ['true'], new Sink(), new Sink(), null, false),
      (err: unknown) => {
        const message = (err as { message?: string }).message ?? String(err);
        assert.match(message, /Unexpected server response: 404/);
        return true;
      },
    );
  });

  test('attach: to a debug container\'s shell with stdin and a TTY, added by client-node\'s patch', async () => {
    sim.addPod({ metadata: { name: 'attach-0', namespace: NS }, spec: { containers: [{ name: 'app', image: 'kubesim/busybox' }] } });
    // Strategic merge, as kubectl debug sends it (client-node's default, JSON patch, would need
    // /spec/ephemeralContainers to exist already).
    const patched = await core.patchNamespacedPodEphemeralcontainers(
      { name: 'attach-0', namespace: NS, body: { spec: { ephemeralContainers: [{ name: 'debugger', image: 'busybox:1.36', command: ['sh'], stdin: true, tty: true }] } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    assert.deepEqual(patched.spec?.ephemeralContainers?.map((c) => [c.name, c.stdin, c.tty]), [['debugger', true, true]]);

    type Pod = { status?: { ephemeralContainerStatuses?: Array<{ name: string; state?: { running?: unknown; terminated?: { exitCode?: number; reason?: string } } }> } };
    const debuggerState = (e: WatchEvent) => (e.object as Pod).status?.ephemeralContainerStatuses?.find((s) => s.name === 'debugger')?.state;
    const watch = await startWatch(kc, `/api/v1/namespaces/${NS}/pods`, { fieldSelector: 'metadata.name=attach-0', resourceVersion: patched.metadata?.resourceVersion });
    await watch.next((e) => debuggerState(e)?.running !== undefined, 'the debugger running');

    const stdout = new TerminalSink();
    const stdin = new PassThrough();
    const ws = await new Attach(kc).attach(NS, 'attach-0', 'debugger', stdout, null, stdin, true);
    sockets.add(ws);
    // client-node queues the first size and starts reading stdin on the next tick after the
    // socket opens, stdin first: input typed at once could reach the shell before the size, as
    // it would in a cluster. One turn of the event loop sends the size first.
    await new Promise<void>((resolve) => setImmediate(resolve));
    // Attach replays nothing: the shell's first prompt went to the log, so type a command.
    stdin.write('echo attach-$((6*7)); stty size\n');
    // The shell's answer, not the terminal's echo of what was typed.
    await stdout.contains(/attach-42\r\n30 100\r\n/);
    // A terminal resized mid-session: client-node sends the new size on the resize channel.
    stdout.rows = 50;
    stdout.columns = 160;
    stdout.emit('resize');
    stdin.write('stty size\n');
    await stdout.contains(/\r\n50 160\r\n/);
    stdin.write('exit 0\n');
    await closed(ws);
    // The kubelet reports no exit code to an attached client: client-node ends stdout at the
    // Success status, and the exit is in the container's status.
    assert.ok(stdout.finished);
    const terminated = await watch.next((e) => debuggerState(e)?.terminated !== undefined, 'the debugger terminated');
    watch.stop();
    const { exitCode, reason } = debuggerState(terminated)!.terminated!;
    assert.deepEqual({ exitCode, reason }, { exitCode: 0, reason: 'Completed' });
  });

  test('attach: to a container\'s running command, stdout and stderr on their own streams, from the moment of attaching', async () => {
    sim.addPod({
      metadata: { name: 'chatter-0', namespace: NS },
      spec: { containers: [{ name: 'app', image: 'kubesim/busybox', command: ['sh', '-c', 'i=0; while :; do i=$((i+1)); echo "out $i"; echo "err $i" >&2; sleep 0.05; done'] }] },
    });
    // Once "out 3" is in the log it has been written: an attach made after that cannot get it.
    const logged = new Sink();
    const follow = await log('chatter-0', 'app', logged, { follow: true });
    await logged.contains('out 3\n');
    follow.abort();

    const stdout = new Sink();
    const stderr = new Sink();
    const ws = await new Attach(kc).attach(NS, 'chatter-0', 'app', stdout, stderr, null, false);
    sockets.add(ws);
    await stdout.contains(/(out \d+\n){3}/);
    await stderr.contains(/(err \d+\n){3}/);
    ws.close();
    await closed(ws);
    const numbers = (text: string, word: string) => text.split('\n').filter(Boolean).map((l) => {
      assert.match(l, new RegExp(`^${word} \\d+$`));
      return Number(l.split(' ')[1]);
    });
    const out = numbers(stdout.text(), 'out');
    const err = numbers(stderr.text(), 'err');
    assert.ok(out[0]! > 3 && consecutive(out), `stdout from after attaching, none missing: ${out.join(' ')}`);
    assert.ok(err[0]! > 2 && consecutive(err), `stderr from after attaching, none missing: ${err.join(' ')}`);
  });

  test('logs: follow with tailLines, follow with sinceSeconds, a finished log and a refusal', async () => {
    sim.addPod({
      metadata: { name: 'ticker-0', namespace: NS },
      spec: { containers: [{ name: 'app', image: 'kubesim/busybox', command: ['sh', '-c', 'i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.1; done'] }] },
    });
    sim.addPod({
      metadata: { name: 'once-0', namespace: NS },
      spec: { restartPolicy: 'Never', containers: [{ name: 'app', image: 'kubesim/busybox', command: ['sh', '-c', 'echo first; sleep 0.05; echo second >&2; sleep 0.05; printf partial'] }] },
    });

    // The whole log, followed until a dozen lines are there: older lines for tail and since to cut.
    const whole = new Sink();
    const wholeFollow = await log('ticker-0', 'app', whole, { follow: true, timestamps: true });
    await whole.contains('tick 12\n');
    wholeFollow.abort();

    // tailLines 3: the last three lines, then new ones as they are written, none missing.
    const tail = new Sink();
    const tailFollow = await log('ticker-0', 'app', tail, { follow: true, tailLines: 3 });
    await tail.contains(/^(tick \d+\n){6}/);
    tailFollow.abort();
    const tailed = ticks(tail.text().split('\n').filter(Boolean));
    assert.ok(tailed[0]! >= 10 && consecutive(tailed), `tail 3 of at least 12 lines, then following: ${tailed.join(' ')}`);

    // sinceSeconds 1: only lines written in the last second (by the server's clock, which is
    // ours), then following. The line before the first one shown is older than that.
    const sent = Date.now();
    const since = new Sink();
    const sinceFollow = await log('ticker-0', 'app', since, { follow: true, sinceSeconds: 1, timestamps: true });
    const answered = Date.now();
    const shownFirst = (await since.contains(/^.*\n/)).split('\n')[0]!;
    await since.contains(new RegExp(`^${shownFirst.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n(.*\\n){3}`));
    sinceFollow.abort();
    const shown = stamped(since.text());
    const shownTicks = ticks(shown.map((l) => l.line));
    assert.ok(consecutive(shownTicks), shownTicks.join(' '));
    assert.ok(shown[0]!.ms >= sent - 1000, `first line at ${shown[0]!.ms}, asked at ${sent} for the last second`);
    assert.ok(shownTicks[0]! > 1, 'older lines were cut');
    const all = stamped(whole.text());
    const before = all.find((l) => l.line === `tick ${shownTicks[0]! - 1}`);
    assert.ok(before, `tick ${shownTicks[0]! - 1} is in the whole log`);
    assert.ok(before.ms < answered - 1000, `the line before the first shown, at ${before.ms}, is older than a second before ${answered}`);

    // A container that has finished: its log, stdout and stderr as written, the unterminated end
    // kept; following it ends at once, since nothing more can come.
    const watch = await startWatch(kc, `/api/v1/namespaces/${NS}/pods`, { fieldSelector: 'metadata.name=once-0' });
    await watch.next((e) => (e.object as { status?: { phase?: string } }).status?.phase === 'Succeeded', 'once-0 Succeeded');
    watch.stop();
    const finished = new Sink();
    await log('once-0', 'app', finished, {});
    await until(() => finished.finished, () => 'the end of the finished log');
    assert.equal(finished.text(), 'first\nsecond\npartial');
    const followed = new Sink();
    await log('once-0', 'app', followed, { follow: true });
    await until(() => followed.finished, () => 'a follow of a finished container to end by itself');
    assert.equal(followed.text(), 'first\nsecond\npartial');

    // The same log through CoreV1Api, which reads it whole into a string.
    assert.equal(await core.readNamespacedPodLog({ name: 'once-0', namespace: NS, container: 'app' }), 'first\nsecond\npartial');

    // The kubelet's refusal for a container that has not started is a 400 with a Status.
    // client-node's Log keeps only the code for anything but a 500 (against a cluster too);
    // CoreV1Api keeps the Status.
    const refused = await refusal(log('pending-0', 'app', new Sink(), {}, 'default'));
    assert.equal(refused.code, 400);
    assert.equal(refused.body, undefined);
    const read = await refusal(core.readNamespacedPodLog({ name: 'pending-0', namespace: 'default', container: 'app' }));
    assert.equal(read.code, 400);
    assert.deepEqual(
      (({ status, reason, code, message }) => ({ status, reason, code, message }))(statusOf(read)),
      { status: 'Failure', reason: 'BadRequest', code: 400, message: 'container "app" in pod "pending-0" is waiting to start: ContainerCreating' },
    );
  });

  test('port-forward: HTTP to node-0:8080 through the tunnel; a port nothing listens on refused on the error channel', async () => {
    // node-0's server says when it listens; its log is where that shows.
    const started = new Sink();
    const startedFollow = await log('node-0', 'app', started, { follow: true }, 'demo');
    await started.contains('listening for HTTP\n');
    startedFollow.abort();

    const output = new Sink();
    const errors = new Sink();
    const input = new PassThrough();
    const ws = await new PortForward(kc).portForward('demo', 'node-0', [8080], output, errors, input) as WebSocket;
    sockets.add(ws);
    input.write('GET /from-client-node HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    // The connection ends with the server's response, and the tunnel with its only connection.
    await closed(ws);
    assert.match(output.text(), /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(output.text(), /\r\n\r\nhello from node-0: GET \/from-client-node\n$/);
    assert.equal(errors.text(), '');

    // web-0 runs no process, so nothing listens in its network namespace: the kubelet's error,
    // in containerd's words, on the port's error channel.
    const refusedOut = new Sink();
    const refusedErr = new Sink();
    const refused = await new PortForward(kc).portForward('default', 'web-0', [8080], refusedOut, refusedErr, new PassThrough()) as WebSocket;
    sockets.add(refused);
    await closed(refused);
    assert.equal(refusedOut.text(), '');
    assert.match(refusedErr.text(), /^error forwarding port 8080 to pod [0-9a-f]{64}, uid : failed to execute portforward in network namespace "\/var\/run\/netns\/cni-[0-9a-f-]+": failed to connect to localhost:8080 inside namespace "[0-9a-f]{64}", IPv4: dial tcp4 127\.0\.0\.1:8080: connect: connection refused /);
  });
});
