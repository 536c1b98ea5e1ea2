// Keeps a listener up to date with the pods of one namespace (or all), the way client-go's
// reflector does: list, then watch from the list's resourceVersion, follow every
// resourceVersion seen (bookmarks included), re-list when the server says that history is
// gone (410), and reconnect with backoff when the connection breaks.
import { StringDecoder } from 'node:string_decoder';
import type { V1Pod } from '@kubernetes/client-node';
import { Backoff, sleep } from './backoff.ts';
import type { PodWatch, PodWatchListener } from './cluster.ts';
import { apiErrorFromStatus, describeError, KubeApiError, type KubeStatus } from './errors.ts';

/** What the watcher needs from a cluster client: a full list and a raw watch stream. */
export interface PodWatchSource {
  readonly server: string | undefined;
  listAll(signal: AbortSignal): Promise<{ pods: V1Pod[]; resourceVersion: string }>;
  /** Opens `?watch=1&allowWatchBookmarks=true&resourceVersion=...`; rejects on a non-2xx answer. */
  openWatch(resourceVersion: string, timeoutSeconds: number, signal: AbortSignal): Promise<AsyncIterable<Buffer | string>>;
}

export interface PodWatcherOptions {
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** A watch that stayed open this long (or delivered an event) counts as a success. */
  healthyAfterMs?: number;
  /** The server-side timeout of each watch request; default a random 5 to 10 minutes. */
  timeoutSeconds?: number;
}

type Outcome =
  | { kind: 'expired' } // history gone: list again
  | { kind: 'closed'; healthy: boolean } // the server ended the watch (its timeout, or a drop)
  | { kind: 'failed'; error: unknown; healthy: boolean };

/** Answers that will not change by retrying: stop and say so. */
function isPermanent(err: unknown): boolean {
  return err instanceof KubeApiError && (err.httpStatus === 401 || err.httpStatus === 403 || err.httpStatus === 404);
}

function isExpired(err: unknown): boolean {
  return err instanceof KubeApiError && (err.httpStatus === 410 || err.reason === 'Expired' || err.reason === 'Gone');
}

export class PodWatcher implements PodWatch {
  private readonly source: PodWatchSource;
  private readonly listener: PodWatchListener;
  private readonly controller = new AbortController();
  private readonly backoff: Backoff;
  private readonly healthyAfterMs: number;
  private readonly timeoutSeconds: number | undefined;
  private readonly onDisposed: (() => void) | undefined;
  private resourceVersion = '';

  constructor(source: PodWatchSource, listener: PodWatchListener, options: PodWatcherOptions = {}, onDisposed?: () => void) {
    this.source = source;
    this.listener = listener;
    this.backoff = new Backoff({ minMs: options.minBackoffMs ?? 1000, maxMs: options.maxBackoffMs ?? 30_000 });
    this.healthyAfterMs = options.healthyAfterMs ?? 10_000;
    this.timeoutSeconds = options.timeoutSeconds;
    this.onDisposed = onDisposed;
  }

  start(): void {
    void this.run();
  }

  dispose(): void {
    if (this.controller.signal.aborted) return;
    this.controller.abort();
    this.onDisposed?.();
  }

  private get stopped(): boolean {
    return this.controller.signal.aborted;
  }

  private async run(): Promise<void> {
    const signal = this.controller.signal;
    let needList = true;
    let expiredStreak = 0;
    while (!this.stopped) {
      if (needList) {
        try {
          const { pods, resourceVersion } = await this.source.listAll(signal);
          if (this.stopped) return;
          this.resourceVersion = resourceVersion;
          needList = false;
          this.backoff.reset();
          this.call(() => this.listener.onSync(pods));
        } catch (err) {
          if (this.stopped) return;
          if (!this.report(err)) return;
          await sleep(this.backoff.next(), signal);
          continue;
        }
      }

      const outcome = await this.watchOnce(signal);
      if (this.stopped) return;
      switch (outcome.kind) {
        case 'expired':
          needList = true;
          // Re-list at once, unless the fresh list's version expired straight away too.
          if (expiredStreak++ > 0) await sleep(this.backoff.next(), signal);
          break;
        case 'closed':
          expiredStreak = 0;
          if (outcome.healthy) this.backoff.reset();
          await sleep(this.backoff.next(), signal);
          break;
        case 'failed':
          expiredStreak = 0;
          if (outcome.healthy) {
            // A working watch that broke (a dropped connection): resume from where it was; the
            // events missed meanwhile are replayed by the server, so there is nothing to report.
            this.backoff.reset();
          } else {
            if (!this.report(outcome.error)) return;
            // After a reported failure the listener may be showing an error: a fresh list
            // (onSync) tells it the data is whole again.
            needList = true;
          }
          await sleep(this.backoff.next(), signal);
          break;
      }
    }
  }

  /** Tells the listener; returns whether the watcher will try again. */
  private report(err: unknown): boolean {
    const willRetry = !isPermanent(err);
    const message = describeError(err, this.source.server);
    this.call(() => this.listener.onError(message, willRetry));
    if (!willRetry) this.dispose();
    return willRetry;
  }

