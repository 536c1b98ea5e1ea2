// A small API server of our own that misbehaves on request, for the fault catalogue
// (test/integration/fault-*.test.ts). kubesim models a correct API server; this one answers
// each route the way a test tells it to, including in ways a real API server never would:
// refused ports, servers that accept and then say nothing, plain HTTP on an https URL,
// refusals with HTML, empty or huge bodies, a 101 with the wrong subprotocol, and channel.k8s.io
// sessions that send malformed status frames, odd exit codes, unknown channels, weird close
// codes, or stall or reset half way through.
//
// It serves just enough for `kubectl exec` to reach the exec call (discovery, the pod, its
// namespace) and records every request it received, so a test can assert that a bad name was
// never sent, and every connection, so it can assert that none was left open.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer, STATUS_CODES, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { WebSocketServer, type WebSocket } from 'ws';
import { createPki, type Pki } from '../kubesim/certs.ts';
import { AGGREGATED_TYPE, coreDiscovery, groupsDiscovery, wantsAggregated } from '../kubesim/discovery.ts';

/** How the server speaks on its port at all. */
export type Transport =
  /** HTTPS with our own CA (the default). */
  | 'https'
  /** Plain HTTP, on an http:// URL. */
  | 'http'
  /** Plain HTTP, but the URL handed out says https:// (a TLS client meets an HTTP server). */
  | 'plain-on-https'
  /** Accepts TCP connections and never sends a byte: the TLS handshake never completes. */
  | 'tcp-silent'
  /** Accepts TCP connections and resets them at once. */
  | 'tcp-reset'
  /** Completes the TLS handshake, then never answers the request. */
  | 'tls-silent'
  /** Nothing listens: the port was open a moment ago and is closed now. */
  | 'refused';

/** An HTTP answer to one route. */
export type Reply =
  /** A running pod named as requested, with the given containers (default ["app"]). */
  | { kind: 'pod'; phase?: string; containers?: string[] }
  /** A Namespace object named as requested. */
  | { kind: 'namespace' }
  /** `body` serialised as JSON. */
  | { kind: 'json'; code: number; body: unknown; contentType?: string }
  /** Bytes as given; no Content-Type unless given. */
  | { kind: 'raw'; code: number; body: string | Buffer; contentType?: string; headers?: Record<string, string> }
  /** Never answers (the connection stays open until the client goes). */
  | { kind: 'hang' }
  /** Resets the connection (TCP RST) instead of answering. */
  | { kind: 'reset' };

/** One step of a channel.k8s.io session, run in order once the WebSocket is open. */
export type StreamStep =
  /** Output on channel 1 (stdout) or 2 (stderr), framed for the negotiated protocol. */
  | { out: 1 | 2; data: string }
  /** Channel 3: an object is sent as JSON, a string as it is (truncated JSON, plain text). */
  | { status: unknown }
  /** A message sent exactly as given: a Buffer as a binary frame, a string as a text frame. */
  | { frame: Buffer | string }
  /** A close frame through ws (codes ws accepts: 1000-1014 minus reserved ones, 3000-4999). */
  | { close: number; reason?: string }
  /** A close frame written by hand, with any code (1005, 1006, 999, 65535 ...), then FIN. */
  | { rawClose: number; reason?: string }
  /** TCP RST, no close frame. */
  | { reset: true }
  /** Stops reading and writing: no more frames, no pongs. The socket stays open. */
  | { stall: true }
  /** Ends the TCP connection (FIN) without a close frame. */
  | { end: true }
  /** Waits this long before the next step (lets output reach the client first). */
  | { wait: number };

/** The exec upgrade is accepted as a WebSocket and runs `steps`. */
export interface ExecStream {
  kind: 'stream';
  /**
   * The subprotocol of the 101: undefined = the best channel protocol the client offered,
   * null = no Sec-WebSocket-Protocol header at all, a string = that name, offered or not.
   */
  protocol?: string | null;
  steps: StreamStep[];
}

export interface Behaviour {
  transport?: Transport;
  /** /api, /apis, /api/v1, /version (default: served, with the pods resource). */
  discovery?: Reply;
  /** GET /api/v1/namespaces/NS/pods/NAME (default: the pod if it exists, else 404 as a real server). */
  pod?: Reply;
  /** GET /api/v1/namespaces/NS (default: the namespace if it exists, else 404). */
  namespace?: Reply;
  /**
   * .../pods/NAME/exec, as an upgrade (WebSocket or SPDY) or a plain request. Default: as a
   * real server, 404 for a pod that does not exist, 400 for a container it does not have, and
   * otherwise a command that prints "ok" and exits 0.
   */
  exec?: Reply | ExecStream;
  /** Without the overrides above, the pods that exist (default ["web-0"]) ... */
  pods?: string[];
  /** ... in these namespaces (default ["default"]) ... */
  namespaces?: string[];
  /** ... with these containers (default ["app"]). */
  containers?: string[];
}

