// One exec (or attach) session in a container over the Kubernetes channel WebSocket protocol.
//
// We talk to `ws` directly instead of client-node's Exec because that one has no keepalive,
// no backpressure, drops errors after open, loses the Status of a refused upgrade and does not
// end the remote process on close (see /work/shared/exec-protocol.md). What this adds:
// - stdout/stderr are Readables: when the consumer stops reading, the socket is paused;
// - stdin is a Writable whose callbacks wait for the socket's buffer to drain;
// - pings every few seconds; no pong (and no other traffic) in time ends as `connectionLost`;
// - the outcome is exactly one of exit / error / connectionLost (see ExecResult).
import type { ClientOptions, WebSocket } from 'ws';
import type { IncomingMessage } from 'node:http';
import { Readable, Writable } from 'node:stream';
import {
  DEFAULT_PROTOCOLS,
  ERROR,
  RESIZE,
  STDERR,
  STDIN,
  STDOUT,
  encodeCloseFrame,
  encodeFrame,
  frameChannel,
  framePayload,
  protocolInfo,
  resizePayload,
  type ProtocolInfo,
} from './frames.ts';
import { parseExecStatus, type ExecResult } from './status.ts';
import { readErrorBody } from '../httpBody.ts';
import { apiGet } from '../apiRequest.ts';
import { apiErrorFromResponse, KubeApiError, redactSecrets, shortenServerText } from '../errors.ts';
import { namespacePath } from '../names.ts';
import { loadTransport, type Transport } from '../transport.ts';
import {
  connectErrorMessage,
  forgetEndpoint,
  resolveEndpoint,
  subresourcePath,
  timeHandshake,
  type Endpoint,
  type HandshakeTimeouts,
  type KubeConfigLike,
  type TimedHandshake,
} from './connect.ts';

export type { ExecResult } from './status.ts';
export type { HandshakeTimeouts, KubeConfigLike } from './connect.ts';

export interface TerminalSize {
  columns: number;
  rows: number;
}

export interface ExecTarget {
  namespace: string;
  pod: string;
  container?: string;
}

export interface ExecOptions extends ExecTarget {
  /** argv, exactly as PodExecOptions.command (one query parameter per element, no shell). Ignored for attach. */
  command: string[];
  stdin?: boolean;
  /** Default true. */
  stdout?: boolean;
  /** Default: true unless tty (a terminal merges stderr into stdout). */
  stderr?: boolean;
  tty?: boolean;
  /** Initial terminal size, sent on channel 4 as soon as the socket opens. */
  size?: TerminalSize;
  /** Ping interval; default 5000 (as client-go); 0 disables keepalive. */
  keepaliveIntervalMs?: number;
  /** No pong and no other traffic for this long after a ping: connectionLost. Default 30000. */
  keepaliveTimeoutMs?: number;
  /** Subprotocols to offer, best first. Default v5, v4, channel.k8s.io. */
  protocols?: string[];
  subresource?: 'exec' | 'attach';
  /** Aborting behaves like close(). */
  signal?: AbortSignal;
  /** close(): how long to wait, after stdin EOF, for the process to exit by itself. Default 2000. */
  closeGraceMs?: number;
  /** Deadlines of the handshake's phases (TCP, TLS, the answer to the upgrade); see connect.ts. */
  handshakeTimeouts?: HandshakeTimeouts;
}

/** The parts of a session that shell choice and terminals rely on (fakes implement this in tests). */
export interface ExecSessionLike {
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly stdin: Writable;
  readonly result: Promise<ExecResult>;
  /** True at the first byte of output, false if the session ended without any. */
  readonly firstOutput: Promise<boolean>;
  resize(size: TerminalSize): void;
  close(): void;
}

const STDOUT_BIT = 1;
const STDERR_BIT = 2;
/** Output buffered per stream before the socket is paused. */
const OUTPUT_HIGH_WATER_MARK = 256 * 1024;
/** Above this many bytes queued on the socket, stdin write callbacks wait until it is flushed. */
const STDIN_HIGH_WATER_MARK = 256 * 1024;
/** Large stdin writes are cut into frames of at most this size (API servers cap message size). */
const MAX_STDIN_FRAME = 64 * 1024;
/** After the status arrived the server closes the socket; if it does not, we do after this. */
const CLOSE_AFTER_STATUS_MS = 2000;
/** After our close frame, how long the server gets to answer before the socket is cut. */
const CLOSE_HANDSHAKE_MS = 1000;
const USER_AGENT = 'kube-exec';

