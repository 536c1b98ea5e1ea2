// Where and how to open an exec WebSocket: the URL of the pod subresource and the TLS and
// credential options for `ws`, taken from the kubeconfig's current context.
import type { ClientOptions } from 'ws';
import { checkCertificateAuthority, checkClientIdentity, serverUrl } from '../credentials.ts';
import { describeError } from '../errors.ts';
import { checkName, podPath } from '../names.ts';
import type { Transport } from '../transport.ts';

/**
 * The part of client-node's KubeConfig the engine uses. KubeConfig satisfies it as is; the CLI
 * passes a lighter loader so that a one-shot exec does not load the whole REST client.
 */
export interface KubeConfigLike {
  getCurrentContext(): string;
  getCurrentCluster(): { readonly name: string; readonly server: string } | null;
  /** The context's user entry, named in messages about its credentials. */
  getCurrentUser?(): { readonly name: string } | null;
  /** Puts TLS material, bearer token / exec-plugin credentials, proxy agent onto `opts`. */
  applyToHTTPSOptions(opts: ClientOptions): Promise<void>;
}

export interface Endpoint {
  /** API server base URL without a trailing slash. */
  readonly server: string;
  readonly options: ClientOptions;
}

interface CacheEntry {
  readonly endpoint: Promise<Endpoint>;
  readonly created: number;
}

// Client setup reads certificate files and may run an exec credential plugin, so it is done
// once per kubeconfig object and context and reused. Credentials can expire behind our back
// (exec plugins, rotated token files); a 401 drops the entry (see `forgetEndpoint`) and the
// entry is also refreshed after a while so a rotated token file is picked up.
const MAX_AGE_MS = 5 * 60_000;
const cache = new WeakMap<object, Map<string, CacheEntry>>();

export function resolveEndpoint(kubeConfig: KubeConfigLike): { endpoint: Promise<Endpoint>; cached: boolean } {
  const context = kubeConfig.getCurrentContext();
  let perConfig = cache.get(kubeConfig);
  if (!perConfig) {
    perConfig = new Map();
    cache.set(kubeConfig, perConfig);
  }
  const entry = perConfig.get(context);
  if (entry && Date.now() - entry.created < MAX_AGE_MS) return { endpoint: entry.endpoint, cached: true };
  const endpoint = buildEndpoint(kubeConfig, context);
  perConfig.set(context, { endpoint, created: Date.now() });
  // A failed setup is not cached: the kubeconfig may be fixed before the next attempt.
  endpoint.catch(() => {
    if (perConfig.get(context)?.endpoint === endpoint) perConfig.delete(context);
  });
  return { endpoint, cached: false };
}

export function forgetEndpoint(kubeConfig: KubeConfigLike): void {
  cache.get(kubeConfig)?.delete(kubeConfig.getCurrentContext());
}

async function buildEndpoint(kubeConfig: KubeConfigLike, context: string): Promise<Endpoint> {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster || !cluster.server) {
    throw new Error(
      context
        ? `The kubeconfig context "${context}" has no cluster with a server URL. Check the context's cluster entry in your kubeconfig.`
        : 'The kubeconfig has no current context. Pick a context (kubectl config use-context NAME) or pass one explicitly.',
    );
  }
  const server = serverUrl(cluster.server, cluster.name);
  const options: ClientOptions = {};
  await kubeConfig.applyToHTTPSOptions(options);
  await checkCertificateAuthority(options.ca, cluster.name);
  await checkClientIdentity(options, kubeConfig.getCurrentUser?.()?.name ?? '');
  return { server, options };
}

