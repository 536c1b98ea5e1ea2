// Forwards a local TCP port to a port of a pod over the Kubernetes WebSocket port-forward
// protocol (v4.channel.k8s.io): one WebSocket per local connection, data on channel 0, errors
// on channel 1, each channel opened by the server with the port as 2 little-endian bytes.
// Why not client-node's PortForward: it takes a socket per call but reports errors on the error
// channel only through a stream the caller must watch, keeps no backpressure, and gives no way
// to notice that the pod went away while no connection is open. This adds:
// - the local listener (free port by default) and its lifetime, with stop() closing everything;
// - errors for people: a refused upgrade's Status, the kubelet's error-channel text;
// - backpressure both ways;
// - a broken forward is noticed: the pod is checked now and then (and at once when a connection
//   dies abnormally); a deleted or stopped pod ends the forward with the reason.
import type { AddressInfo, Server, Socket } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { ClientOptions, WebSocket } from 'ws';
import type { V1Pod } from '@kubernetes/client-node';
import { apiGetJson } from './apiRequest.ts';
import { podPath } from './names.ts';
import { apiErrorFromResponse, describeError, KubeApiError } from './errors.ts';
import { encodeBinaryFrame } from './exec/frames.ts';
import { readErrorBody } from './httpBody.ts';
import { loadTransport, type Transport } from './transport.ts';
import { connectErrorMessage, forgetEndpoint, resolveEndpoint, timeHandshake, type HandshakeTimeouts, type KubeConfigLike } from './exec/connect.ts';

export const PORT_FORWARD_PROTOCOL = 'v4.channel.k8s.io';
const DATA = 0;
const ERROR = 1;
const HIGH_WATER = 1 << 20;
const LOW_WATER = 256 << 10;
/** Three failed checks in a row (the API server unreachable): the forward cannot work either. */
const MAX_CHECK_FAILURES = 3;

export interface PortForwardOptions {
  namespace: string;
  pod: string;
  /** The port in the pod. */
  remotePort: number;
  /** Default 0: a free port. */
  localPort?: number;
  /** Default 127.0.0.1. */
  localAddress?: string;
  /** How often the pod is checked while the forward runs. Default 10000. */
  checkIntervalMs?: number;
  /** Deadlines of each connection's WebSocket handshake phases (see exec/connect.ts). */
  handshakeTimeouts?: HandshakeTimeouts;
  /** Ping each connection's WebSocket this often, so idle ones survive proxies. Default 30000; 0 off. */
  keepaliveIntervalMs?: number;
}

export interface PortForwardListener {
  /** A connection through the forward failed; the forward itself keeps listening. */
  onConnectionError?(message: string): void;
}

export type PortForwardEnd = { reason: 'stopped' } | { reason: 'broken'; message: string };

function isRunning(pod: V1Pod): string | undefined {
  if (pod.metadata?.deletionTimestamp) return `The pod ${pod.metadata.name} is being deleted.`;
  if (pod.status?.phase !== 'Running') return `The pod ${pod.metadata?.name} is not running (phase ${pod.status?.phase ?? 'Unknown'}).`;
  return undefined;
}

export class PortForward {
  readonly namespace: string;
  readonly pod: string;
  readonly remotePort: number;
  readonly localAddress: string;
  /** Resolves once, when the forward has stopped or broken. */
  readonly ended: Promise<PortForwardEnd>;

  private readonly kubeConfig: KubeConfigLike;
  private readonly options: PortForwardOptions;
  private readonly listener: PortForwardListener;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly sessions = new Set<WebSocket>();
  private readonly checkController = new AbortController();
  private checkTimer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private checkFailures = 0;
  private end: PortForwardEnd | undefined;
  private resolveEnded!: (end: PortForwardEnd) => void;

  /**
   * Checks that the pod runs, then listens. Rejects (KubeApiError with the server's Status, or
   * an Error for people) if the pod cannot be forwarded to or the local port cannot be opened.
   */
  static async start(kubeConfig: KubeConfigLike, options: PortForwardOptions, listener: PortForwardListener = {}): Promise<PortForward> {
    if (!Number.isInteger(options.remotePort) || options.remotePort < 1 || options.remotePort > 65535) {
      throw new Error(`${options.remotePort} is not a port number (1 to 65535).`);
    }
    const pod = await apiGetJson<V1Pod>(kubeConfig, podPath(options.namespace, options.pod));
    const notRunning = isRunning(pod);
    if (notRunning) throw new Error(`Cannot forward to ${options.namespace}/${options.pod}: ${notRunning}`);
    // node:net is loaded here rather than with the extension: most sessions never forward.
    const { createServer } = await import('node:net');
    const forward = new PortForward(kubeConfig, options, listener, createServer);
    await forward.listen();
    return forward;
  }