type State = 'connecting' | 'open' | 'done';

export class ExecSession implements ExecSessionLike {
  /** Output bytes; a reader that stops reading pauses the socket (read both, or disable one). */
  readonly stdout: Readable;
  readonly stderr: Readable;
  /**
   * Write callbacks wait while the socket is backed up. end() is EOF for the remote reader:
   * v5 CLOSE on a pipe, ^D on a terminal (any protocol), nothing possible on a pre-v5 pipe.
   * Writes after the session ended are dropped, not errors.
   */
  readonly stdin: Writable;
  /** The negotiated subprotocol once open; rejects (with the failure's message) if it never opened. */
  readonly protocol: Promise<string>;
  /** Never rejects; resolves after stdout and stderr were read to their end. */
  readonly result: Promise<ExecResult>;
  readonly firstOutput: Promise<boolean>;

  private readonly kubeConfig: KubeConfigLike;
  private readonly options: ExecOptions;
  private readonly tty: boolean;
  private readonly stdinEnabled: boolean;
  private readonly stdoutEnabled: boolean;
  private readonly stderrEnabled: boolean;
  private readonly intervalMs: number;
  private readonly timeoutMs: number;

  private state: State = 'connecting';
  private ws: WebSocket | undefined;
  /** Where binary stdin frames are built (see stdinFrame). */
  private stdinScratch: Buffer | undefined;
  private server = '';
  /** The request path, checked once: a name that cannot be sent ends the session before it starts. */
  private path = '';
  private handshake: TimedHandshake | undefined;
  private info: ProtocolInfo | undefined;
  /** An outcome decided on our side (refused upgrade, connect error, missed pongs). */
  private failure: ExecResult | undefined;
  private lastError: Error | undefined;
  private statusChunks: Buffer[] = [];
  private closeRequested = false;
  private retriedAuth = false;
  private paused = 0;
  private sawTraffic = false;
  private outputSeen = false;
  private size: TerminalSize | undefined;
  private sentSize = '';
  private stdinEofSent = false;
  private pendingWrite: { chunk: Buffer; callback: (error?: Error | null) => void } | undefined;
  private pendingEnd: ((error?: Error | null) => void) | undefined;
  private stdinWaiting: (() => void) | undefined;

  private pingTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  private killTimer: NodeJS.Timeout | undefined;

  private resolveProtocol!: (protocol: string) => void;
  private rejectProtocol!: (error: Error) => void;
  private resolveResult!: (result: ExecResult) => void;
  private resolveFirstOutput!: (seen: boolean) => void;
  private readonly onAbort = (): void => this.close();

  /** Starts the session against the current context of `kubeConfig`; returns at once. */
  static start(kubeConfig: KubeConfigLike, options: ExecOptions): ExecSession {
    return new ExecSession(kubeConfig, options);
  }

  private constructor(kubeConfig: KubeConfigLike, options: ExecOptions) {
    this.kubeConfig = kubeConfig;
    this.options = options;
    this.tty = options.tty ?? false;
    this.stdinEnabled = options.stdin ?? false;
    this.stdoutEnabled = options.stdout ?? true;
    this.stderrEnabled = options.stderr ?? !this.tty;
    this.intervalMs = options.keepaliveIntervalMs ?? 5000;
    this.timeoutMs = options.keepaliveTimeoutMs ?? 30000;
    if (options.size) this.size = normalizeSize(options.size);

    this.protocol = new Promise<string>((resolve, reject) => {
      this.resolveProtocol = resolve;
      this.rejectProtocol = reject;
    });
    // Nobody is obliged to look at `protocol`; its rejection must not crash the process.
    this.protocol.catch(() => {});
    this.result = new Promise((resolve) => (this.resolveResult = resolve));
    this.firstOutput = new Promise((resolve) => (this.resolveFirstOutput = resolve));

    this.stdout = this.outputStream(STDOUT_BIT, this.stdoutEnabled);
    this.stderr = this.outputStream(STDERR_BIT, this.stderrEnabled);
    this.stdin = new Writable({
      highWaterMark: STDIN_HIGH_WATER_MARK,
      write: (chunk: Buffer, _encoding, callback) => this.writeStdin(chunk, callback),
      final: (callback) => this.endStdin(callback),
    });

    if (options.signal?.aborted) {
      this.closeRequested = true;
    } else {
      options.signal?.addEventListener('abort', this.onAbort, { once: true });
    }
    this.begin();
  }

