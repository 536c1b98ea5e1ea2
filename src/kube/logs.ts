// A container's log from pods/{pod}/log, as an async stream of lines that survives dropped
// connections. Every request asks for timestamps, so that after a drop the stream resumes with
// sinceTime at the last line seen. The API server passes sinceTime on to the kubelet with second
// precision only, so the resumed stream repeats the lines of that second: lines older than the
// last one seen are skipped, and of those stamped exactly like it, as many as were already shown.
// A clean end while following means the container stopped, unless the pod says it still runs
// (then it was a proxy or timeout cutting the stream, and we resume too).
import type { IncomingMessage } from 'node:http';
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { Backoff, sleep } from './backoff.ts';
import { apiGet, apiGetJson } from './apiRequest.ts';
import { podPath } from './names.ts';
import { describeError, KubeApiError } from './errors.ts';
import type { KubeConfigLike } from './exec/connect.ts';

export interface LogOptions {
  namespace: string;
  pod: string;
  /** Needed when the pod has more than one container. */
  container?: string;
  /** Keep the stream open for new lines (kubectl logs -f). */
  follow?: boolean;
  /** Put the kubelet's timestamp in front of each line's text, as kubectl logs --timestamps. */
  timestamps?: boolean;
  /** Only the last N lines (at the start). */
  tailLines?: number;
  /** Only lines from the last N seconds (at the start). */
  sinceSeconds?: number;
  /** Only lines at or after this RFC3339 time (at the start). */
  sinceTime?: string;
  /** The log of the container's previous instance (before its last restart). */
  previous?: boolean;
  /** Stop after this many bytes of log (counted without timestamps, over reconnects). */
  limitBytes?: number;
  signal?: AbortSignal;
  /** Waits between reconnects; default 500 ms doubling to 10 s. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export type LogEvent =
  /** One line, without its newline. `timestamp` is the kubelet's, whatever `timestamps` says. */
  | { kind: 'line'; text: string; timestamp: string }
  /** The stream broke; another attempt follows after `delayMs`. */
  | { kind: 'reconnecting'; message: string; attempt: number; delayMs: number }
  | { kind: 'reconnected' }
  /** No more lines will come: the log was read to its end, or the container stopped. */
  | { kind: 'end'; reason: string };

/** Nanoseconds since the epoch of an RFC3339 timestamp with any fraction; undefined if it is not one. */
export function parseTimestamp(text: string): bigint | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (!m) return undefined;
  const seconds = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(seconds)) return undefined;
  return BigInt(seconds) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** RFC3339 with second precision, in UTC: what sinceTime is reduced to on its way to the kubelet. */
