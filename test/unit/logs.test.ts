// The pure parts of the log stream: timestamps as the kubelet writes them, the second-precision
// sinceTime a resume asks for, and the cursor that drops what a resumed stream repeats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogCursor, parseTimestamp, sinceTimeFor } from '../../src/kube/logs.ts';
import { parseNodeProcesses } from '../../src/kube/nodeInspector.ts';

test('parseTimestamp: RFC3339 with 0 to 9 fraction digits and any zone, to nanoseconds', () => {
  const base = BigInt(Date.parse('2026-01-02T03:04:05Z')) * 1_000_000n;
  const cases: Array<[string, bigint | undefined]> = [
    ['2026-01-02T03:04:05Z', base],
    ['2026-01-02T03:04:05.000000001Z', base + 1n],
    ['2026-01-02T03:04:05.5Z', base + 500_000_000n],
    ['2026-01-02T03:04:05.123456789Z', base + 123_456_789n],
    ['2026-01-02T05:04:05.000000002+02:00', base + 2n],
    ['2026-01-02 03:04:05Z', undefined],
    ['line 1', undefined],
    ['', undefined],
  ];
  for (const [text, want] of cases) assert.equal(parseTimestamp(text), want, text);
});

test('sinceTimeFor: whole seconds in UTC, what the API server passes on to the kubelet', () => {
  assert.equal(sinceTimeFor(parseTimestamp('2026-01-02T03:04:05.999999999Z')!), '2026-01-02T03:04:05Z');
  assert.equal(sinceTimeFor(parseTimestamp('2026-01-02T05:04:05.1+02:00')!), '2026-01-02T03:04:05Z');
});

const stamped = (ns: number, text: string) => `2026-01-02T03:04:05.${String(ns).padStart(9, '0')}Z ${text}\n`;

test('LogCursor: lines split across chunks, timestamps taken off the text', () => {
  const cursor = new LogCursor();
  cursor.resume();
  const whole = stamped(1, 'héllo') + stamped(2, 'world');
  const bytes = Buffer.from(whole);
  // Cut inside the multi-byte é and inside the second timestamp.
  const a = cursor.push(bytes.subarray(0, 32));
  const b = cursor.push(bytes.subarray(32, 45));
  const c = cursor.push(bytes.subarray(45));
  assert.deepEqual([...a, ...b, ...c].map((l) => l.text), ['héllo', 'world']);
  assert.equal(a.length + b.length, 1);
  assert.equal(c[0]!.timestamp, '2026-01-02T03:04:05.000000002Z');
});

test('LogCursor: a resumed stream repeats its first second; only new lines come through', () => {
  const cursor = new LogCursor();
  cursor.resume();
  const first = cursor.push(Buffer.from(stamped(1, 'a') + stamped(5, 'b') + stamped(5, 'c')));
  assert.deepEqual(first.map((l) => l.text), ['a', 'b', 'c']);
  // The connection drops mid-line: the fragment is not a line.
  assert.deepEqual(cursor.push(Buffer.from('2026-01-02T03:04:05.000000009Z par')), []);
  cursor.resume();
  // sinceTime=...:05Z brings the whole second back, including two lines stamped exactly like the
  // last one shown (only two of them were shown) and a third with that stamp that is new.
  const again = cursor.push(Buffer.from(stamped(1, 'a') + stamped(5, 'b') + stamped(5, 'c') + stamped(5, 'c2') + stamped(9, 'partial no more')));
  assert.deepEqual(again.map((l) => l.text), ['c2', 'partial no more']);
});

test('LogCursor: an unterminated last line counts at a clean end', () => {
  const cursor = new LogCursor();
  cursor.resume();
  assert.deepEqual(cursor.push(Buffer.from('2026-01-02T03:04:05.000000001Z cut her')), []);
  assert.deepEqual(cursor.flush().map((l) => l.text), ['cut her']);
  assert.deepEqual(cursor.flush(), []);
});

test('parseNodeProcesses: "PID command line" lines from the container, sorted by PID', () => {
  const out = '27 node --inspect-port=9229 server.js \n1 /usr/local/bin/node app.js \nnot a process\n\n';
  assert.deepEqual(parseNodeProcesses(out), [
    { pid: 1, command: '/usr/local/bin/node app.js' },
    { pid: 27, command: 'node --inspect-port=9229 server.js' },
  ]);
});
