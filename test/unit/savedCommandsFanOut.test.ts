// The fan-out runner with fake sessions: the concurrency bound, stop at first failure, canary
// first, cancel (nothing new starts, running sessions are closed), bounded output, report order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { countOutcomes, orderForReport, runFanOut, type FanOutJob, type RunningSession, type StartSession } from '../../src/kube/savedCommands/fanOut.ts';
import { OutputCapture, firstLines, lineCount } from '../../src/kube/savedCommands/output.ts';
import type { ExecResult } from '../../src/kube/exec/status.ts';

function jobs(n: number): FanOutJob[] {
  return Array.from({ length: n }, (_, i) => ({
    target: { context: 'c', namespace: 'ns', pod: `pod-${i}`, container: 'app', node: 'n' },
    argv: ['sh', '-c', `exit ${i % 3}`],
  }));
}

interface FakeExec {
  start: StartSession;
  open: number;
  maxOpen: number;
  closed: number;
  started: number;
}

/** A fake: prints its pod name, exits with `code(i)` after `delayMs`, or on close() with 137. */
function fakeExec(opts: { code?: (i: number) => number; delayMs?: number; log?: string[] } = {}): FakeExec {
  const fake: FakeExec = {
    open: 0,
    maxOpen: 0,
    closed: 0,
    started: 0,
    start: (job: FanOutJob): RunningSession => {
      const i = Number(job.target.pod.split('-')[1]);
      fake.started += 1;
      fake.open += 1;
      fake.maxOpen = Math.max(fake.maxOpen, fake.open);
      opts.log?.push(`start ${i}`);
      const stdout = new Readable({ read() {} });
      const stderr = new Readable({ read() {} });
      let finish!: (r: ExecResult) => void;
      const result = new Promise<ExecResult>((resolve) => (finish = resolve));
      let timer: NodeJS.Timeout | undefined;
      const end = (r: ExecResult): void => {
        if (timer === undefined) return;
        clearTimeout(timer);
        timer = undefined;
        fake.open -= 1;
        opts.log?.push(`end ${i}`);
        stdout.push(null);
        stderr.push(null);
        finish(r);
      };
      stdout.push(`hello from ${job.target.pod}\n`);
      stderr.push('warn\n');
      timer = setTimeout(() => end({ kind: 'exit', code: opts.code?.(i) ?? 0 }), opts.delayMs ?? 5);
      return {
        stdout,
        stderr,
        result,
        close() {
          fake.closed += 1;
          end({ kind: 'exit', code: 137 });
        },
      };
    },
  };
  return fake;
}

test('runs every job with at most `concurrency` open, each with its own exit code and output', async () => {
  const exec = fakeExec({ code: (i) => i % 3, delayMs: 3 });
  const report = await runFanOut(jobs(30), exec.start, { concurrency: 4 });
  assert.equal(exec.maxOpen, 4);
  assert.equal(exec.started, 30);
  assert.equal(report.cancelled, false);
  report.results.forEach((r, i) => {
    assert.equal(r.target.pod, `pod-${i}`);
    assert.equal(r.outcome, 'exit');
    assert.equal(r.exitCode, i % 3);
    assert.match(r.output.text, new RegExp(`hello from pod-${i}\\n`));
    assert.match(r.output.text, /warn\n/);
    assert.ok(r.durationMs >= 0);
  });
  assert.deepEqual(countOutcomes(report.results), { succeeded: 10, failed: 20, cancelled: 0, skipped: 0 });
  const ordered = orderForReport(report.results);
  assert.deepEqual(
    ordered.slice(0, 3).map((r) => r.target.pod),
    ['pod-1', 'pod-2', 'pod-4'],
  );
  assert.equal(ordered.at(-1)!.target.pod, 'pod-27');
});

test('stop at first failure: running jobs finish, the rest never start', async () => {
  const exec = fakeExec({ code: (i) => (i === 3 ? 2 : 0), delayMs: 2 });
  const report = await runFanOut(jobs(20), exec.start, { concurrency: 2, stopOnFailure: true });
  assert.ok(exec.started < 20 && exec.started >= 4, `started ${exec.started}`);
  assert.equal(report.results[3].exitCode, 2);
  const skipped = report.results.filter((r) => r.outcome === 'skipped');
  assert.equal(skipped.length, 20 - exec.started);
  assert.match(skipped[0].message!, /pod-3 failed and the run stops at the first failure/);
  assert.equal(exec.closed, 0);
});

