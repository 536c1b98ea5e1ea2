// Checks of what a kubeconfig gives to connect with, made before anything is sent, so that an
// unusable server URL or credential is an error that names its entry, never a request that goes
// out without it. Without these, a client key of another type than its certificate (an RSA key
// with an EC certificate) is quietly left unused by OpenSSL and the request goes out anonymous
// ("system:anonymous cannot get pods"); bad base64 in certificate-authority-data becomes an
// unrelated "self-signed certificate in certificate chain"; a server URL that does not parse
// says only "Invalid URL".

/**
 * Go's strict base64 (what kubectl decodes the *-data fields with): the standard alphabet with
 * padding; line breaks are skipped, as Go's decoder skips them. Undefined when `text` decodes,
 * else Go's own words for where it stops ("illegal base64 data at input byte 4").
 */
export function base64Problem(text: string): string | undefined {
  let index = 0;
  let count = 0;
  let padding = 0;
  for (const ch of text) {
    if (ch === '\n' || ch === '\r') {
      index++;
      continue;
    }
    const alphabet = /[A-Za-z0-9+/]/.test(ch);
    if (ch === '=' ? count % 4 < 2 : !alphabet || padding > 0) return `illegal base64 data at input byte ${index}`;
    if (ch === '=') padding++;
    count++;
    index++;
  }
  if (count % 4 !== 0) return `illegal base64 data at input byte ${index}`;
  return undefined;
}

/** Decodes a *-data field strictly; the error names the field and its entry. */
export function decodeBase64Field(text: string, field: string, entry: string, file?: string): Buffer {
  const problem = base64Problem(text);
  if (problem) throw new Error(`${file ? `error loading config file "${file}": ` : ''}${field} of ${entry} could not be decoded: ${problem}`);
  return Buffer.from(text, 'base64');
}

/**
 * The API server URL of a cluster entry, as kubectl reads it: a URL, or host:port meaning
 * https://host:port. Anything else is an error naming the URL and the entry.
 */
export function serverUrl(server: string, cluster: string): string {
  const trimmed = server.trim();
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed);
  // Without a scheme only host or host:port is meant (client-go's DefaultServerURL).
  const withScheme = hasScheme ? trimmed : /^[^/?#@\s]+$/.test(trimmed) ? `https://${trimmed}` : '';
  let url: URL | undefined;
  try {
    url = new URL(withScheme);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || !url.hostname || url.search || url.hash) {
    throw new Error(
      `The server URL ${JSON.stringify(server)} of cluster "${cluster}" in the kubeconfig is not usable: it must be a URL such as https://host:6443 (or host:port). Fix the cluster's server field.`,
    );
  }
  return withScheme.replace(/\/+$/, '');
}

/** The auth providers client-node carries out (the token-file one is our own rewrite of token-file). */
const AUTH_PROVIDERS = new Set(['azure', 'gcp', 'oidc', 'exec', 'tokenFile']);

/**
 * kubectl's words for an auth-provider nobody here knows; client-node would quietly send the
 * request without credentials.
 */
export function authProviderProblem(provider: unknown): string | undefined {
  if (provider === undefined || provider === null) return undefined;
  const p = provider as { name?: unknown; config?: { exec?: unknown; tokenFile?: unknown } };
  if (p.config?.exec || p.config?.tokenFile) return undefined;
  const name = typeof p.name === 'string' ? p.name : '';
  return AUTH_PROVIDERS.has(name) ? undefined : `no Auth Provider found for name ${JSON.stringify(name)}`;
}

/**
 * Throws when `ca` (PEM text or bytes) holds no certificate: OpenSSL would then trust nothing
 * and every server would look "self-signed".
 */
export async function checkCertificateAuthority(ca: unknown, cluster: string): Promise<void> {
  if (ca === undefined || ca === null) return;
  const { X509Certificate } = await import('node:crypto');
  try {
    new X509Certificate(pem(ca));
  } catch {
    throw new Error(
      `unable to load root certificates of cluster "${cluster}": its certificate-authority holds no PEM certificate. Fix certificate-authority or certificate-authority-data in the kubeconfig.`,
    );
  }
}