  resize(size: TerminalSize): void {
    const next = normalizeSize(size);
    if (!next) return;
    this.size = next;
    if (this.state === 'open') this.sendSize();
  }

  /**
   * Ends the remote process: for a pipe session, half-closes stdin (v5) and gives the process a
   * short grace to exit on its own (its exit status is then the result), then closes the socket;
   * a TTY session is hung up straight away. A pipe process that ignores stdin cannot be ended
   * through the exec protocol at all and outlives the session (kubernetes#441). Safe to call
   * more than once.
   */
  close(): void {
    if (this.closeRequested || this.state === 'done') return;
    this.closeRequested = true;
    if (this.state === 'connecting') {
      // Without a socket `begin` sees the flag; with one, terminating it emits 'close'.
      this.ws?.terminate();
      return;
    }
    const info = this.info!;
    const grace = this.options.closeGraceMs ?? 2000;
    // Once the status is in, the server is closing anyway (and a timer is running).
    if (this.statusChunks.length > 0) return;
    // A TTY is hung up at once, as closing an SSH window does: stdin EOF there is a ^D, after
    // which the shell exits but leaves its background jobs running; a hangup reaches them too.
    if (this.stdinEnabled && info.closeStream && grace > 0 && !this.options.tty) {
      this.sendStdinEof();
      clearTimeout(this.closeTimer);
      this.closeTimer = setTimeout(() => this.hangUp(), grace);
    } else {
      this.hangUp();
    }
  }

  // --- connecting ---------------------------------------------------------------------------

  private begin(): void {
    let resolved: { endpoint: Promise<Endpoint>; cached: boolean };
    try {
      const o = this.options;
      this.path ||= subresourcePath({
        namespace: o.namespace,
        pod: o.pod,
        container: o.container,
        subresource: o.subresource ?? 'exec',
        command: o.command,
        stdin: this.stdinEnabled,
        stdout: this.stdoutEnabled,
        stderr: this.stderrEnabled,
        tty: this.tty,
      });
      resolved = resolveEndpoint(this.kubeConfig);
    } catch (err) {
      // Nothing was sent: a bad name or an unusable kubeconfig entry.
      this.finish({ kind: 'error', message: errorMessage(err), noResponse: true });
      return;
    }
    Promise.all([resolved.endpoint, loadTransport()]).then(
      ([endpoint, transport]) => this.connect(endpoint, resolved.cached, transport),
      (err: unknown) => this.finish({ kind: 'error', message: errorMessage(err), noResponse: true }),
    );
  }

  private connect(endpoint: Endpoint, cachedEndpoint: boolean, transport: Transport): void {
    if (this.state === 'done') return;
    if (this.closeRequested) {
      this.finish(closedResult());
      return;
    }
    this.server = endpoint.server;
    const o = this.options;
    const handshake = timeHandshake(transport, endpoint.server, endpoint.options, o.handshakeTimeouts, (message) => {
      if (this.handshake !== handshake || !this.ws) return;
      this.failure ??= { kind: 'error', message, noResponse: true };
      this.ws.terminate();
    });
    this.handshake = handshake;
    const options: ClientOptions = {
      ...endpoint.options,
      headers: { ...endpoint.options.headers, 'User-Agent': USER_AGENT },
      // The API server does not compress; offering it only costs a header and a zlib setup.
      perMessageDeflate: false,
      generateMask: nonZeroMask,
      // base64 frames are ASCII; binary payloads are never validated anyway.
      skipUTF8Validation: true,
      followRedirects: false,
    };
    if (!options.agent) options.createConnection = handshake.createConnection;
    let ws: WebSocket;
    try {
      ws = new transport.WebSocket(endpoint.server + this.path, [...(o.protocols ?? DEFAULT_PROTOCOLS)], options);
    } catch (err) {
      handshake.done();
      this.finish(noResponseResult(endpoint.server, err));
      return;
    }
    this.ws = ws;
    ws.on('upgrade', () => handshake.done());
    ws.on('unexpected-response', (_req, res) => {
      handshake.done();
      this.onRefused(ws, res, cachedEndpoint);
    });
    ws.on('open', () => this.onOpen(ws));
    ws.on('message', (data: Buffer) => this.onMessage(data));
    ws.on('pong', () => this.onPong());
    ws.on('ping', () => (this.sawTraffic = true));
    ws.on('error', (err) => this.onError(ws, err));
    ws.on('close', (code) => this.onClose(ws, code));
  }

