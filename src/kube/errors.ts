// Turns whatever went wrong talking to a cluster into one sentence a person can act on:
// what failed, where, and what to try. The API server's own Status message is kept, because
// it is usually the most precise thing anyone can say ("pods is forbidden: User ... cannot ...").
// Every message passes through redactSecrets: error texts from libraries sometimes echo
// headers or config snippets, and a token in a notification is a leaked token.

/** The parts of a Kubernetes `Status` object that matter for messages. */
export interface KubeStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; kind?: string; causes?: Array<{ reason?: string; message?: string; field?: string }> };
}

/** An API request failed and the server said why (its `Status` was parsed when it sent one). */
export class KubeApiError extends Error {
  httpStatus?: number;
  reason?: string;
  status?: KubeStatus;

  constructor(message: string, init: { httpStatus?: number; reason?: string; status?: KubeStatus; cause?: unknown } = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'KubeApiError';
    this.httpStatus = init.httpStatus;
    this.reason = init.reason;
    this.status = init.status;
  }
}

const HTTP_LABELS: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  406: 'Not acceptable',
  409: 'Conflict',
  410: 'Expired',
  415: 'Unsupported media type',
  422: 'Invalid',
  429: 'Too many requests',
  500: 'Internal error on the API server',
  502: 'Bad gateway',
  503: 'Service unavailable',
  504: 'Gateway timeout',
};

/** Parses a response body as a Kubernetes Status; undefined when it is not one. */
export function parseStatus(body: string | undefined): KubeStatus | undefined {
  if (!body) return undefined;
  const text = body.trim();
  if (!text.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isStatus(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isStatus(value: unknown): value is KubeStatus {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return v.kind === 'Status' || ((typeof v.status === 'string') && (typeof v.message === 'string' || typeof v.reason === 'string'));
}

/**
 * The error for a non-2xx API response. `body` is the raw response text; when it is a Status
 * its message is used, otherwise a short, redacted excerpt (proxies answer with HTML too).
 */
export function apiErrorFromResponse(httpStatus: number, body: string, server?: string): KubeApiError {
  const status = parseStatus(body);
  const message = describeHttpFailure(httpStatus, status, body, server);
  return new KubeApiError(message, { httpStatus, reason: status?.reason, status });
}

/** Builds a KubeApiError from a Status that arrived inside a watch stream (an ERROR event). */
export function apiErrorFromStatus(status: KubeStatus, server?: string): KubeApiError {
  const code = typeof status.code === 'number' ? status.code : undefined;
  const message = describeHttpFailure(code, status, '', server);
  return new KubeApiError(message, { httpStatus: code, reason: status.reason, status });
}

function describeHttpFailure(httpStatus: number | undefined, status: KubeStatus | undefined, body: string, server?: string): string {
  const label = (httpStatus !== undefined && HTTP_LABELS[httpStatus]) || (status?.reason ? splitCamel(status.reason) : undefined) || `HTTP ${httpStatus ?? 'error'}`;
  const where = server ? ` from ${server}` : '';
  const said = status?.message?.trim() ? shortenServerText(status.message.trim()) : undefined;

  if (httpStatus === 401) {
    // The API server's 401 Status message is just "Unauthorized": say which credentials to look at.
    const detail = said && said.toLowerCase() !== 'unauthorized' ? `${said}. ` : '';
    return redactSecrets(`Unauthorized: the API server${server ? ` at ${server}` : ''} did not accept the credentials. ${detail}Check the user's token, client certificate or login in the kubeconfig (your token may have expired).`);
  }
  if (said) return redactSecrets(`${label}: ${said}`);
  const excerpt = body.trim().replace(/\s+/g, ' ').slice(0, 200);
  if (excerpt) return redactSecrets(`${label}: HTTP ${httpStatus ?? '?'}${where}: ${excerpt}`);
  return redactSecrets(`${label}: HTTP ${httpStatus ?? '?'}${where}, with no explanation in the response.`);
}

function splitCamel(reason: string): string {
  const words = reason.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** OpenSSL/Node codes for "the server's certificate chain could not be verified". */
const UNKNOWN_AUTHORITY = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);

const CONNECT_HINTS: Record<string, string> = {
  ECONNREFUSED: 'Is the cluster running, and is the server address in the kubeconfig right?',
  ECONNRESET: 'The server or a proxy closed the connection.',
  EPIPE: 'The server or a proxy closed the connection.',
  ETIMEDOUT: 'Check your network or VPN.',
  EHOSTUNREACH: 'Check your network or VPN.',
  ENETUNREACH: 'Check your network or VPN.',
  EHOSTDOWN: 'Check your network or VPN.',
  EADDRNOTAVAIL: 'Check the server address in the kubeconfig.',
};

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  hostname?: unknown;
  body?: unknown;
  cause?: unknown;
  timeoutMs?: unknown;
}

/**
 * One human sentence for any failure met while talking to a cluster. `server` is the API
 * server URL, used to say where a connection failed.
 */
export function describeError(err: unknown, server?: string): string {
  return redactSecrets(describeUnredacted(err, server, 0));
}

function describeUnredacted(err: unknown, server: string | undefined, depth: number): string {
  if (err instanceof KubeApiError) return err.message;
  if (typeof err === 'string') return err;
  if (typeof err !== 'object' || err === null) return String(err ?? 'Unknown error');
  if (isStatus(err)) return describeHttpFailure(typeof err.code === 'number' ? err.code : undefined, err, '', server);

  const e = err as ErrorLike;
  const message = typeof e.message === 'string' ? e.message : '';
  const code = typeof e.code === 'string' ? e.code : undefined;
  const to = server ? ` to ${server}` : '';

  // client-node's generated API clients throw ApiException { code: <HTTP status>, body }.
  if (typeof e.code === 'number' && e.code >= 100 && e.code < 600 && 'body' in e) {
    const body = typeof e.body === 'string' ? e.body : e.body === undefined ? '' : JSON.stringify(e.body);
    return describeHttpFailure(e.code, parseStatus(body), body, server);
  }

  // fetch() wraps the real network error: describe that instead.
  if (depth < 3 && e.cause && (message === 'fetch failed' || message === 'terminated' || !message)) {
    return describeUnredacted(e.cause, server, depth + 1);
  }

  if (e.name === 'AbortError' || code === 'ABORT_ERR') return `The request${to} was cancelled.`;
  if (e.name === 'TimeoutError' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT') {
    const after = typeof e.timeoutMs === 'number' ? ` after ${Math.round(e.timeoutMs / 1000)} s` : '';
    return `Timed out waiting for the API server${server ? ` at ${server}` : ''}${after}. The server may be overloaded or unreachable; check your network or VPN.`;
  }

  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') {
    const host = typeof e.hostname === 'string' ? e.hostname : hostOf(server);
    return `Unable to connect${to}: the host name${host ? ` "${host}"` : ''} could not be resolved (${message}). Check the server address in the kubeconfig, your DNS or VPN.`;
  }
  if (code && CONNECT_HINTS[code]) return `Unable to connect${to}: ${message || code}. ${CONNECT_HINTS[code]}`;
  if (message === 'socket hang up') return `Unable to connect${to}: socket hang up. The server or a proxy closed the connection.`;

  if (code && UNKNOWN_AUTHORITY.has(code)) {
    return `Unable to connect${to}: the server's certificate is signed by an unknown authority (${message}). Check certificate-authority or certificate-authority-data for this cluster in the kubeconfig.`;
  }
  if (code === 'CERT_HAS_EXPIRED') return `Unable to connect${to}: the server's certificate has expired (${message}). Renew the cluster's certificates or check your clock.`;
  if (code === 'CERT_NOT_YET_VALID') return `Unable to connect${to}: the server's certificate is not valid yet (${message}). Check your computer's clock.`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `Unable to connect${to}: the server's certificate does not match its address (${message}). Check the server address, or set tls-server-name for this cluster in the kubeconfig.`;
  }
  // OpenSSL's own text names source files and error numbers; only its reason is for people.
  const tls = openSslReason(message);
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number|packet length too long|http request/i.test(tls)) {
    return `Unable to connect${to}: the server did not answer in TLS. It may speak plain HTTP on this port (then the server URL should start with http://), or something other than the API server is listening there.`;
  }
  if ((code && /^ERR_SSL_.*(CERTIFICATE|BAD_CERT|UNKNOWN_CA|HANDSHAKE_FAILURE)/.test(code)) || /alert (certificate required|bad certificate|unknown ca|handshake failure)/i.test(tls)) {
    return `Unable to connect${to}: the server refused the TLS connection (${tls}). It may not accept this user's client certificate; check client-certificate and client-key in the kubeconfig.`;
  }
  if (code && (code.startsWith('ERR_OSSL') || code.startsWith('ERR_SSL') || code === 'EPROTO')) {
    return `Unable to connect${to}: the TLS connection failed (${tls}). Check the certificates in the kubeconfig, and that the server speaks HTTPS.`;
  }

  if (message) return message;
  return code ? `Request${to} failed (${code}).` : 'Unknown error.';
}