test('canary first: one pod alone, then the rest; a failing canary stops the run', async () => {
  const log: string[] = [];
  const ok = await runFanOut(jobs(5), fakeExec({ log, delayMs: 2 }).start, { concurrency: 5, canaryFirst: true });
  // The canary had finished before any other started; the others then ran side by side.
  assert.deepEqual(log.slice(0, 3), ['start 0', 'end 0', 'start 1']);
  assert.equal(log[3], 'start 2');
  assert.equal(countOutcomes(ok.results).succeeded, 5);

  const exec = fakeExec({ code: (i) => (i === 0 ? 1 : 0) });
  const bad = await runFanOut(jobs(5), exec.start, { concurrency: 5, canaryFirst: true });
  assert.equal(exec.started, 1);
  assert.equal(bad.results[0].exitCode, 1);
  assert.deepEqual(
    bad.results.slice(1).map((r) => r.outcome),
    ['skipped', 'skipped', 'skipped', 'skipped'],
  );
  assert.match(bad.stopReason!, /the first pod, pod-0, failed/);
});

test('cancel: running sessions are closed, nothing starts afterwards', async () => {
  const exec = fakeExec({ delayMs: 10_000 });
  const controller = new AbortController();
  const running = runFanOut(jobs(10), exec.start, {
    concurrency: 3,
    signal: controller.signal,
    onStart: (_job, index) => {
      if (index === 2) setImmediate(() => controller.abort());
    },
  });
  const report = await running;
  assert.equal(exec.started, 3);
  assert.equal(exec.closed, 3);
  assert.equal(exec.open, 0);
  assert.equal(report.cancelled, true);
  assert.deepEqual(
    report.results.map((r) => r.outcome),
    ['cancelled', 'cancelled', 'cancelled', ...Array(7).fill('skipped')],
  );
  assert.match(report.results[9].message!, /cancelled/);

  const before = fakeExec();
  const none = await runFanOut(jobs(3), before.start, { concurrency: 3, signal: AbortSignal.abort() });
  assert.equal(before.started, 0);
  assert.ok(none.results.every((r) => r.outcome === 'skipped'));
});

test('a session that cannot start is an error for that pod only', async () => {
  const start: StartSession = (job) => {
    if (job.target.pod === 'pod-1') throw new Error('no kubeconfig for context c');
    return fakeExec().start(job, new AbortController().signal);
  };
  const report = await runFanOut(jobs(3), start, { concurrency: 1 });
  assert.deepEqual(
    report.results.map((r) => r.outcome),
    ['exit', 'error', 'exit'],
  );
  assert.equal(report.results[1].message, 'no kubeconfig for context c');
});

test('output is bounded: head and tail kept, the middle counted', () => {
  const capture = new OutputCapture({ headBytes: 10, tailBytes: 6 });
  for (const part of ['0123456', '789abcdef', 'ghijklmnop', 'qrstuvwxyz']) capture.write(Buffer.from(part));
  const out = capture.result();
  assert.equal(out.totalBytes, 36);
  assert.equal(out.omittedBytes, 20);
  assert.equal(out.text, '0123456789\n[... 20 bytes not kept ...]\nuvwxyz');

  const small = new OutputCapture({ headBytes: 10, tailBytes: 6 });
  small.write(Buffer.from('abc'));
  assert.deepEqual(small.result(), { totalBytes: 3, omittedBytes: 0, text: 'abc' });

  // Terminal output reads as plain text: LF line ends, no colours or titles.
  const tty = new OutputCapture();
  tty.write(Buffer.from('\x1b]0;title\x07\x1b[1;31mred\x1b[0m\r\nnext\r\n'));
  assert.equal(tty.result().text, 'red\nnext\n');

  assert.deepEqual(firstLines('a\r\nb\nc\nd\n', 3), ['a', 'b', 'c']);
  assert.deepEqual(firstLines('one\n', 3), ['one']);
  assert.deepEqual(firstLines('', 3), []);
  assert.equal(firstLines('x'.repeat(300), 1, 10)[0], `${'x'.repeat(10)}…`);
  assert.equal(lineCount('a\nb'), 2);
  assert.equal(lineCount('a\nb\n'), 2);
});