  /** The upgrade was answered with an ordinary HTTP response: its body is usually a Status. */
  private onRefused(ws: WebSocket, res: IncomingMessage, cachedEndpoint: boolean): void {
    void readErrorBody(res).then((body) => {
      if (ws !== this.ws) return;
      const httpStatus = res.statusCode ?? 0;
      if (httpStatus === 401 && cachedEndpoint && !this.retriedAuth && !this.closeRequested) {
        // Possibly an expired exec-plugin token or rotated token file: set up again, once.
        this.retriedAuth = true;
        forgetEndpoint(this.kubeConfig);
        this.ws = undefined;
        ws.terminate();
        this.begin();
        return;
      }
      void this.refusal(httpStatus, body).then((failure) => {
        if (ws !== this.ws) return;
        this.failure = failure;
        ws.terminate();
      });
    });
  }

  /**
   * What a refused upgrade means, in the API's own words (its Status message, secrets masked),
   * through the same reading of error bodies as every other request (errors.ts). A pod that is
   * not found may be so because its namespace does not exist: then, as kubectl does, that is
   * what is reported.
   */
  private async refusal(httpStatus: number, body: string): Promise<ExecResult> {
    if (httpStatus < 400) {
      return {
        kind: 'error',
        message: `The API server at ${this.server} answered the exec request with HTTP ${httpStatus} instead of switching to a WebSocket. A proxy in between may not pass WebSocket upgrades on.`,
        httpStatus,
      };
    }
    const err = apiErrorFromResponse(httpStatus, body, this.server);
    const said = err.status?.message?.trim();
    const result: ExecResult = { kind: 'error', message: said ? redactSecrets(shortenServerText(said)) : err.message, httpStatus };
    if (err.reason) result.reason = err.reason;
    if (httpStatus !== 404 || err.status?.details?.kind !== 'pods') return result;
    try {
      const { response } = await apiGet(this.kubeConfig, namespacePath(this.options.namespace), { headersTimeoutMs: 10_000 });
      response.resume();
    } catch (lookup) {
      const status = lookup instanceof KubeApiError ? lookup.status : undefined;
      if (lookup instanceof KubeApiError && lookup.httpStatus === 404 && status?.details?.kind === 'namespaces' && status.message) {
        return { kind: 'error', message: redactSecrets(status.message), httpStatus: 404, reason: status.reason ?? 'NotFound' };
      }
    }
    return result;
  }

  private onOpen(ws: WebSocket): void {
    if (ws !== this.ws || this.state !== 'connecting') return;
    const info = protocolInfo(ws.protocol);
    if (!info) {
      this.failure = {
        kind: 'error',
        message: `${this.server} answered with the WebSocket subprotocol "${ws.protocol}", which is not a Kubernetes channel protocol.`,
      };
      ws.terminate();
      return;
    }
    this.info = info;
    this.state = 'open';
    this.resolveProtocol(info.name);
    if (this.closeRequested) {
      this.hangUp();
      return;
    }
    this.sendSize();
    if (this.intervalMs > 0) this.pingTimer = setInterval(() => this.ping(), this.intervalMs);
    const pending = this.pendingWrite;
    if (pending) {
      this.pendingWrite = undefined;
      this.sendStdin(pending.chunk, pending.callback);
    }
    const end = this.pendingEnd;
    if (end) {
      this.pendingEnd = undefined;
      this.sendStdinEof();
      end();
    }
  }

  // --- receiving ----------------------------------------------------------------------------