export interface RecordedRequest {
  method: string;
  /** The request target exactly as received (path and query, still percent-encoded). */
  url: string;
  /** Its path, still percent-encoded. */
  path: string;
  /** The Upgrade header (websocket, SPDY/3.1), if any. */
  upgrade?: string;
  /** The scheme of the Authorization header ("Bearer", "Basic"), if one was sent. */
  authorization?: string;
  /** A client certificate was presented on the connection. */
  clientCertificate: boolean;
}

export interface FaultServer {
  /** What to put in the kubeconfig as the cluster's server. */
  readonly url: string;
  readonly port: number;
  /** The CA that signed the server certificate (PEM). */
  readonly caCert: string;
  /** Every HTTP request received, in order (transports that never parse a request record none). */
  readonly requests: RecordedRequest[];
  /** TCP connections accepted so far. */
  readonly accepted: number;
  /** TCP connections open right now. */
  openConnections(): number;
  /**
   * Resolves true once every connection is closed (stalled ones are resumed so that they
   * notice their peer went away), false if some are still open after `timeoutMs`.
   */
  waitAllClosed(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

const CHANNEL_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];

const RESOURCES = [
  { name: 'namespaces', singularName: 'namespace', namespaced: false, kind: 'Namespace', verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['ns'] },
  { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['po'], categories: ['all'] },
  { name: 'pods/attach', singularName: '', namespaced: true, kind: 'PodAttachOptions', verbs: ['create', 'get'] },
  { name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] },
  { name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] },
  { name: 'pods/status', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get', 'patch', 'update'] },
];

const VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0', gitCommit: 'fault-server', gitTreeState: 'clean', buildDate: '2025-01-01T00:00:00Z', goVersion: 'go1.23.4', compiler: 'gc', platform: 'linux/amd64' };

/** A Kubernetes Status, as the API server serialises it. */
export function status(code: number, reason: string, message: string, details?: Record<string, unknown>): Reply {
  const body: Record<string, unknown> = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details) body['details'] = details;
  return { kind: 'json', code, body };
}