export function sinceTimeFor(nanos: bigint): string {
  const seconds = nanos / 1_000_000_000n;
  return new Date(Number(seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Where the stream stands: the last timestamp shown and how many lines carried it, and an
 * unfinished line. Pure; the network part feeds it chunks.
 */
export class LogCursor {
  private lastNanos: bigint | undefined;
  private atLast = 0;
  /** Lines of the current connection stamped `lastNanos`, to skip the ones already shown. */
  private replaySkip = 0;
  private pending: Buffer = Buffer.alloc(0);
  lines = 0;

  /** A new connection begins: lines up to what was shown are replays to skip. */
  resume(): void {
    this.pending = Buffer.alloc(0);
    this.replaySkip = this.atLast;
  }

  get resumeFrom(): bigint | undefined {
    return this.lastNanos;
  }

  /** Complete lines in `chunk` (plus what was left over), minus replays. */
  push(chunk: Buffer): Array<{ timestamp: string; text: string; raw: number }> {
    const data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: Array<{ timestamp: string; text: string; raw: number }> = [];
    let start = 0;
    for (;;) {
      const nl = data.indexOf(10, start);
      if (nl < 0) break;
      const line = this.accept(data.subarray(start, nl), nl + 1 - start);
      if (line) out.push(line);
      start = nl + 1;
    }
    this.pending = Buffer.from(data.subarray(start));
    return out;
  }

  /** At a clean end: an unterminated last line is a line too (cut by limitBytes, say). */
  flush(): Array<{ timestamp: string; text: string; raw: number }> {
    const rest = this.pending;
    this.pending = Buffer.alloc(0);
    if (rest.length === 0) return [];
    const line = this.accept(rest, rest.length);
    return line ? [line] : [];
  }

  private accept(raw: Buffer, size: number): { timestamp: string; text: string; raw: number } | undefined {
    const text = raw.toString('utf8');
    const space = text.indexOf(' ');
    const timestamp = space > 0 ? text.slice(0, space) : text;
    const nanos = parseTimestamp(timestamp);
    const body = space > 0 ? text.slice(space + 1) : '';
    if (nanos === undefined) {
      // Not a stamped line (should not happen with timestamps=true): pass it on unfiltered.
      this.lines++;
      return { timestamp: '', text, raw: size };
    }
    if (this.lastNanos !== undefined) {
      if (nanos < this.lastNanos) return undefined;
      if (nanos === this.lastNanos && this.replaySkip > 0) {
        this.replaySkip--;
        return undefined;
      }
    }
    this.replaySkip = 0;
    if (nanos === this.lastNanos) this.atLast++;
    else {
      this.lastNanos = nanos;
      this.atLast = 1;
    }
    // What the line is without its timestamp, which limitBytes counts.
    const counted = size - (space + 1);
    this.lines++;
    return { timestamp, text: body, raw: counted };
  }
}

function logQuery(options: LogOptions, cursor: LogCursor): URLSearchParams {
  const q = new URLSearchParams();
  if (options.container) q.set('container', options.container);
  if (options.follow) q.set('follow', 'true');
  if (options.previous) q.set('previous', 'true');
  q.set('timestamps', 'true');
  const from = cursor.resumeFrom;
  if (from !== undefined) {
    q.set('sinceTime', sinceTimeFor(from));
  } else {
    if (options.tailLines !== undefined) q.set('tailLines', String(options.tailLines));
    if (options.sinceSeconds !== undefined) q.set('sinceSeconds', String(options.sinceSeconds));
    if (options.sinceTime !== undefined) q.set('sinceTime', options.sinceTime);
  }
  // limitBytes is applied here, not by the kubelet: its limit would count our timestamps too.
  return q;
}

/** Errors worth another attempt: the network, timeouts, an overloaded or restarting server. */
function retryable(err: unknown): boolean {
  if (err instanceof KubeApiError) return err.httpStatus === 429 || (err.httpStatus !== undefined && err.httpStatus >= 500);
  return (err as { name?: string } | undefined)?.name !== 'AbortError';
}

function containerStatus(pod: V1Pod, container: string | undefined): V1ContainerStatus | undefined {
  const all = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.ephemeralContainerStatuses ?? [])];
  return container ? all.find((s) => s.name === container) : all.length === 1 ? all[0] : undefined;
}

/**
 * Why a follow stream that ended cleanly will not go on: the pod is gone or the container is not
 * running. Undefined when the container still runs (the stream was cut; resume).
 */
async function whyEnded(kubeConfig: KubeConfigLike, options: LogOptions): Promise<string | undefined> {
  let pod: V1Pod;
  try {
    pod = await apiGetJson<V1Pod>(kubeConfig, podPath(options.namespace, options.pod), options.signal);
  } catch (err) {
    if (err instanceof KubeApiError && err.httpStatus === 404) return `The pod ${options.namespace}/${options.pod} was deleted.`;
    // Cannot tell: assume it still runs, the reconnect will find out.
    return undefined;
  }
  const name = options.container ?? pod.spec?.containers?.[0]?.name ?? '';
  const state = containerStatus(pod, options.container)?.state;
  if (state?.running) return undefined;
  if (pod.metadata?.deletionTimestamp) return `The pod ${options.pod} is being deleted.`;
  const t = state?.terminated;
  if (t) return `Container ${name} of ${options.pod} stopped (exit code ${t.exitCode}${t.reason ? `, ${t.reason}` : ''}).`;
  const w = state?.waiting;
  if (w) return `Container ${name} of ${options.pod} is not running (${w.reason ?? 'waiting'}).`;
  return undefined;
}

/**
 * The container's log as events, until it ends, the signal aborts (the iteration then just
 * stops), or a request fails for good (the iteration throws: the first request's failure, or a
 * refusal such as the pod being deleted). Network trouble is retried with back-off for ever.
 */
export async function* streamLogs(kubeConfig: KubeConfigLike, options: LogOptions): AsyncGenerator<LogEvent, void, void> {
  const cursor = new LogCursor();
  const backoff = new Backoff({ minMs: options.minBackoffMs ?? 500, maxMs: options.maxBackoffMs ?? 10_000 });
  const signal = options.signal;
  let attempt = 0;
  let connectedOnce = false;
  let shown = 0;
  const limitReached = () => options.limitBytes !== undefined && shown >= options.limitBytes;
  const limitEnd: LogEvent = { kind: 'end', reason: `The log reached the ${options.limitBytes}-byte limit.` };
  /** The event for a line, cut to what is left of limitBytes; undefined once nothing is left. */
  const lineEvent = (line: { timestamp: string; text: string; raw: number }): LogEvent | undefined => {
    let text = line.text;
    if (options.limitBytes !== undefined) {
      const left = options.limitBytes - shown;
      if (left <= 0) return undefined;
      if (line.raw > left) text = Buffer.from(text).subarray(0, left).toString('utf8');
      shown += Math.min(line.raw, left);
    }
    return { kind: 'line', text: options.timestamps && line.timestamp ? `${line.timestamp} ${text}` : text, timestamp: line.timestamp };
  };

  for (;;) {
    if (signal?.aborted) return;
    let response: IncomingMessage;
    let server = '';
    try {
      ({ response, server } = await apiGet(kubeConfig, `${podPath(options.namespace, options.pod, 'log')}?${logQuery(options, cursor)}`, { signal, accept: '*/*' }));
    } catch (err) {
      if (signal?.aborted) return;
      if (!connectedOnce || !retryable(err)) throw err;
      attempt++;
      const delayMs = backoff.next();
      yield { kind: 'reconnecting', message: describeError(err), attempt, delayMs };
      await sleep(delayMs, signal);
      continue;
    }
    if (connectedOnce) yield { kind: 'reconnected' };
    connectedOnce = true;
    cursor.resume();
    const linesBefore = cursor.lines;

    let dropped: unknown;
    let full = false;
    try {
      for await (const chunk of response as AsyncIterable<Buffer>) {
        for (const line of cursor.push(chunk)) {
          const event = lineEvent(line);
          if (event) yield event;
          if (limitReached()) {
            full = true;
            break;
          }
        }
        if (full) break;
      }
    } catch (err) {
      dropped = err;
    } finally {
      response.destroy();
    }
    if (signal?.aborted) return;
    if (cursor.lines > linesBefore) {
      backoff.reset();
      attempt = 0;
    }

    if (full) return yield limitEnd;
    if (dropped === undefined) {
      for (const line of cursor.flush()) {
        const event = lineEvent(line);
        if (event) yield event;
      }
      if (!options.follow || options.previous) return yield { kind: 'end', reason: 'The whole log was shown.' };
      if (limitReached()) return yield limitEnd;
      const why = await whyEnded(kubeConfig, options);
      if (signal?.aborted) return;
      if (why) return yield { kind: 'end', reason: why };
      dropped = new Error(`The log stream from ${server} ended while the container still runs.`);
    }
    if (limitReached()) return yield limitEnd;
    attempt++;
    const delayMs = backoff.next();
    const message = (dropped as { code?: string }).code === 'ECONNRESET' || (dropped as Error).message === 'aborted'
      ? `The connection to ${server} was cut.`
      : describeError(dropped, server);
    yield { kind: 'reconnecting', message, attempt, delayMs };
    await sleep(delayMs, signal);
  }
}