  private constructor(kubeConfig: KubeConfigLike, options: PortForwardOptions, listener: PortForwardListener, createServer: typeof import('node:net').createServer) {
    this.kubeConfig = kubeConfig;
    this.options = options;
    this.listener = listener;
    this.namespace = options.namespace;
    this.pod = options.pod;
    this.remotePort = options.remotePort;
    this.localAddress = options.localAddress ?? '127.0.0.1';
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    this.server = createServer((socket) => this.onConnection(socket));
  }

  get localPort(): number {
    return (this.server.address() as AddressInfo | null)?.port ?? this.options.localPort ?? 0;
  }

  /** Local connections open now. */
  get connections(): number {
    return this.sockets.size;
  }

  get description(): string {
    return `${this.localAddress}:${this.localPort} → ${this.namespace}/${this.pod}:${this.remotePort}`;
  }

  private listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        const port = this.options.localPort ?? 0;
        reject(new Error(err.code === 'EADDRINUSE'
          ? `Local port ${port} is already in use. Pick another one, or 0 for any free port.`
          : `Could not listen on ${this.localAddress}:${port}: ${err.message}`));
      };
      this.server.once('error', onError);
      this.server.listen(this.options.localPort ?? 0, this.localAddress, () => {
        this.server.off('error', onError);
        this.server.on('error', () => undefined);
        this.scheduleCheck();
        resolve();
      });
    });
  }

  /** Stops listening and closes every connection. Safe to call more than once. */
  async stop(): Promise<void> {
    this.finish({ reason: 'stopped' });
    await this.ended;
  }

  private finish(end: PortForwardEnd): void {
    if (this.end) return;
    this.end = end;
    clearTimeout(this.checkTimer);
    this.checkController.abort();
    for (const ws of this.sessions) ws.terminate();
    this.sessions.clear();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.server.close(() => this.resolveEnded(end));
  }

  // --- noticing a broken forward ----------------------------------------------------------------

  private scheduleCheck(): void {
    const interval = this.options.checkIntervalMs ?? 10_000;
    if (this.end || interval <= 0) return;
    clearTimeout(this.checkTimer);
    this.checkTimer = setTimeout(() => void this.check(), interval);
  }

  /** Looks at the pod: gone or stopped ends the forward. */
  check(): Promise<void> {
    this.checking ??= this.runCheck().finally(() => {
      this.checking = undefined;
      this.scheduleCheck();
    });
    return this.checking;
  }

  private async runCheck(): Promise<void> {
    if (this.end) return;
    try {
      const pod = await apiGetJson<V1Pod>(this.kubeConfig, podPath(this.namespace, this.pod), this.checkController.signal);
      this.checkFailures = 0;
      const notRunning = isRunning(pod);
      if (notRunning) this.finish({ reason: 'broken', message: notRunning });
    } catch (err) {
      if (this.end) return;
      if (err instanceof KubeApiError && err.httpStatus === 404) {
        this.finish({ reason: 'broken', message: `The pod ${this.namespace}/${this.pod} was deleted.` });
      } else if (++this.checkFailures >= MAX_CHECK_FAILURES) {
        this.finish({ reason: 'broken', message: `Lost contact with the API server: ${describeError(err)}` });
      }
    }
  }

  // --- one connection -----------------------------------------------------------------------------

  private onConnection(socket: Socket): void {
    if (this.end) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.pause();
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
    void this.connect(socket);
  }

  private async connect(socket: Socket): Promise<void> {
    let endpoint;
    let transport: Transport;
    try {
      [endpoint, transport] = await Promise.all([resolveEndpoint(this.kubeConfig).endpoint, loadTransport()]);
    } catch (err) {
      this.connectionFailed(socket, describeError(err));
      return;
    }
    if (this.end || socket.destroyed) return;
    const path = `${podPath(this.namespace, this.pod, 'portforward')}?ports=${this.remotePort}`;
    let created: WebSocket | undefined;
    const handshake = timeHandshake(transport, endpoint.server, endpoint.options, this.options.handshakeTimeouts, (message) => {
      report(`Port forward to ${this.pod}:${this.remotePort}: ${message}`);
      created?.terminate();
    });
    const options: ClientOptions = {
      ...endpoint.options,
      headers: { ...endpoint.options.headers, 'User-Agent': 'kube-exec' },
      perMessageDeflate: false,
      followRedirects: false,
    };
    if (!options.agent) options.createConnection = handshake.createConnection;
    try {
      created = new transport.WebSocket(endpoint.server + path, [PORT_FORWARD_PROTOCOL], options);
    } catch (err) {
      handshake.done();
      this.connectionFailed(socket, connectErrorMessage(endpoint.server, err));
      return;
    }
    const ws = created;
    ws.on('upgrade', () => handshake.done());
    this.sessions.add(ws);
    const prefix = [true, true];
    const errorText: Buffer[] = [];
    let opened = false;
    let reported = false;
    /** We closed it (the local client went away), as opposed to the server. */
    let closedHere = false;
    let ping: NodeJS.Timeout | undefined;
    const report = (message: string) => {
      if (reported) return;
      reported = true;
      this.listener.onConnectionError?.(message);
    };

    ws.on('unexpected-response', (_req, res: IncomingMessage) => {
      handshake.done();
      void readErrorBody(res).then((body) => {
        const err = apiErrorFromResponse(res.statusCode ?? 0, body, endpoint.server);
        if (res.statusCode === 401) forgetEndpoint(this.kubeConfig);
        report(`Port forward to ${this.pod}:${this.remotePort} refused: ${err.message}`);
        ws.terminate();
        socket.destroy();
        // A 404 means the pod is gone: no need to wait for the next check.
        if (res.statusCode === 404) void this.check();
      });
    });
    ws.on('open', () => {
      opened = true;
      const interval = this.options.keepaliveIntervalMs ?? 30_000;
      if (interval > 0) ping = setInterval(() => ws.ping(), interval);
      socket.resume();
    });
    ws.on('message', (raw: Buffer, isBinary: boolean) => {
      if (!isBinary || raw.length === 0) return;
      const channel = raw[0]!;
      let payload = raw.subarray(1);
      if (channel !== DATA && channel !== ERROR) return;
      if (prefix[channel]) {
        // The server's first frame on each channel names the port.
        prefix[channel] = false;
        payload = payload.subarray(2);
      }
      if (payload.length === 0) return;
      if (channel === ERROR) {
        errorText.push(Buffer.from(payload));
        return;
      }
      if (!socket.write(payload)) {
        ws.pause();
        socket.once('drain', () => ws.resume());
      }
    });
    ws.on('close', () => {
      handshake.done();
      clearInterval(ping);
      this.sessions.delete(ws);
      if (errorText.length > 0) report(`Port forward to ${this.pod}:${this.remotePort}: ${Buffer.concat(errorText).toString('utf8').trim()}`);
      // Output the server sent stays, then the local side closes too.
      socket.end();
      // The pod's side ended it, or it died without a close frame: is the pod still there?
      if (opened && !closedHere && !this.end) void this.check();
    });
    ws.on('error', (err) => {
      if (!opened) report(`Port forward to ${this.pod}:${this.remotePort}: ${describeError(err, endpoint.server)}`);
      ws.terminate();
    });

    socket.on('data', (data: Buffer) => {
      if (ws.readyState !== ws.OPEN) return;
      ws.send(encodeBinaryFrame(DATA, data), (err) => {
        if (!err && socket.isPaused() && ws.bufferedAmount < LOW_WATER) socket.resume();
      });
      if (ws.bufferedAmount > HIGH_WATER) socket.pause();
    });
    // The protocol has no half-close: the local client is done, so is the connection.
    const closeHere = () => {
      closedHere = true;
      if (ws.readyState === ws.OPEN) ws.close(1000);
      else if (ws.readyState === ws.CONNECTING) ws.terminate();
    };
    socket.on('end', closeHere);
    socket.on('close', closeHere);
  }

  private connectionFailed(socket: Socket, message: string): void {
    this.listener.onConnectionError?.(`Port forward to ${this.pod}:${this.remotePort}: ${message}`);
    socket.destroy();
  }
}
