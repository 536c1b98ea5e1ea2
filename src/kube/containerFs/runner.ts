// Runs one of our scripts in a container over exec: argv in, stdout to a consumer, stdin from
// a producer, stderr kept (briefly) for the error message. At most a few sessions per
// container run at once: an editor asks for many stats together, and every one is a
// WebSocket to the API server.
import type { Readable, Writable } from 'node:stream';
import { ExecSession, type ExecOptions, type ExecResult, type ExecSessionLike, type ExecTarget, type KubeConfigLike } from '../exec/session.ts';

export type StartSession = (kubeConfig: KubeConfigLike, options: ExecOptions) => ExecSessionLike;

export const startExecSession: StartSession = (kubeConfig, options) => ExecSession.start(kubeConfig, options);

export interface RunRequest {
  script: string;
  args: string[];
  /** Reads stdout to its end. Default: collect it (only for small outputs). */
  stdout?: (stdout: Readable) => Promise<void>;
  /** Writes stdin and ends it; runs only when given (stdin is off otherwise). */
  stdin?: (stdin: Writable, ended: Promise<unknown>) => Promise<void>;
  signal?: AbortSignal;
  /** Gives up after this long (for short operations; transfers rely on keepalive instead). */
  timeoutMs?: number;
}

export interface RunOutcome {
  result: ExecResult;
  /** Collected stdout when no consumer was given. */
  stdout: Buffer;
  stderr: string;
}

/** Error output kept for the message; tools can print a line per file (rm -rf of a big tree). */
const MAX_STDERR = 16 * 1024;

export interface RunnerOptions {
  kubeConfig: () => KubeConfigLike;
  target: ExecTarget;
  start?: StartSession;
  maxConcurrent?: number;
  keepaliveIntervalMs?: number;
  keepaliveTimeoutMs?: number;
  /** Subprotocols to offer (default: the session's, v5 first). */
  protocols?: string[];
}

export class ScriptRunner {
  private readonly options: RunnerOptions;
  private readonly limit: Limiter;

  constructor(options: RunnerOptions) {
    this.options = options;
    this.limit = new Limiter(options.maxConcurrent ?? 4);
  }

  async run(request: RunRequest): Promise<RunOutcome> {
    const release = await this.limit.acquire(request.signal);
    try {
      return await this.runNow(request);
    } finally {
      release();
    }
  }

  private async runNow(request: RunRequest): Promise<RunOutcome> {
    const o = this.options;
    const signals = [request.signal, request.timeoutMs ? AbortSignal.timeout(request.timeoutMs) : undefined].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    const session = (o.start ?? startExecSession)(o.kubeConfig(), {
      ...o.target,
      command: ['sh', '-c', request.script, 'kube-exec', ...request.args],
      stdin: request.stdin !== undefined,
      stdout: true,
      stderr: true,
      tty: false,
      keepaliveIntervalMs: o.keepaliveIntervalMs,
      keepaliveTimeoutMs: o.keepaliveTimeoutMs,
      protocols: o.protocols,
      signal,
    });

    const chunks: Buffer[] = [];
    const consume = request.stdout ?? (async (stdout: Readable) => {
      for await (const chunk of stdout) chunks.push(chunk as Buffer);
    });
    let stderr = '';
    const errors = (async () => {
      for await (const chunk of session.stderr) if (stderr.length < MAX_STDERR) stderr += (chunk as Buffer).toString('utf8');
    })();

    // A consumer or producer that fails (a parse error, the caller's source throwing) ends the
    // session, so the other side does not wait for bytes that will never be read or written.
    let failure: unknown;
    const guard = (work: Promise<void>): Promise<void> =>
      work.catch((err: unknown) => {
        failure ??= err;
        session.close();
        session.stdout.resume();
      });
    const reading = guard(consume(session.stdout));
    const writing = request.stdin ? guard(request.stdin(session.stdin, session.result)) : Promise.resolve();
    const [result] = await Promise.all([session.result, reading, writing, errors]);
    if (failure !== undefined) throw failure;
    if (result.kind === 'error' && result.reason === 'Closed' && signal?.aborted) {
      const reason: unknown = signal.reason;
      const timedOut = reason instanceof Error && reason.name === 'TimeoutError';
      return {
        result: { kind: 'connectionLost', message: timedOut ? `the container did not answer within ${Math.round((request.timeoutMs ?? 0) / 1000)} s` : 'the operation was cancelled' },
        stdout: Buffer.alloc(0),
        stderr,
      };
    }
    return { result, stdout: Buffer.concat(chunks), stderr };
  }
}

/** A counting semaphore; waiters are served in order. */
export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly max: number;

  constructor(max: number) {
    this.max = Math.max(1, max);
  }

  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new Error('The operation was cancelled.'));
    if (this.active < this.max) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort);
        this.active++;
        resolve(this.releaser());
      };
      const onAbort = (): void => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new Error('The operation was cancelled.'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(grant);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.waiting.shift()?.();
    };
  }
}
