// streamLogs against kubesim, whose logger-0 prints "line N" every second (and every fifth line
// also on stderr): following, timestamps, the end of a log, resuming after a dropped connection
// without repeating or losing a line, and the errors the API server gives.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeConfig } from '@kubernetes/client-node';
import { startKubesim, type Kubesim } from '../kubesim/index.ts';
import { streamLogs, type LogEvent, type LogOptions } from '../../src/kube/logs.ts';
import { KubeApiError } from '../../src/kube/errors.ts';

const T = { timeout: 60_000 };
let sim: Kubesim;
let kc: KubeConfig;

before(async () => {
  sim = await startKubesim();
  kc = new KubeConfig();
  kc.loadFromFile(sim.kubeconfigPath);
});
after(() => sim.stop());

/** What logger-0 has printed up to line n, in order. */
function expectedLines(from: number, to: number): string[] {
  const out: string[] = [];
  for (let i = from; i <= to; i++) {
    out.push(`line ${i}`);
    if (i % 5 === 0) out.push(`line ${i} (stderr)`);
  }
  return out;
}

/** Reads events until `until` says stop (or the stream ends); aborts the stream when done. */
async function collect(options: Partial<LogOptions>, until: (events: LogEvent[]) => boolean | Promise<boolean>, ms = 30_000): Promise<LogEvent[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  const events: LogEvent[] = [];
  try {
    for await (const event of streamLogs(kc, { namespace: 'demo', pod: 'logger-0', signal: controller.signal, minBackoffMs: 100, maxBackoffMs: 500, ...options })) {
      events.push(event);
      if (await until(events)) break;
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return events;
}

const texts = (events: LogEvent[]) => events.flatMap((e) => (e.kind === 'line' ? [e.text] : []));

test('follow: a line printed after the stream opened arrives', T, async () => {
  let first: number | undefined;
  const events = await collect({ follow: true, tailLines: 1 }, (ev) => {
    const lines = texts(ev).filter((t) => /^line \d+$/.test(t));
    first ??= lines.length > 0 ? Number(lines[0]!.slice(5)) : undefined;
    return first !== undefined && lines.includes(`line ${first + 1}`);
  });
  assert.ok(first !== undefined, 'a first line');
  assert.ok(texts(events).includes(`line ${first + 1}`), `line ${first + 1} after line ${first}: ${JSON.stringify(texts(events))}`);
  assert.equal(events.filter((e) => e.kind === 'line').length <= 3, true, 'tailLines=1 started at the last line');
});

test('timestamps: the kubelet\'s timestamp in front of the text when asked, always in `timestamp`', T, async () => {
  const plain = await collect({ tailLines: 2 }, () => false);
  const stamped = await collect({ tailLines: 2, timestamps: true }, () => false);
  const p = plain.filter((e) => e.kind === 'line');
  const s = stamped.filter((e) => e.kind === 'line');
  assert.equal(p.length, 2);
  for (const e of [...p, ...s]) assert.match(e.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
  for (const e of s) assert.equal(e.text, `${e.timestamp} ${e.text.slice(e.timestamp.length + 1)}`);
  for (const e of p) assert.match(e.text, /^line \d+/);
});

test('without follow the stream ends after the whole log, and says so', T, async () => {
  const events = await collect({}, () => false);
  const last = events.at(-1)!;
  assert.equal(last.kind, 'end');
  const lines = texts(events);
  assert.deepEqual(lines, expectedLines(1, Number(/\d+/.exec(lines.at(-1)!)![0])).slice(0, lines.length));
});

test('limitBytes cuts the log where kubectl would, whatever the timestamps add', T, async () => {
  await collect({ follow: true }, (ev) => texts(ev).length >= 2);
  const events = await collect({ limitBytes: 10, timestamps: false }, () => false);
  assert.deepEqual(texts(events), ['line 1', 'lin']);
  assert.equal(events.at(-1)!.kind, 'end');
});

test('a dropped connection is resumed from the last timestamp: no line twice, none lost', T, async () => {
  let dropped = false;
  let linesAtDrop = 0;
  const events = await collect({ follow: true }, (ev) => {
    const lines = texts(ev);
    if (!dropped && lines.length >= 2) {
      dropped = true;
      linesAtDrop = lines.length;
      // Cuts every connection to kubesim without a close frame or final chunk.
      sim.faults.dropConnections();
    }
    const reconnected = ev.some((e) => e.kind === 'reconnected');
    return reconnected && lines.length >= linesAtDrop + 3;
  });
  assert.ok(events.some((e) => e.kind === 'reconnecting'), 'a reconnecting event');
  const lines = texts(events);
  const lastNumber = Number(/\d+/.exec(lines.at(-1)!)![0]);
  assert.deepEqual(lines, expectedLines(1, lastNumber).slice(0, lines.length), 'every line once, in order');
});

test('reconnecting after a drop within the same second as the last line repeats nothing', T, async () => {
  // Drop right after a line arrives: the resumed request's sinceTime (whole seconds) covers it again.
  let drops = 0;
  const events = await collect({ follow: true, tailLines: 1 }, (ev) => {
    const lines = texts(ev);
    if (ev.at(-1)?.kind === 'line' && drops < 2 && lines.length === drops + 1) {
      drops++;
      sim.faults.dropConnections();
    }
    return drops >= 2 && lines.length >= 4;
  });
  const numbers = texts(events).filter((t) => !t.includes('stderr')).map((t) => Number(/\d+/.exec(t)![0]));
  for (let i = 1; i < numbers.length; i++) assert.equal(numbers[i], numbers[i - 1]! + 1, `consecutive: ${numbers}`);
});

test('refusals reach the caller with the API server\'s words', T, async () => {
  await assert.rejects(collect({ previous: true }, () => false), (err: unknown) => {
    assert.ok(err instanceof KubeApiError);
    assert.equal(err.httpStatus, 400);
    assert.equal(err.message, 'Bad request: previous terminated container "app" in pod "logger-0" not found');
    return true;
  });
  await assert.rejects(collect({ pod: 'nope' }, () => false), /Not found: pods "nope" not found/);
  await assert.rejects(collect({ namespace: 'default', pod: 'multi-0' }, () => false), /a container name must be specified for pod multi-0, choose one of: \[app sidecar\]/);
});

test('following a container whose pod is deleted ends with the reason', T, async () => {
  sim.addPod({
    metadata: { name: 'short-0', namespace: 'default' },
    spec: { containers: [{ name: 'app', image: 'kubesim/busybox', command: ['sh', '-c', 'while :; do echo tick; sleep 0.2; done'] }] },
  });
  let deleted = false;
  const events = await collect({ namespace: 'default', pod: 'short-0', follow: true }, (ev) => {
    if (!deleted && texts(ev).length >= 2) {
      deleted = true;
      sim.deletePod('default', 'short-0');
    }
    return false;
  });
  const last = events.at(-1)!;
  assert.equal(last.kind, 'end');
  assert.equal((last as { reason: string }).reason, 'The pod default/short-0 was deleted.');
});