/** The channel-3 Status of a command that exited with `code` (as the kubelet words it). */
export function exitStatus(code: string | number, command = 'sh -c exit'): Record<string, unknown> {
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

export const SUCCESS = { metadata: {}, status: 'Success' };

/** A command that printed "ok" and exited 0. */
const DEFAULT_EXEC: ExecStream = { kind: 'stream', steps: [{ out: 1, data: 'ok\n' }, { status: SUCCESS }, { close: 1000 }] };

let sharedPki: Promise<Pki> | undefined;

/**
 * The fault servers' PKI (CA, 127.0.0.1 server certificate, an EC client certificate): kubesim's,
 * made once per process. Only the PEM texts are kept; the files openssl worked in are removed.
 */
export function faultPki(): Promise<Pki> {
  sharedPki ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fault-pki-'));
    try {
      return await createPki(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return sharedPki;
}

export async function startFaultServer(behaviour: Behaviour = {}): Promise<FaultServer> {
  const transport = behaviour.transport ?? 'https';
  const pki = await faultPki();
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const stalled = new Set<Duplex>();
  let accepted = 0;
  const track = (socket: Socket): void => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };

  let server: NetServer | HttpServer;
  if (transport === 'tcp-silent' || transport === 'refused') {
    server = createNetServer((socket) => {
      // Reads and drops what arrives (so the peer's FIN is seen), never writes.
      socket.resume();
    });
  } else if (transport === 'tcp-reset') {
    server = createNetServer((socket) => socket.resetAndDestroy());
  } else if (transport === 'tls-silent') {
    server = createTlsServer({ key: pki.serverKey, cert: pki.serverCert }, (socket) => {
      socket.on('error', () => undefined);
      socket.resume();
    });
    server.on('tlsClientError', () => undefined);
  } else {
    const wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      // The 101's subprotocol is decided per request in onUpgrade (see `chosen`).
      handleProtocols: (_offered, req) => (req as IncomingMessage & { chosen?: string | false }).chosen ?? false,
    });
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
      record(req, requests);
      const reply = route(req, behaviour);
      if (reply === 'stream') {
        // A plain request to a route that streams: what an API server says to a GET without upgrade.
        return void respond(res, req, status(400, 'BadRequest', 'Upgrade request required'));
      }
      respond(res, req, reply);
    };
    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
      socket.on('error', () => undefined);
      record(req, requests);
      const reply = route(req, behaviour);
      const isWebSocket = (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
      if (reply !== 'stream') return rawReply(socket, req, reply);
      const stream = (behaviour.exec ?? DEFAULT_EXEC) as ExecStream;
      if (!isWebSocket) {
        // kubectl falls back to SPDY only when the WebSocket upgrade was refused; a stream
        // behaviour accepted it, so this is not expected. Refuse it plainly.
        return rawReply(socket, req, status(400, 'BadRequest', 'fault server: SPDY is not served'));
      }
      const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      const chosen = stream.protocol === undefined ? CHANNEL_PROTOCOLS.find((p) => offered.includes(p)) ?? false : stream.protocol ?? false;
      (req as IncomingMessage & { chosen?: string | false }).chosen = chosen;
      wss.handleUpgrade(req, socket, head, (ws) => void runStream(ws, typeof chosen === 'string' ? chosen : '', stream.steps, stalled));
    };
    if (transport === 'https') {
      const https = createHttpsServer({ key: pki.serverKey, cert: pki.serverCert, ca: [pki.caCert], requestCert: true, rejectUnauthorized: false }, onRequest);
      https.on('tlsClientError', () => undefined);
      server = https;
    } else {
      server = createHttpServer(onRequest);
    }
    server.on('upgrade', onUpgrade);
    server.on('clientError', (_err: Error, socket: Duplex) => {
      // What Node's HTTP server says to bytes that are not HTTP (a TLS ClientHello, say).
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
  }
  server.on('connection', track);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  if (transport === 'refused') await new Promise<void>((resolve) => server.close(() => resolve()));
  const scheme = transport === 'http' ? 'http' : 'https';
  const url = `${scheme}://127.0.0.1:${port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    caCert: pki.caCert,
    requests,
    get accepted() {
      return accepted;
    },
    openConnections: () => sockets.size,
    async waitAllClosed(timeoutMs) {
      for (const s of stalled) s.resume();
      if (sockets.size === 0) return true;
      const deadline = Date.now() + timeoutMs;
      while (sockets.size > 0 && Date.now() < deadline) {
        const next = [...sockets][0]!;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
          next.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          if (next.destroyed) {
            clearTimeout(timer);
            resolve();
          }
        });
        if (next.destroyed) sockets.delete(next);
      }
      return sockets.size === 0;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        if (transport === 'refused') resolve();
        else server.close(() => resolve());
      });
      return closing;
    },
  };
}

/** The URL of a port nothing listens on (it was bound a moment ago, then closed). */
export async function closedPortUrl(): Promise<string> {
  const s = await startFaultServer({ transport: 'refused' });
  return s.url;
}

function record(req: IncomingMessage, into: RecordedRequest[]): void {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  const entry: RecordedRequest = {
    method: req.method ?? '',
    url,
    path: q < 0 ? url : url.slice(0, q),
    clientCertificate: false,
  };
  if (req.headers.upgrade) entry.upgrade = req.headers.upgrade;
  const auth = req.headers.authorization;
  if (auth) entry.authorization = auth.split(' ')[0];
  const tls = req.socket as TLSSocket;
  if (typeof tls.getPeerCertificate === 'function') {
    const cert = tls.getPeerCertificate();
    entry.clientCertificate = !!cert && Object.keys(cert).length > 0;
  }
  into.push(entry);
}

const POD_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/;
const EXEC_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/;
const NAMESPACE_PATH = /^\/api\/v1\/namespaces\/([^/]+)$/;
const PODS_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/;

/** The reply for a request, or 'stream' when the exec behaviour is a WebSocket session. */
function route(req: IncomingMessage, b: Behaviour): Reply | 'stream' {
  const url = new URL(req.url ?? '/', 'http://x');
  const path = url.pathname;
  const discovery = (reply: Reply): Reply => b.discovery ?? reply;
  switch (path) {
    case '/version':
      return discovery({ kind: 'json', code: 200, body: VERSION });
    case '/api':
      if (wantsAggregated(req.headers.accept)) return discovery({ kind: 'json', code: 200, body: coreDiscovery(RESOURCES), contentType: AGGREGATED_TYPE });
      return discovery({ kind: 'json', code: 200, body: { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:443' }] } });
    case '/apis':
      if (wantsAggregated(req.headers.accept)) return discovery({ kind: 'json', code: 200, body: groupsDiscovery(), contentType: AGGREGATED_TYPE });
      return discovery({ kind: 'json', code: 200, body: { kind: 'APIGroupList', apiVersion: 'v1', groups: [] } });
    case '/api/v1':
      return discovery({ kind: 'json', code: 200, body: { kind: 'APIResourceList', groupVersion: 'v1', resources: RESOURCES } });
  }
  const pods = b.pods ?? ['web-0'];
  const namespaces = b.namespaces ?? ['default'];
  const containers = b.containers ?? ['app'];
  const exists = (ns: string, pod: string): boolean => namespaces.includes(ns) && pods.includes(pod);
  const exec = EXEC_PATH.exec(path);
  if (exec) {
    if (b.exec) return b.exec.kind === 'stream' ? 'stream' : b.exec;
    // As a real API server: the pod must exist, and a named container must be one of its own.
    const [ns, pod] = [decode(exec[1]!), decode(exec[2]!)];
    if (!exists(ns, pod)) return notFound('pods', pod);
    const container = url.searchParams.get('container');
    if (container !== null && !containers.includes(container)) return status(400, 'BadRequest', `container ${container} is not valid for pod ${pod}`);
    return 'stream';
  }
  const pod = POD_PATH.exec(path);
  if (pod && req.method === 'GET') {
    if (b.pod) return b.pod;
    return exists(decode(pod[1]!), decode(pod[2]!)) ? { kind: 'pod', containers } : notFound('pods', decode(pod[2]!));
  }
  const namespace = NAMESPACE_PATH.exec(path);
  if (namespace && req.method === 'GET') {
    if (b.namespace) return b.namespace;
    return namespaces.includes(decode(namespace[1]!)) ? { kind: 'namespace' } : notFound('namespaces', decode(namespace[1]!));
  }
  // Lists, as a real server gives them, with whatever names the test chose (hostile ones too:
  // a server is not obliged to be sane). A watch is held open and sends nothing.
  if (req.method === 'GET' && path === '/api/v1/namespaces') {
    return { kind: 'json', code: 200, body: list('NamespaceList', namespaces.map((ns) => namespaceObject(ns))) };
  }
  const podList = PODS_PATH.exec(path);
  if (req.method === 'GET' && podList) {
    if (url.searchParams.get('watch') === '1' || url.searchParams.get('watch') === 'true') return { kind: 'hang' };
    const ns = decode(podList[1]!);
    if (!namespaces.includes(ns)) return notFound('namespaces', ns);
    return { kind: 'json', code: 200, body: list('PodList', pods.map((p) => podObject(ns, p, 'Running', containers))) };
  }
  return status(404, 'NotFound', 'the server could not find the requested resource', {});
}

function list(kind: string, items: unknown[]): unknown {
  return { kind, apiVersion: 'v1', metadata: { resourceVersion: '1' }, items };
}

function namespaceObject(name: string): unknown {
  return { kind: 'Namespace', apiVersion: 'v1', metadata: { name, uid: randomUUID(), resourceVersion: '1' }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } };
}

function notFound(resource: string, name: string): Reply {
  return status(404, 'NotFound', `${resource} "${name}" not found`, { name, kind: resource });
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The bytes of a reply to `req` (pods and namespaces take their names from its path). */
function body(req: IncomingMessage, reply: Reply): { code: number; headers: Record<string, string>; bytes: Buffer } {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const json = (code: number, value: unknown, contentType = 'application/json') => ({ code, headers: { 'Content-Type': contentType }, bytes: Buffer.from(JSON.stringify(value)) });
  switch (reply.kind) {
    case 'pod': {
      const [, ns = 'default', name = 'pod'] = (POD_PATH.exec(path) ?? []).map((s) => decode(s));
      return json(200, podObject(ns, name, reply.phase ?? 'Running', reply.containers ?? ['app']));
    }
    case 'namespace': {
      const [, name = 'default'] = (NAMESPACE_PATH.exec(path) ?? []).map((s) => decode(s));
      return json(200, namespaceObject(name));
    }
    case 'json':
      return json(reply.code, reply.body, reply.contentType);
    case 'raw': {
      const headers: Record<string, string> = { ...reply.headers };
      if (reply.contentType) headers['Content-Type'] = reply.contentType;
      return { code: reply.code, headers, bytes: Buffer.isBuffer(reply.body) ? reply.body : Buffer.from(reply.body) };
    }
    case 'hang':
    case 'reset':
      throw new Error(`fault server: ${reply.kind} has no body`);
  }
}

function respond(res: ServerResponse, req: IncomingMessage, reply: Reply): void {
  if (reply.kind === 'hang') return;
  if (reply.kind === 'reset') return reset(req.socket);
  const { code, headers, bytes } = body(req, reply);
  res.writeHead(code, { ...headers, 'Content-Length': String(bytes.length) });
  res.end(bytes);
}

/** An ordinary HTTP response written onto an upgrade's socket. */
function rawReply(socket: Duplex, req: IncomingMessage, reply: Reply): void {
  if (reply.kind === 'hang') return void socket.resume();
  if (reply.kind === 'reset') return reset(socket);
  const { code, headers, bytes } = body(req, reply);
  const lines = [`HTTP/1.1 ${code} ${STATUS_CODES[code] ?? 'Unknown'}`];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  lines.push(`Content-Length: ${bytes.length}`, 'Connection: close', '', '');
  socket.end(Buffer.concat([Buffer.from(lines.join('\r\n')), bytes]));
}

function reset(socket: Duplex): void {
  const s = socket as Socket & { _parent?: Socket };
  // A TLS socket resets through the TCP socket under it.
  const tcp = s._parent ?? s;
  if (typeof tcp.resetAndDestroy === 'function' && !tcp.destroyed) tcp.resetAndDestroy();
  s.destroy();
}

function podObject(namespace: string, name: string, phase: string, containers: string[]): unknown {
  const started = new Date(Date.now() - 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: { name, namespace, uid: randomUUID(), resourceVersion: '1', creationTimestamp: started },
    spec: { containers: containers.map((c) => ({ name: c, image: 'busybox:1.36' })), nodeName: 'fault-node-1', restartPolicy: 'Always' },
    status: {
      phase,
      podIP: '10.244.1.7',
      startTime: started,
      containerStatuses: containers.map((c) => ({
        name: c,
        ready: phase === 'Running',
        restartCount: 0,
        image: 'busybox:1.36',
        imageID: 'docker.io/library/busybox@sha256:0000',
        containerID: `containerd://${randomUUID().replace(/-/g, '')}`,
        started: phase === 'Running',
        state: phase === 'Running' ? { running: { startedAt: started } } : { terminated: { exitCode: 0, reason: 'Completed', startedAt: started, finishedAt: started } },
      })),
    },
  };
}