  private onMessage(data: Buffer): void {
    if (this.state !== 'open') return;
    this.sawTraffic = true;
    const base64 = this.info!.base64;
    const channel = frameChannel(data, base64);
    if (channel === STDOUT || channel === STDERR) {
      const payload = framePayload(data, base64);
      if (payload.length === 0) return; // the "stream ready" frame
      if (!this.outputSeen) {
        this.outputSeen = true;
        this.resolveFirstOutput(true);
      }
      // A TTY has no separate stderr; should a server send some anyway, it belongs on screen.
      const toStderr = channel === STDERR && this.stderrEnabled;
      const stream = toStderr ? this.stderr : this.stdout;
      if (stream.readableEnded || stream.destroyed || (!toStderr && !this.stdoutEnabled)) return;
      if (!stream.push(payload)) this.pauseFor(toStderr ? STDERR_BIT : STDOUT_BIT);
    } else if (channel === ERROR) {
      const payload = framePayload(data, base64);
      if (payload.length === 0) return;
      this.statusChunks.push(payload);
      if (!this.closeTimer) this.closeTimer = setTimeout(() => this.hangUp(), CLOSE_AFTER_STATUS_MS);
    }
  }

  private outputStream(bit: number, enabled: boolean): Readable {
    const stream = new Readable({
      highWaterMark: OUTPUT_HIGH_WATER_MARK,
      read: () => this.resumeFor(bit),
    });
    // A reader that destroys its stream gives up on it; it must not hold the socket paused.
    stream.on('close', () => this.resumeFor(bit));
    if (!enabled) {
      stream.push(null);
      stream.resume();
    }
    return stream;
  }

  private pauseFor(bit: number): void {
    if (this.paused === 0) this.ws?.pause();
    this.paused |= bit;
  }

  private resumeFor(bit: number): void {
    if ((this.paused & bit) === 0) return;
    this.paused &= ~bit;
    if (this.paused === 0 && this.state === 'open') {
      // Pongs waited unread in the socket while paused; that was not the peer's fault.
      this.sawTraffic = true;
      this.ws?.resume();
    }
  }

  // --- keepalive ----------------------------------------------------------------------------

  private ping(): void {
    const ws = this.ws;
    if (!ws || this.state !== 'open') return;
    ws.ping();
    if (this.timeoutMs > 0 && !this.deadlineTimer) {
      this.sawTraffic = false;
      // Decided after the poll phase (setImmediate): if our own event loop was what stalled, a
      // pong waiting in the socket is read before we call the connection lost.
      this.deadlineTimer = setTimeout(() => setImmediate(() => this.onDeadline()), this.timeoutMs);
    }
  }

  private onPong(): void {
    this.sawTraffic = true;
    if (this.deadlineTimer) {
      clearTimeout(this.deadlineTimer);
      this.deadlineTimer = undefined;
    }
  }

  private onDeadline(): void {
    if (!this.deadlineTimer) return; // a pong came in meanwhile
    this.deadlineTimer = undefined;
    // Any frame proves the connection alive (a pong may queue behind output); while we hold
    // the socket paused for a slow reader we cannot see pongs at all.
    if (this.sawTraffic || this.paused !== 0 || this.state !== 'open') return;
    this.failure = {
      kind: 'connectionLost',
      message: `${this.server} did not answer keepalive pings for ${formatSeconds(this.timeoutMs)}; the connection is considered lost.`,
    };
    this.ws?.terminate();
  }

  // --- sending ------------------------------------------------------------------------------

  private writeStdin(chunk: Buffer, callback: (error?: Error | null) => void): void {
    // After the end (or without stdin) writes are dropped rather than failed: a pipe into
    // stdin must not crash the process when the remote command exits first.
    if (this.state === 'done' || !this.stdinEnabled || this.stdinEofSent || chunk.length === 0) {
      callback();
      return;
    }
    if (this.state === 'connecting') {
      this.pendingWrite = { chunk, callback };
      return;
    }
    this.sendStdin(chunk, callback);
  }

