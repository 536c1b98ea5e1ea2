// A small raw client for kubesim's own tests: HTTPS requests with a context's credentials and a
// WebSocket exec session that records every frame by channel. Deliberately independent of the
// extension's engine, so kubesim is checked against the protocol, not against our client.
import { readFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import WebSocket from 'ws';

export interface Credentials {
  ca: string;
  adminToken: string;
  devToken: string;
  clientCert: string;
  clientKey: string;
}

export async function readCredentials(kubeconfigPath: string): Promise<Credentials> {
  const text = await readFile(kubeconfigPath, 'utf8');
  const field = (re: RegExp) => {
    const m = re.exec(text);
    if (!m) throw new Error(`kubesim client: ${re} not found in ${kubeconfigPath}`);
    return m[1]!;
  };
  const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');
  return {
    ca: b64(field(/certificate-authority-data: (\S+)/)),
    adminToken: JSON.parse(field(/- name: admin\n {2}user:\n {4}token: ("[^"]+")/)) as string,
    devToken: JSON.parse(field(/- name: dev\n {2}user:\n {4}token: ("[^"]+")/)) as string,
    clientCert: b64(field(/client-certificate-data: (\S+)/)),
    clientKey: b64(field(/client-key-data: (\S+)/)),
  };
}

export interface Auth {
  token?: string;
  cert?: { cert: string; key: string };
}

export interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = Record<string, unknown>>(): T;
}

export function request(url: string, ca: string, path: string, auth: Auth, opts: { method?: string; accept?: string; body?: string } = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json' };
    if (auth.token) headers['Authorization'] = `Bearer ${auth.token}`;
    if (opts.body) headers['Content-Type'] = 'application/json';
    const req = httpsRequest(url + path, { method: opts.method ?? 'GET', ca, headers, cert: auth.cert?.cert, key: auth.cert?.key }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode!, headers: res.headers, body, json: <T>() => JSON.parse(body) as T });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** A watch stream: events as they arrive, and the end of the stream. */
export interface WatchStream {
  status: number;
  events: Array<{ type: string; object: Record<string, unknown> }>;
  ended: Promise<void>;
  /** Resolves once at least `n` events have arrived. */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  close(): void;
}

export function watch(url: string, ca: string, path: string, auth: Auth, accept = 'application/json'): Promise<WatchStream> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Accept: accept };
    if (auth.token) headers['Authorization'] = `Bearer ${auth.token}`;
    const req = httpsRequest(url + path, { ca, headers, agent: false }, (res) => {
      const events: WatchStream['events'] = [];
      const waiters: Array<() => void> = [];
      let buf = '';
      const ended = new Promise<void>((r) => {
        res.on('end', r);
        res.on('close', r);
        res.on('error', () => r());
      });
      res.on('data', (c: Buffer) => {
        buf += c.toString('utf8');
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.trim()) events.push(JSON.parse(line) as WatchStream['events'][number]);
        }
        for (const w of waiters.splice(0)) w();
      });
      resolve({
        status: res.statusCode!,
        events,
        ended,
        waitFor: (n, timeoutMs = 5000) => new Promise<void>((ok, fail) => {
          const timer = setTimeout(() => fail(new Error(`watch: ${events.length} events, wanted ${n}: ${JSON.stringify(events.map((e) => e.type))}`)), timeoutMs);
          const check = () => {
            if (events.length >= n) {
              clearTimeout(timer);
              ok();
            } else waiters.push(check);
          };
          check();
        }),
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

export interface Refused {
  refused: true;
  status: number;
  body: string;
  contentType: string | undefined;
}

/** One exec session over a WebSocket; frames are kept per channel (base64 protocols decoded). */
export class ExecSession {
  readonly ws: WebSocket;
  readonly frames: Array<{ channel: number; data: Buffer }> = [];
  readonly closed: Promise<{ code: number }>;
  private listeners: Array<() => void> = [];

  constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data: Buffer, isBinary) => {
      if (this.base64) {
        const text = data.toString('latin1');
        if (isBinary) throw new Error('base64 protocol sent a binary frame');
        this.frames.push({ channel: text.charCodeAt(0) - 48, data: Buffer.from(text.slice(1), 'base64') });
      } else {
        this.frames.push({ channel: data[0]!, data: data.subarray(1) });
      }
      for (const l of this.listeners.splice(0)) l();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code) => resolve({ code })));
  }

  /** The negotiated subprotocol ('' before the handshake or when none was agreed). */
  get protocol(): string {
    return this.ws.protocol;
  }

  private get base64(): boolean {
    return this.ws.protocol.includes('base64');
  }

  output(channel = 1): string {
    return Buffer.concat(this.frames.filter((f) => f.channel === channel).map((f) => f.data)).toString('utf8');
  }

  /** The parsed channel-3 message, if any (JSON on v4/v5, text before). */
  status(): string {
    return this.output(3);
  }

  send(channel: number, data: Buffer | string): void {
    const payload = typeof data === 'string' ? Buffer.from(data) : data;
    if (this.base64) this.ws.send(String(channel) + payload.toString('base64'));
    else this.ws.send(Buffer.concat([Buffer.from([channel]), payload]));
  }

  stdin(data: string | Buffer): void {
    this.send(0, data);
  }

  resize(width: number, height: number): void {
    this.send(4, JSON.stringify({ Width: width, Height: height }));
  }

  /** v5 only: half-close stdin. */
  closeStdin(): void {
    this.ws.send(Buffer.from([255, 0]));
  }

  /** Resolves when `predicate` holds over the frames so far. */
  until(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`exec: timed out; stdout so far: ${JSON.stringify(this.output(1))}, status: ${this.status()}`)), timeoutMs);
      const check = () => {
        if (predicate()) {
          clearTimeout(timer);
          resolve();
        } else this.listeners.push(check);
      };
      check();
    });
  }
}

export function execPath(namespace: string, pod: string, command: string[], opts: { container?: string; stdin?: boolean; stdout?: boolean; stderr?: boolean; tty?: boolean } = {}): string {
  const q = new URLSearchParams();
  for (const c of command) q.append('command', c);
  if (opts.container) q.set('container', opts.container);
  q.set('stdin', String(opts.stdin ?? false));
  q.set('stdout', String(opts.stdout ?? true));
  q.set('stderr', String(opts.stderr ?? true));
  q.set('tty', String(opts.tty ?? false));
  return `/api/v1/namespaces/${namespace}/pods/${pod}/exec?${q.toString()}`;
}

export function openExec(url: string, ca: string, path: string, auth: Auth, protocols: string[] = ['v5.channel.k8s.io']): Promise<ExecSession | Refused> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (auth.token) headers['Authorization'] = `Bearer ${auth.token}`;
    const ws = new WebSocket(url.replace('https:', 'wss:') + path, protocols, { ca, headers, cert: auth.cert?.cert, key: auth.cert?.key });
    // Frames can arrive in the same tick as 'open'; the session must be listening first.
    const session = new ExecSession(ws);
    ws.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ refused: true, status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8'), contentType: res.headers['content-type'] }));
    });
    ws.on('open', () => resolve(session));
    ws.on('error', (err) => {
      if (ws.readyState === ws.CONNECTING) reject(err);
    });
  });
}