function frame(protocol: string, channel: number, data: Buffer): Buffer | string {
  if (protocol.includes('base64')) return String.fromCharCode(0x30 + channel) + data.toString('base64');
  return Buffer.concat([Buffer.from([channel]), data]);
}

async function runStream(ws: WebSocket, protocol: string, steps: StreamStep[], stalled: Set<Duplex>): Promise<void> {
  ws.on('error', () => undefined);
  const socket = (ws as WebSocket & { _socket: Socket })._socket;
  const send = (data: Buffer | string): Promise<void> =>
    new Promise((resolve) => {
      if (ws.readyState !== ws.OPEN) return resolve();
      ws.send(data, { binary: typeof data !== 'string' }, () => resolve());
    });
  for (const step of steps) {
    if (ws.readyState !== ws.OPEN) return;
    if ('out' in step) await send(frame(protocol, step.out, Buffer.from(step.data)));
    else if ('status' in step) await send(frame(protocol, 3, Buffer.from(typeof step.status === 'string' ? step.status : JSON.stringify(step.status))));
    else if ('frame' in step) await send(step.frame);
    else if ('close' in step) ws.close(step.close, step.reason);
    else if ('rawClose' in step) {
      const reason = Buffer.from(step.reason ?? '');
      const payload = Buffer.concat([Buffer.from([(step.rawClose >> 8) & 0xff, step.rawClose & 0xff]), reason]);
      socket.end(Buffer.concat([Buffer.from([0x88, payload.length]), payload]));
    } else if ('reset' in step) reset(socket);
    else if ('end' in step) socket.end();
    else if ('stall' in step) {
      socket.pause();
      stalled.add(socket);
      return;
    } else if ('wait' in step) await new Promise((resolve) => setTimeout(resolve, step.wait));
  }
}