/**
 * "wrong version number" from Node's "write EPROTO 80CC...:error:0A00010B:SSL routines:
 * ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:".
 */
export function openSslReason(message: string): string {
  const match = /error:[0-9A-Fa-f]+:[^:]*:[^:]*:([^:]+)/.exec(message);
  if (match) return match[1]!.trim();
  return message.replace(/:?\.\.\/deps\/openssl\S*/g, '').trim();
}

function hostOf(server: string | undefined): string | undefined {
  if (!server) return undefined;
  try {
    return new URL(server).hostname;
  } catch {
    return undefined;
  }
}

/** Longest server-provided text put into one message; a Status message can be megabytes. */
const MAX_SAID = 500;

/** Cuts a server's text to one readable line's worth, saying how much was left out. */
export function shortenServerText(text: string): string {
  const flat = text.replace(/\s*\n\s*/g, ' ');
  return flat.length > MAX_SAID ? `${flat.slice(0, MAX_SAID)}... (${flat.length - MAX_SAID} more characters)` : flat;
}

/** Masks things that look like credentials: bearer tokens, JWTs, private keys, token parameters. */
export function redactSecrets(text: string): string {
  return text
    .replace(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, '<redacted private key>')
    .replace(/\bBearer\s+[A-Za-z0-9._~+/=-]+/gi, 'Bearer <redacted>')
    .replace(/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, '<redacted token>')
    // token=... in URLs and "token":"..." in echoed JSON; not "token: " in prose.
    // (A value the rules above masked already is left as it is.)
    .replace(/\b((?:access_|id_|refresh_)?token|password|client-key-data)(=|"\s*:\s*")(?!<redacted)[^\s"'&,}]+/gi, '$1$2<redacted>');
}
