// Runs one command in many containers: at most `concurrency` at a time, optionally one pod
// first (a canary) and stopping at the first failure. Cancelling means: what has not started
// never starts, and what runs is closed (ExecSession.close() ends the remote process). Every
// target gets a result, including the ones that never ran, so the report accounts for all.
import type { Readable } from 'node:stream';
import type { ExecResult } from '../exec/status.ts';
import { OutputCapture, type CapturedOutput, type OutputLimits } from './output.ts';
import type { CommandTarget } from './targets.ts';

export interface FanOutJob {
  target: CommandTarget;
  /** The argv to exec, variables already substituted for this target. */
  argv: string[];
}

/** The part of an ExecSession the runner uses. */
export interface RunningSession {
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly result: Promise<ExecResult>;
  close(): void;
}

/** Starts the command of one job; `signal` aborts when the run is cancelled. */
export type StartSession = (job: FanOutJob, signal: AbortSignal) => RunningSession;

export type TargetOutcome =
  /** The command ran to its end; see exitCode. */
  | 'exit'
  /** The API server, kubelet or runtime refused or failed the exec; see message. */
  | 'error'
  | 'connectionLost'
  /** It was running when the run was cancelled, and was closed. */
  | 'cancelled'
  /** It never started; see message. */
  | 'skipped';

export interface TargetResult {
  target: CommandTarget;
  argv: string[];
  outcome: TargetOutcome;
  exitCode?: number;
  message?: string;
  durationMs: number;
  output: CapturedOutput;
}

export interface FanOutOptions {
  /** Most sessions open at once; at least 1. */
  concurrency: number;
  stopOnFailure?: boolean;
  /** Run the first job alone; start the rest only if it succeeds. */
  canaryFirst?: boolean;
  signal?: AbortSignal;
  outputLimits?: OutputLimits;
  onStart?(job: FanOutJob, index: number): void;
  onResult?(result: TargetResult, index: number): void;
}

export interface FanOutReport {
  /** One per job, in job order. */
  results: TargetResult[];
  cancelled: boolean;
  /** Why jobs were skipped without a cancel: the canary failed, or stopOnFailure. */
  stopReason?: string;
  durationMs: number;
}

const NO_OUTPUT: CapturedOutput = { totalBytes: 0, omittedBytes: 0, text: '' };

export function isFailure(r: TargetResult): boolean {
  return r.outcome === 'error' || r.outcome === 'connectionLost' || (r.outcome === 'exit' && r.exitCode !== 0);
}

export async function runFanOut(jobs: readonly FanOutJob[], start: StartSession, options: FanOutOptions): Promise<FanOutReport> {
  const began = performance.now();
  const controller = new AbortController();
  const signal = controller.signal;
  const forward = (): void => controller.abort();
  if (options.signal?.aborted) controller.abort();
  else options.signal?.addEventListener('abort', forward, { once: true });

  const results: Array<TargetResult | undefined> = new Array(jobs.length);
  let next = 0;
  let stopReason: string | undefined;

  const runOne = async (index: number): Promise<TargetResult> => {
    const job = jobs[index];
    const t0 = performance.now();
    const base = { target: job.target, argv: job.argv };
    options.onStart?.(job, index);
    let session: RunningSession;
    try {
      session = start(job, signal);
    } catch (err) {
      return { ...base, outcome: 'error', message: err instanceof Error ? err.message : String(err), durationMs: performance.now() - t0, output: NO_OUTPUT };
    }
    let cancelled = false;
    const close = (): void => {
      cancelled = true;
      session.close();
    };
    signal.addEventListener('abort', close, { once: true });
    const capture = new OutputCapture(options.outputLimits);
    session.stdout.on('data', (chunk: Buffer) => capture.write(chunk));
    session.stderr.on('data', (chunk: Buffer) => capture.write(chunk));
    const result = await session.result;
    signal.removeEventListener('abort', close);
    const done = { ...base, durationMs: performance.now() - t0, output: capture.result() };
    if (cancelled) return { ...done, outcome: 'cancelled', message: 'Cancelled while running; the command was ended.' };
    switch (result.kind) {
      case 'exit':
        return { ...done, outcome: 'exit', exitCode: result.code };
      case 'error':
        return { ...done, outcome: 'error', message: result.message };
      case 'connectionLost':
        return { ...done, outcome: 'connectionLost', message: result.message };
    }
  };

  const record = (index: number, result: TargetResult): void => {
    results[index] = result;
    options.onResult?.(result, index);
  };

  const worker = async (): Promise<void> => {
    while (!signal.aborted && stopReason === undefined && next < jobs.length) {
      const index = next++;
      const result = await runOne(index);
      record(index, result);
      if (options.stopOnFailure && isFailure(result) && stopReason === undefined) {
        stopReason = `Not started: ${result.target.pod} failed and the run stops at the first failure.`;
      }
    }
  };

  try {
    if (options.canaryFirst && jobs.length > 1 && !signal.aborted) {
      const canary = await runOne(0);
      next = 1;
      record(0, canary);
      if (isFailure(canary)) stopReason = `Not started: the first pod, ${canary.target.pod}, failed.`;
    }
    const workers = Math.max(1, Math.min(Math.floor(options.concurrency) || 1, jobs.length - next));
    await Promise.all(Array.from({ length: workers }, worker));
  } finally {
    options.signal?.removeEventListener('abort', forward);
  }

  const cancelled = signal.aborted;
  const all = jobs.map(
    (job, index): TargetResult =>
      results[index] ?? {
        target: job.target,
        argv: job.argv,
        outcome: 'skipped',
        message: cancelled ? 'Not started: the run was cancelled.' : (stopReason ?? 'Not started.'),
        durationMs: 0,
        output: NO_OUTPUT,
      },
  );
  return { results: all, cancelled, stopReason, durationMs: performance.now() - began };
}

/** Failures first, then cancelled, skipped and succeeded; job order within each group. */
export function orderForReport(results: readonly TargetResult[]): TargetResult[] {
  const rank = (r: TargetResult): number => (isFailure(r) ? 0 : r.outcome === 'cancelled' ? 1 : r.outcome === 'skipped' ? 2 : 3);
  return results
    .map((r, i) => ({ r, i }))
    .sort((a, b) => rank(a.r) - rank(b.r) || a.i - b.i)
    .map(({ r }) => r);
}

export function countOutcomes(results: readonly TargetResult[]): { succeeded: number; failed: number; cancelled: number; skipped: number } {
  const counts = { succeeded: 0, failed: 0, cancelled: 0, skipped: 0 };
  for (const r of results) {
    if (isFailure(r)) counts.failed += 1;
    else if (r.outcome === 'cancelled') counts.cancelled += 1;
    else if (r.outcome === 'skipped') counts.skipped += 1;
    else counts.succeeded += 1;
  }
  return counts;
}