  private sendStdin(chunk: Buffer, callback: (error?: Error | null) => void): void {
    const ws = this.ws!;
    const base64 = this.info!.base64;
    let called = false;
    const done = (): void => {
      if (called) return;
      called = true;
      if (this.stdinWaiting === done) this.stdinWaiting = undefined;
      callback();
    };
    let start = 0;
    // Frame by frame, each next one only once the socket holds little enough, rather than the
    // whole chunk at once: frames queued on the socket together are copied into one fresh
    // buffer to be written, which for a large upload costs more than the copying itself
    // (page faults on new memory).
    const sendNext = (): void => {
      for (;;) {
        if (this.state !== 'open' || this.ws !== ws) {
          done();
          return;
        }
        const end = Math.min(chunk.length, start + MAX_STDIN_FRAME);
        const frame = this.stdinFrame(base64, chunk, start, end);
        start = end;
        if (start >= chunk.length) {
          // The send callback runs once this frame reached the kernel (or failed because the
          // socket closed), i.e. once everything queued before it drained too.
          ws.send(frame, done);
          if (ws.bufferedAmount <= STDIN_HIGH_WATER_MARK) done();
          else this.stdinWaiting = done;
          return;
        }
        let waiting = false;
        ws.send(frame, () => {
          if (waiting) sendNext();
        });
        if (ws.bufferedAmount > STDIN_HIGH_WATER_MARK) {
          waiting = true;
          return;
        }
      }
    };
    sendNext();
  }

  /**
   * A stdin frame: binary frames are built in one buffer used again and again. That is safe
   * because `ws` copies a frame while masking it, before send() returns: it would hold on to
   * our buffer only to compress it (we offer no compression), for a Blob (never sent) or for
   * a mask of all zeros, which nonZeroMask never makes.
   */
  private stdinFrame(base64: boolean, chunk: Buffer, start: number, end: number): Buffer | string {
    if (base64) return encodeFrame(true, STDIN, chunk, start, end);
    this.stdinScratch ??= Buffer.allocUnsafe(MAX_STDIN_FRAME + 1);
    this.stdinScratch[0] = STDIN;
    chunk.copy(this.stdinScratch, 1, start, end);
    return this.stdinScratch.subarray(0, end - start + 1);
  }

  private endStdin(callback: (error?: Error | null) => void): void {
    if (this.state === 'done' || !this.stdinEnabled) {
      callback();
      return;
    }
    if (this.state === 'connecting') {
      this.pendingEnd = callback;
      return;
    }
    this.sendStdinEof();
    callback();
  }

  private sendStdinEof(): void {
    if (this.stdinEofSent || !this.stdinEnabled || this.state !== 'open') return;
    this.stdinEofSent = true;
    const info = this.info!;
    const ws = this.ws!;
    if (this.tty) {
      // On a terminal, EOF is what the terminal makes of Ctrl-D at the start of a line, on every
      // protocol. v5's CLOSE would not do it: containerd does not pass stdin EOF on to a TTY, it
      // closes the session's output instead, and the process runs on unseen.
      ws.send(encodeFrame(info.base64, STDIN, EOT));
    } else if (info.closeStream) {
      ws.send(encodeCloseFrame(STDIN));
    }
    // Otherwise (pre-v5, no TTY) nothing can be done: closing the socket would also cut off the
    // remaining output and the exit status (kubernetes#89899), so the remote stdin stays open
    // until the session ends.
  }

  private sendSize(): void {
    const size = this.size;
    const info = this.info;
    if (!size || !this.tty || !info?.resize || !this.ws) return;
    const key = `${size.columns}x${size.rows}`;
    if (key === this.sentSize) return;
    this.sentSize = key;
    this.ws.send(encodeFrame(info.base64, RESIZE, resizePayload(size.columns, size.rows)));
  }

  // --- ending -------------------------------------------------------------------------------

  /** Closes the socket politely, and cuts it if the server does not answer soon. */
  private hangUp(): void {
    const ws = this.ws;
    if (!ws || this.state === 'done') return;
    if (this.closeTimer) {
      clearTimeout(this.closeTimer);
      this.closeTimer = undefined;
    }
    if (ws.readyState === ws.OPEN) {
      ws.close(1000);
      this.killTimer ??= setTimeout(() => ws.terminate(), CLOSE_HANDSHAKE_MS);
    } else {
      ws.terminate();
    }
  }

  private onError(ws: WebSocket, err: Error): void {
    if (ws !== this.ws) return;
    this.lastError = err;
    if (this.state === 'connecting' && !this.failure && !this.closeRequested) {
      this.failure = noResponseResult(this.server, err);
    }
  }