export interface SubresourceQuery {
  namespace: string;
  pod: string;
  subresource: 'exec' | 'attach';
  container?: string;
  command?: readonly string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/**
 * `.../pods/{pod}/exec?command=..&command=..&container=..&stdin=true...`; false flags are left
 * out, as kubectl does. Throws InvalidNameError for a name that cannot be sent (names.ts).
 */
export function subresourcePath(q: SubresourceQuery): string {
  if (q.container) checkName('container', q.container);
  let query = '';
  const add = (key: string, value: string): void => {
    query += `${query ? '&' : '?'}${key}=${encodeURIComponent(value)}`;
  };
  if (q.subresource === 'exec') for (const arg of q.command ?? []) add('command', arg);
  if (q.container) add('container', q.container);
  if (q.stdin) add('stdin', 'true');
  if (q.stdout) add('stdout', 'true');
  if (q.stderr) add('stderr', 'true');
  if (q.tty) add('tty', 'true');
  return podPath(q.namespace, q.pod, q.subresource) + query;
}

/** "Unable to connect to https://host:port: ..." from a socket/TLS/DNS error, in words (errors.ts). */
export function connectErrorMessage(server: string, err: unknown): string {
  const described = describeError(err, server);
  return described.startsWith('Unable to connect') ? described : `Unable to connect to ${server}: ${described}`;
}

/** The steps of opening a WebSocket to the API server, each with a deadline of its own. */
export type HandshakePhase = 'connect' | 'tls' | 'response';

export interface HandshakeTimeouts {
  /** TCP connection established. Default 30 s, client-go's dial timeout. */
  connectMs?: number;
  /** TLS handshake done, once connected. Default 10 s, client-go's TLS handshake timeout. */
  tlsMs?: number;
  /** The answer to the upgrade request (101 or a refusal). Default 30 s. */
  responseMs?: number;
}

const DEFAULT_TIMEOUTS: Required<HandshakeTimeouts> = { connectMs: 30_000, tlsMs: 10_000, responseMs: 30_000 };

export interface TimedHandshake {
  /** Goes into ws's ClientOptions: makes the socket, so that its phases can be seen. */
  readonly createConnection: NonNullable<ClientOptions['createConnection']>;
  /** The server answered (ws 'upgrade' or 'unexpected-response'), or the attempt is over. */
  done(): void;
  /** The phase reached so far: what a failure happened during. */
  readonly phase: HandshakePhase;
}

/**
 * Times the phases of one WebSocket handshake: a server that accepts TCP and then says nothing
 * fails after the TLS deadline, not after minutes, and the message says where it stopped.
 * ws's own handshakeTimeout is a socket idle timeout that the TLS and HTTP layers each start
 * again, so it was not one deadline. Behind a proxy agent the socket is the agent's own; then
 * the whole handshake gets the sum of the deadlines as the response phase.
 */
export function timeHandshake(
  { net, tls }: Pick<Transport, 'net' | 'tls'>,
  server: string,
  options: ClientOptions,
  timeouts: HandshakeTimeouts | undefined,
  onTimeout: (message: string) => void,
): TimedHandshake {
  const t = { ...DEFAULT_TIMEOUTS, ...timeouts };
  let timer: NodeJS.Timeout | undefined;
  let finished = false;
  const state = { phase: 'connect' as HandshakePhase };
  const enter = (phase: HandshakePhase, ms: number): void => {
    if (finished) return;
    state.phase = phase;
    clearTimeout(timer);
    timer = setTimeout(() => {
      finished = true;
      onTimeout(handshakeTimeoutMessage(server, phase, ms));
    }, ms);
  };
  if (options.agent) enter('response', t.connectMs + t.tlsMs + t.responseMs);
  else enter('connect', t.connectMs);
  const createConnection = (opts: Record<string, unknown>): import('node:net').Socket => {
    // What ws's own tlsConnect and netConnect do with the options it prepared.
    const secure = server.startsWith('https:');
    let socket: import('node:net').Socket;
    if (secure) {
      const host = String(opts['host'] ?? '');
      const servername = opts['servername'] || opts['servername'] === '' ? opts['servername'] : net.isIP(host) ? '' : host;
      socket = tls.connect({ ...(opts as import('node:tls').ConnectionOptions), path: undefined, servername: servername as string });
      socket.once('secureConnect', () => enter('response', t.responseMs));
    } else {
      socket = net.connect({ ...opts, path: opts['socketPath'] } as unknown as import('node:net').NetConnectOpts);
    }
    socket.once('connect', () => (secure ? enter('tls', t.tlsMs) : enter('response', t.responseMs)));
    return socket;
  };
  return {
    createConnection: createConnection as unknown as TimedHandshake['createConnection'],
    done: () => {
      finished = true;
      clearTimeout(timer);
    },
    get phase() {
      return state.phase;
    },
  };
}

/**
 * The same deadlines for an ordinary request (the tree's lists, logs): connecting and the TLS
 * handshake of a new connection are timed here; the answer keeps the caller's own timeout
 * (for a watch that is minutes). A connection reused from a keep-alive pool is past both.
 * On a deadline the request is destroyed with an error whose message names the step.
 */
export function timeRequestConnection(request: import('node:http').ClientRequest, server: string, timeouts?: HandshakeTimeouts): void {
  const t = { ...DEFAULT_TIMEOUTS, ...timeouts };
  request.once('socket', (socket) => {
    if (!socket.connecting) return;
    let timer: NodeJS.Timeout | undefined;
    const enter = (phase: HandshakePhase | undefined, ms = 0): void => {
      clearTimeout(timer);
      if (!phase) return;
      timer = setTimeout(() => request.destroy(new Error(handshakeTimeoutMessage(server, phase, ms))), ms);
    };
    const secure = server.startsWith('https:');
    enter('connect', t.connectMs);
    socket.once('connect', () => enter(secure ? 'tls' : undefined, t.tlsMs));
    if (secure) socket.once('secureConnect', () => enter(undefined));
    socket.once('close', () => enter(undefined));
  });
}

function handshakeTimeoutMessage(server: string, phase: HandshakePhase, ms: number): string {
  const within = `within ${Math.round(ms / 1000)} s`;
  switch (phase) {
    case 'connect':
      return `Unable to connect to ${server}: no connection could be made ${within}. Check your network or VPN, and the server address in the kubeconfig.`;
    case 'tls':
      return `Unable to connect to ${server}: the server accepted the connection but did not complete the TLS handshake ${within}. Is an HTTPS server (the API server, or a proxy in front of it) listening on that port?`;
    case 'response':
      return `Unable to connect to ${server}: the server did not answer the WebSocket upgrade request ${within}. The API server, or a proxy in front of it, may be overloaded or stuck.`;
  }
}
