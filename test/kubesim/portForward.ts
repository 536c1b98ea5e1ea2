// pods/{pod}/portforward in its three wire forms, with the API server's checks in front:
// - WebSocket channel protocol (`v4.channel.k8s.io`, `v4.base64.channel.k8s.io`, or none), which
//   the API server proxies to the kubelet as is: `?ports=a,b` is required, each port i gets data
//   channel 2i and error channel 2i+1, and the kubelet first writes the port (2 bytes, little
//   endian) on both. One WebSocket carries one connection per port; it closes when they end.
// - SPDY/3.1 tunnelled in WebSocket binary messages (`SPDY/3.1+portforward.k8s.io`), what kubectl
//   1.31+ tries first, and plain SPDY/3.1 (POST, Upgrade: SPDY/3.1), its fallback. Each forwarded
//   connection is a pair of streams (streamType error|data, port, requestID); errors go on the
//   error stream, both are closed (FIN) when the connection ends.
// The pod's "localhost" is the host's loopback, through MainProcesses.hostPort: ports the pod
// declares map to free host ports, and a pod without a process refuses everything. Refusals
// carry containerd's wording. Deleting the pod cuts every forward into it, as losing its network
// namespace would.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { authenticate, authorize, forbiddenReason, type Attributes } from './auth.ts';
import type { Pod } from './fixtures.ts';
import type { MainProcesses } from './mainProcess.ts';
import { SpdyConnection, type SpdyStream } from './spdy.ts';
import { invalidName, parseTarget, queryPorts } from './params.ts';
import { badRequest, failure, forbidden, goQuote, notFound, unauthorized, type Status } from './status.ts';

export const PORTFORWARD_PROTOCOL = 'portforward.k8s.io';
export const TUNNEL_PROTOCOL = `SPDY/3.1+${PORTFORWARD_PROTOCOL}`;
const V4 = 'v4.channel.k8s.io';
const V4_BASE64 = 'v4.base64.channel.k8s.io';
const V1_BASE64 = 'base64.channel.k8s.io';
/** What the kubelet's WebSocket port-forward accepts ("" = no subprotocol offered). */
const CHANNEL_PROTOCOLS = new Set(['', V4, V4_BASE64, V1_BASE64]);

const HIGH_WATER = 1 << 20;
const LOW_WATER = 256 << 10;

export interface PortForwardFaults {
  refuseUpgrade: { code: number; message: string } | null;
}

const REASONS: Record<number, [string, string]> = {
  400: ['Bad Request', 'BadRequest'], 401: ['Unauthorized', 'Unauthorized'], 403: ['Forbidden', 'Forbidden'],
  404: ['Not Found', 'NotFound'], 429: ['Too Many Requests', 'TooManyRequests'], 500: ['Internal Server Error', 'InternalError'],
  503: ['Service Unavailable', 'ServiceUnavailable'],
};

function rawResponse(socket: Duplex, code: number, body: string, contentType?: string): void {
  const lines = [`HTTP/1.1 ${code} ${REASONS[code]?.[0] ?? 'Error'}`, 'Cache-Control: no-cache, private'];
  if (contentType) lines.push(`Content-Type: ${contentType}`);
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close', '', '');
  socket.end(lines.join('\r\n') + body);
}

function rawStatus(socket: Duplex, status: Status): void {
  rawResponse(socket, status.code, JSON.stringify(status), 'application/json');
}

/** containerd names a pod's sandbox and network namespace by IDs of its own; stable per pod here. */
function sandboxOf(pod: Pod): { id: string; netns: string } {
  const hash = createHash('sha256').update(`sandbox:${pod.metadata.uid ?? pod.metadata.name}`).digest('hex');
  const u = hash.slice(0, 32);
  return { id: hash, netns: `/var/run/netns/cni-${u.slice(0, 8)}-${u.slice(8, 12)}-${u.slice(12, 16)}-${u.slice(16, 20)}-${u.slice(20, 32)}` };
}

/** The error the kubelet writes on the error stream when the runtime cannot reach the port. */
function refusedMessage(pod: Pod, port: number): string {
  const sandbox = sandboxOf(pod);
  const inner = `failed to connect to localhost:${port} inside namespace "${sandbox.id}", IPv4: dial tcp4 127.0.0.1:${port}: connect: connection refused IPv6 dial tcp6 [::1]:${port}: connect: connection refused `;
  return `error forwarding port ${port} to pod ${sandbox.id}, uid : failed to execute portforward in network namespace "${sandbox.netns}": ${inner}`;
}