  private onClose(ws: WebSocket, code: number): void {
    if (ws !== this.ws) return;
    this.handshake?.done();
    this.finish(this.outcome(code));
  }

  private outcome(code: number): ExecResult {
    const info = this.info;
    // A status means the command finished, however the socket went down afterwards.
    if (this.statusChunks.length > 0) {
      return parseExecStatus(Buffer.concat(this.statusChunks), info?.jsonStatus ?? true, this.server);
    }
    if (this.failure) return this.failure;
    if (this.closeRequested) return closedResult();
    if (!info) {
      return noResponseResult(this.server, this.lastError ?? `the connection closed during the handshake (code ${code})`);
    }
    // Before v4 success is silent: a clean close without an error is exit 0.
    if (!info.jsonStatus && (code === 1000 || code === 1005)) return { kind: 'exit', code: 0 };
    const why = this.lastError ? `: ${this.lastError.message}` : code === 1006 ? '' : ` (WebSocket close code ${code})`;
    return {
      kind: 'connectionLost',
      message: `The connection to ${this.server} closed before the command reported its exit status${why}.`,
    };
  }

  private finish(result: ExecResult): void {
    if (this.state === 'done') return;
    const opened = this.state === 'open';
    this.state = 'done';
    for (const timer of [this.pingTimer, this.deadlineTimer, this.closeTimer, this.killTimer]) clearTimeout(timer);
    this.handshake?.done();
    this.options.signal?.removeEventListener('abort', this.onAbort);
    if (!opened) this.rejectProtocol(new Error(result.kind === 'exit' ? 'The session ended before it opened.' : result.message));
    this.resolveFirstOutput(false);
    const ws = this.ws;
    if (ws && ws.readyState !== ws.CLOSED) ws.terminate();

    // Writers waiting on the socket are released: their data can no longer go anywhere.
    this.stdinWaiting?.();
    const pending = this.pendingWrite;
    this.pendingWrite = undefined;
    pending?.callback();
    const end = this.pendingEnd;
    this.pendingEnd = undefined;
    end?.();

    void Promise.all([endOutput(this.stdout), endOutput(this.stderr)]).then(() => this.resolveResult(result));
  }
}

const EOT = Buffer.from([0x04]);

/** Ends an output stream and resolves once its reader has seen the end. */
function endOutput(stream: Readable): Promise<void> {
  if (stream.readableEnded || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.push(null);
    // A stream nobody reads and that holds nothing would never emit 'end'; let it flow out.
    if (stream.readableFlowing === null && stream.readableLength === 0) stream.resume();
  });
}

/** The server never answered: the connection, TLS or the handshake failed. */
function noResponseResult(server: string, err: unknown): ExecResult {
  const result: ExecResult = { kind: 'error', message: connectErrorMessage(server, err), noResponse: true };
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') result.errorCode = code;
  return result;
}

function closedResult(): ExecResult {
  return { kind: 'error', message: 'The session was closed before the command reported its exit status.', reason: 'Closed' };
}

function normalizeSize(size: TerminalSize): TerminalSize | undefined {
  const columns = Math.floor(size.columns);
  const rows = Math.floor(size.rows);
  if (!(columns > 0 && rows > 0) || columns > 0xffff || rows > 0xffff) return undefined;
  return { columns, rows };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/** ws's mask key generator: random as RFC 6455 asks, and never all zeros (see stdinFrame). */
function nonZeroMask(mask: Buffer): void {
  do {
    // Drawn from a pool refilled 2,048 keys at a time, as ws's own generator does: one call
    // into the random source per frame would cost more than masking the frame.
    if (maskPoolUsed === MASK_POOL.length) {
      // From node:crypto, which ws has loaded by now. Web Crypto (globalThis.crypto) is loaded
      // on first use, a few milliseconds spent just before a session's first frame (its terminal
      // size) went out.
      process.getBuiltinModule('node:crypto').randomFillSync(MASK_POOL);
      maskPoolUsed = 0;
    }
    mask.set(MASK_POOL.subarray(maskPoolUsed, maskPoolUsed + 4));
    maskPoolUsed += 4;
  } while ((mask[0]! | mask[1]! | mask[2]! | mask[3]!) === 0);
}

const MASK_POOL = new Uint8Array(8192);
let maskPoolUsed = MASK_POOL.length;