  // A listener that throws must not stop the watch that feeds it.
  private call(fn: () => void): void {
    if (this.stopped) return;
    try {
      fn();
    } catch {
      // The listener's own failure is not ours to report.
    }
  }

  private async watchOnce(signal: AbortSignal): Promise<Outcome> {
    // Like client-go: a random server-side timeout between 5 and 10 minutes, so watches of
    // many clients do not all end together.
    const timeoutSeconds = this.timeoutSeconds ?? 300 + Math.floor(Math.random() * 300);
    const started = Date.now();
    let events = 0;
    // Lasting until (nearly) the server's timeout is as good as delivering events.
    const healthyAfterMs = Math.min(this.healthyAfterMs, timeoutSeconds * 900);
    const healthy = (): boolean => events > 0 || Date.now() - started >= healthyAfterMs;

    let stream: AsyncIterable<Buffer | string>;
    try {
      stream = await this.source.openWatch(this.resourceVersion, timeoutSeconds, signal);
    } catch (err) {
      return isExpired(err) ? { kind: 'expired' } : { kind: 'failed', error: err, healthy: false };
    }

    const decoder = new StringDecoder('utf8');
    let pending = '';
    try {
      for await (const chunk of stream) {
        pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
        let start = 0;
        let newline: number;
        while ((newline = pending.indexOf('\n', start)) >= 0) {
          const line = pending.slice(start, newline);
          start = newline + 1;
          if (this.stopped) return { kind: 'closed', healthy: true };
          if (line.trim() === '') continue;
          events++;
          const stop = this.handleLine(line);
          if (stop) return stop; // leaving the loop destroys the response
        }
        pending = pending.slice(start);
      }
      return { kind: 'closed', healthy: healthy() };
    } catch (err) {
      if (this.stopped) return { kind: 'closed', healthy: true };
      const why = err instanceof Error ? err.message : String(err);
      const error = new Error(`Lost the pod watch connection to ${this.source.server ?? 'the API server'}: ${why}.`, { cause: err });
      return { kind: 'failed', error, healthy: healthy() };
    }
  }

  private handleLine(line: string): Outcome | undefined {
    let event: { type?: string; object?: unknown };
    try {
      event = JSON.parse(line) as { type?: string; object?: unknown };
    } catch {
      return { kind: 'failed', error: new Error(`The API server at ${this.source.server ?? '?'} sent a pod watch event that is not JSON.`), healthy: false };
    }
    const type = event.type;
    if (type === 'ERROR') {
      const error = apiErrorFromStatus((event.object ?? {}) as KubeStatus, this.source.server);
      return isExpired(error) ? { kind: 'expired' } : { kind: 'failed', error, healthy: false };
    }
    const object = event.object as V1Pod | undefined;
    const rv = object?.metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
    if ((type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') && object) {
      const pod = podFromJson(object);
      this.call(() => this.listener.onEvent(type, pod));
    }
    // BOOKMARK only moves the resourceVersion; unknown types are ignored, as client-go does.
    return undefined;
  }
}

const POD_DATE_FIELDS_OF_CONDITION = ['lastProbeTime', 'lastTransitionTime'] as const;

/**
 * Pods straight from JSON.parse, with the timestamp fields turned into Dates so they match
 * client-node's V1Pod type. Much cheaper than client-node's ObjectSerializer, which walks
 * every field of every pod (that cost dominates listing thousands of pods).
 */
export function podFromJson(pod: V1Pod): V1Pod {
  const meta = pod.metadata as Record<string, unknown> | undefined;
  if (meta) {
    toDate(meta, 'creationTimestamp');
    toDate(meta, 'deletionTimestamp');
    const managed = meta.managedFields as Array<Record<string, unknown>> | undefined;
    if (managed) for (const entry of managed) toDate(entry, 'time');
  }
  const status = pod.status as Record<string, unknown> | undefined;
  if (status) {
    toDate(status, 'startTime');
    const conditions = status.conditions as Array<Record<string, unknown>> | undefined;
    if (conditions) for (const c of conditions) for (const f of POD_DATE_FIELDS_OF_CONDITION) toDate(c, f);
    for (const key of ['containerStatuses', 'initContainerStatuses', 'ephemeralContainerStatuses']) {
      const list = status[key] as Array<Record<string, Record<string, Record<string, unknown>> | undefined>> | undefined;
      if (!list) continue;
      for (const cs of list) {
        for (const which of ['state', 'lastState']) {
          const state = cs[which];
          if (!state) continue;
          if (state.running) toDate(state.running, 'startedAt');
          if (state.terminated) {
            toDate(state.terminated, 'startedAt');
            toDate(state.terminated, 'finishedAt');
          }
        }
      }
    }
  }
  return pod;
}

function toDate(record: Record<string, unknown>, key: string): void {
  const value = record[key];
  if (typeof value === 'string') record[key] = new Date(value);
}