/** Credentials that did not come in time; the message is whole (callers do not wrap it again). */
export class CredentialsTimeoutError extends Error {
  constructor(who: { user: string; context: string }, timeoutMs: number) {
    super(
      `Could not get credentials for user "${who.user}" of context "${who.context}": none came within ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`}, so its exec credential plugin (or login) did not finish. Try the plugin's command in a terminal.`,
    );
    this.name = 'CredentialsTimeoutError';
  }
}

/** How long getting a user's credentials may take: long enough for a login in a browser (kubelogin gives those 3 minutes). */
export const CREDENTIALS_TIMEOUT_MS = 180_000;

/**
 * `work` (client-node applying a user's credentials, which may run an exec credential plugin with
 * no deadline of its own) bounded, so that a plugin that never finishes is an error naming the
 * user rather than a tree or terminal that waits forever.
 */
export function credentialsWithin<T>(work: Promise<T>, who: { user: string; context: string }, timeoutMs = CREDENTIALS_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new CredentialsTimeoutError(who, timeoutMs)), timeoutMs);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** The TLS client identity as `https`/`ws` options carry it (PEM text or bytes). */
export interface ClientIdentity {
  cert?: unknown;
  key?: unknown;
}

/**
 * Throws when the client certificate and key of `user` cannot be used together: a key that is
 * not a private key, a certificate that is not one, or a key that is not the certificate's. A
 * key or certificate alone is also refused (OpenSSL would send none).
 */
export async function checkClientIdentity(identity: ClientIdentity, user: string): Promise<void> {
  const { cert, key } = identity;
  if (cert === undefined && key === undefined) return;
  const who = `user "${user}"`;
  if (cert === undefined) throw new Error(`The kubeconfig gives ${who} a client-key but no client-certificate; both are needed. Fix the user entry.`);
  if (key === undefined) throw new Error(`The kubeconfig gives ${who} a client-certificate but no client-key; both are needed. Fix the user entry.`);
  const { X509Certificate, createPrivateKey } = await import('node:crypto');
  let certificate: InstanceType<typeof X509Certificate>;
  try {
    certificate = new X509Certificate(pem(cert));
  } catch (err) {
    throw new Error(`The client-certificate of ${who} is not a PEM certificate (${cryptoReason(err)}). Fix the user entry in the kubeconfig.`, { cause: err });
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(pem(key));
  } catch (err) {
    throw new Error(`The client-key of ${who} is not a PEM private key (${cryptoReason(err)}). Fix the user entry in the kubeconfig.`, { cause: err });
  }
  const certType = certificate.publicKey.asymmetricKeyType;
  const keyType = privateKey.asymmetricKeyType;
  if (certType !== keyType) {
    throw new Error(`The client-key of ${who} is an ${describeKeyType(keyType)} key, but its client-certificate is for an ${describeKeyType(certType)} key: they do not belong together. Fix client-key or client-certificate in the kubeconfig.`);
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new Error(`The client-key of ${who} does not belong to its client-certificate. Fix client-key or client-certificate in the kubeconfig.`);
  }
}

function pem(value: unknown): string | Buffer {
  if (typeof value === 'string' || Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (Array.isArray(value) && value.length > 0) return pem(value[0]);
  return String(value);
}

function describeKeyType(type: string | undefined): string {
  switch (type) {
    case 'rsa':
    case 'rsa-pss':
      return 'RSA';
    case 'ec':
      return 'EC';
    case 'ed25519':
      return 'Ed25519';
    default:
      return type ?? 'unknown';
  }
}

function cryptoReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // OpenSSL's "error:1E08010C:DECODER routines::unsupported" is noise; keep its last words.
  const match = /error:[0-9A-Fa-f]+:[^:]*:[^:]*:([^:]+)/.exec(message);
  return (match ? match[1]! : message).trim();
}