/** The container end of one forwarded connection. */
interface Forward {
  write(data: Buffer): void;
  /** The client will send no more. */
  endInput(): void;
  close(): void;
}

export class PortForwarder {
  private readonly processes: MainProcesses;
  private readonly pods: { get(key: string): Pod | undefined };
  private readonly faults: PortForwardFaults;
  private readonly wss: WebSocketServer;
  /** Everything open into a pod, so deleting the pod can cut it. */
  private readonly open = new Map<string, Set<{ close(): void }>>();

  constructor(processes: MainProcesses, pods: { get(key: string): Pod | undefined }, faults: PortForwardFaults) {
    this.processes = processes;
    this.pods = pods;
    this.faults = faults;
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      handleProtocols: (_protocols, req) => (req as IncomingMessage & { kubesimProtocol?: string }).kubesimProtocol || false,
    });
    // `ws` rejects "SPDY/3.1+portforward.k8s.io" as a subprotocol ("/" is not a token character,
    // though Go's servers and clients accept it): that one is negotiated here instead.
    this.wss.on('headers', (headers, req) => {
      if ((req as IncomingMessage & { kubesimProtocol?: string }).kubesimProtocol === TUNNEL_PROTOCOL) headers.push(`Sec-WebSocket-Protocol: ${TUNNEL_PROTOCOL}`);
    });
  }

  private track(podKey: string, item: { close(): void }): () => void {
    let set = this.open.get(podKey);
    if (!set) this.open.set(podKey, (set = new Set()));
    set.add(item);
    return () => {
      set.delete(item);
      if (set.size === 0 && this.open.get(podKey) === set) this.open.delete(podKey);
    };
  }

  /** The pod is gone: its network namespace, and every connection into it, with it. */
  killPod(podKey: string): void {
    for (const item of [...(this.open.get(podKey) ?? [])]) item.close();
    this.open.delete(podKey);
  }

  stopAll(): void {
    for (const key of [...this.open.keys()]) this.killPod(key);
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
  }

  /** An upgrade request for pods/{name}/portforward: the API server's checks, then the stream. */
  onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, namespace: string | undefined, name: string, tokens: Parameters<typeof authenticate>[1]): void {
    const user = authenticate(req, tokens);
    if (!user) return rawStatus(socket, unauthorized());
    const method = req.method ?? 'GET';
    const verbs = method === 'GET' ? ['get', 'create'] : ['create'];
    for (const verb of verbs) {
      const a: Attributes = { user, verb, resource: 'pods', subresource: 'portforward', name };
      if (namespace) a.namespace = namespace;
      if (!authorize(a)) return rawStatus(socket, forbidden('pods', name, forbiddenReason(a)));
    }
    if (this.faults.refuseUpgrade) {
      const { code, message } = this.faults.refuseUpgrade;
      return rawStatus(socket, failure(code, REASONS[code]?.[1] ?? 'Unknown', message));
    }
    if (!namespace) return rawStatus(socket, failure(404, 'NotFound', 'the server could not find the requested resource', {}));
    // ConnectResource decodes PodPortForwardOptions before PortForwardLocation reads the pod;
    // rest.ts has already refused a target Go could not parse.
    const ports = queryPorts(parseTarget(req.url ?? '/')?.query ?? new URLSearchParams());
    if (!Array.isArray(ports)) return rawStatus(socket, ports);
    const bad = invalidName(name);
    if (bad) return rawStatus(socket, bad);
    const pod = this.pods.get(`${namespace}/${name}`);
    if (!pod) return rawStatus(socket, notFound('pods', name));
    if (!pod.spec.nodeName) return rawStatus(socket, badRequest(`pod ${name} does not have a host assigned`));
    // The kubelet has no sandbox for a pod that is not running (any more).
    if (pod.status.phase !== 'Running') {
      return rawResponse(socket, 500, `failed to find sandboxID for pod ${name}_${namespace}(${pod.metadata.uid ?? ''})`, 'text/plain; charset=utf-8');
    }
    const podKey = `${namespace}/${name}`;
    const isWebSocket = (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
    if (isWebSocket) {
      const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      let protocol: string | undefined;
      if (offered.includes(TUNNEL_PROTOCOL)) protocol = TUNNEL_PROTOCOL;
      else protocol = (offered.length === 0 ? [''] : offered).find((p) => CHANNEL_PROTOCOLS.has(p));
      if (protocol === undefined) return rawResponse(socket, 403, '', undefined);
      if (protocol !== TUNNEL_PROTOCOL) {
        // The kubelet's NewV4Options: the API server passes the ports on as one `port=a,b`
        // parameter, and the kubelet's refusal quotes that whole value.
        if (ports.length === 0) return rawResponse(socket, 400, 'query parameter "port" is required', 'text/plain; charset=utf-8');
        if (ports.some((p) => p < 1)) return rawResponse(socket, 400, `port ${goQuote(ports.join(','))} must be > 0`, 'text/plain; charset=utf-8');
      }
      (req as IncomingMessage & { kubesimProtocol?: string }).kubesimProtocol = protocol;
      if (protocol === TUNNEL_PROTOCOL) delete req.headers['sec-websocket-protocol'];
      this.wss.handleUpgrade(req as IncomingMessage, socket, head, (ws) => {
        if (protocol === TUNNEL_PROTOCOL) this.serveTunnel(ws, pod, podKey);
        else this.serveChannels(ws, pod, podKey, ports, protocol === V4_BASE64 || protocol === V1_BASE64);
      });
      return;
    }
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'spdy/3.1') {
      return rawStatus(socket, badRequest('Upgrade request required'));
    }
    const wanted = String(req.headers['x-stream-protocol-version'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (wanted.length > 0 && !wanted.includes(PORTFORWARD_PROTOCOL)) {
      return rawResponse(socket, 403, `unable to upgrade: unable to negotiate protocol: client supports ${JSON.stringify(wanted)}, server supports ["${PORTFORWARD_PROTOCOL}"]`, 'text/plain; charset=utf-8');
    }
    socket.write(['HTTP/1.1 101 Switching Protocols', 'Connection: Upgrade', 'Upgrade: SPDY/3.1', `X-Stream-Protocol-Version: ${PORTFORWARD_PROTOCOL}`, '', ''].join('\r\n'));
    const conn = new SpdyConnection({
      write: (data) => socket.write(data),
      close: () => socket.end(),
    });
    this.serveSpdy(conn, pod, podKey, () => (socket as Socket).writableLength ?? 0);
    socket.on('data', (chunk: Buffer) => conn.push(chunk));
    socket.on('close', () => conn.shutdown());
    socket.on('error', () => socket.destroy());
    if (head.length > 0) conn.push(head);
  }

  /**
   * Connects to `port` of the pod. `deliver` gets the container's bytes (reading pauses while
   * `backlog()` is high); `ended` is called once, with the error text if it could not connect.
   */
  private dial(pod: Pod, podKey: string, port: number, io: {
    deliver(data: Buffer): void;
    backlog(): number;
    ended(error: string | undefined): void;
  }): Forward {
    let done = false;
    let socket: Socket | undefined;
    const early: Buffer[] = [];
    let inputEnded = false;
    let untrack = (): void => undefined;
    const finish = (error: string | undefined): void => {
      if (done) return;
      done = true;
      untrack();
      socket?.destroy();
      io.ended(error);
    };
    const forward: Forward = {
      close: () => finish(undefined),
      write: (data: Buffer) => {
        if (done) return;
        if (!socket || socket.connecting) early.push(data);
        else socket.write(data);
      },
      // The first copy to finish ends the forward (containerd waits for either direction).
      endInput: () => {
        inputEnded = true;
        if (socket && !socket.connecting) {
          socket.end(() => finish(undefined));
        }
      },
    };
    untrack = this.track(podKey, forward);
    const hostPort = this.processes.hostPort(podKey, port);
    if (hostPort === undefined) {
      queueMicrotask(() => finish(refusedMessage(pod, port)));
      return forward;
    }
    socket = connect({ host: '127.0.0.1', port: hostPort });
    let connected = false;
    socket.on('connect', () => {
      connected = true;
      for (const data of early.splice(0)) socket!.write(data);
      if (inputEnded) socket!.end(() => finish(undefined));
    });
    socket.on('data', (data: Buffer) => {
      io.deliver(data);
      if (io.backlog() > HIGH_WATER) {
        socket!.pause();
        const check = setInterval(() => {
          if (done || io.backlog() <= LOW_WATER) {
            clearInterval(check);
            socket!.resume();
          }
        }, 5);
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (!connected) finish(err.code === 'ECONNREFUSED' ? refusedMessage(pod, port) : `error forwarding port ${port} to pod ${sandboxOf(pod).id}, uid : ${err.message}`);
      else finish(undefined);
    });
    socket.on('end', () => finish(undefined));
    socket.on('close', () => finish(undefined));
    return forward;
  }

  private serveChannels(ws: WebSocket, pod: Pod, podKey: string, ports: number[], base64: boolean): void {
    const send = (channel: number, data: Buffer): void => {
      if (ws.readyState !== ws.OPEN) return;
      if (base64) ws.send(String(channel) + data.toString('base64'));
      else ws.send(Buffer.concat([Buffer.from([channel]), data]));
    };
    let remaining = ports.length;
    const forwards = ports.map((port, i) => {
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16LE(port, 0);
      send(2 * i, prefix);
      send(2 * i + 1, prefix);
      return this.dial(pod, podKey, port, {
        deliver: (data) => send(2 * i, data),
        backlog: () => ws.bufferedAmount,
        ended: (error) => {
          if (error) send(2 * i + 1, Buffer.from(error));
          if (--remaining === 0 && ws.readyState === ws.OPEN) ws.close(1000);
        },
      });
    });
    // The protocol picks the codec, not the frame's opcode: wsstream.Conn reads text and binary
    // messages alike, so a text frame on a binary protocol carries raw bytes.
    ws.on('message', (raw) => {
      const data = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw as Buffer);
      let channel: number;
      let payload: Buffer;
      if (base64) {
        const text = data.toString('latin1');
        if (!text) return;
        channel = text.charCodeAt(0) - 48;
        payload = Buffer.from(text.slice(1), 'base64');
      } else {
        if (data.length === 0) return;
        channel = data[0]!;
        payload = data.subarray(1);
      }
      if (channel % 2 === 0 && forwards[channel / 2] && payload.length > 0) forwards[channel / 2]!.write(payload);
    });
    const untrack = this.track(podKey, { close: () => ws.terminate() });
    ws.on('close', () => {
      untrack();
      for (const f of forwards) f.close();
    });
    ws.on('error', () => ws.terminate());
  }

  private serveTunnel(ws: WebSocket, pod: Pod, podKey: string): void {
    const conn = new SpdyConnection({
      write: (data) => {
        if (ws.readyState === ws.OPEN) ws.send(data, { binary: true });
      },
      close: () => {
        if (ws.readyState === ws.OPEN) ws.close(1000);
      },
    });
    this.serveSpdy(conn, pod, podKey, () => ws.bufferedAmount);
    ws.on('message', (raw) => conn.push(Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw as Buffer)));
    ws.on('close', () => conn.shutdown());
    ws.on('error', () => ws.terminate());
  }

  /** kubelet's httpStreamHandler: pairs error and data streams by requestID, forwards each pair. */
  private serveSpdy(conn: SpdyConnection, pod: Pod, podKey: string, backlog: () => number): void {
    const pairs = new Map<string, { data?: SpdyStream; error?: SpdyStream }>();
    const untrack = this.track(podKey, { close: () => conn.goAway() });
    conn.onClose = untrack;
    conn.onStream = (stream) => {
      const type = stream.header('streamType');
      const requestID = stream.header('requestID') ?? '';
      if (type !== 'data' && type !== 'error') {
        stream.reset();
        return;
      }
      const pair = pairs.get(requestID) ?? {};
      pairs.set(requestID, pair);
      if (pair[type]) {
        stream.reset();
        return;
      }
      pair[type] = stream;
      // The error stream is write-only for the server; the client half-closes it at once.
      if (type === 'error') stream.onData = () => undefined;
      if (!pair.data || !pair.error) return;
      pairs.delete(requestID);
      const { data, error } = pair as { data: SpdyStream; error: SpdyStream };
      const port = Number(data.header('port'));
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        error.write(Buffer.from(`error forwarding port ${data.header('port') ?? ''} to pod ${sandboxOf(pod).id}, uid : invalid port`));
        error.end();
        data.end();
        return;
      }
      const forward = this.dial(pod, podKey, port, {
        deliver: (chunk) => data.write(chunk),
        backlog,
        ended: (message) => {
          if (message) error.write(Buffer.from(message));
          data.end();
          error.end();
        },
      });
      data.onData = (chunk) => forward.write(chunk);
      data.onEnd = () => forward.endInput();
      data.onReset = () => forward.close();
    };
  }
}
