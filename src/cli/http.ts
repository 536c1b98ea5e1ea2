// Plain GETs against the API server for the CLI, with the kubeconfig's TLS and credentials,
// and errors worded as kubectl words them. The CLI keeps away from client-node's REST client:
// it is what makes client-node slow to load (see kubeconfig.ts).
import type { ClientOptions } from 'ws';
import type { RequestOptions } from 'node:https';
import { timeRequestConnection, type KubeConfigLike } from '../kube/exec/connect.ts';
import { describeError, redactSecrets, shortenServerText } from '../kube/errors.ts';

export interface StatusLike {
  message?: string;
  reason?: string;
  code?: number;
}

/** A failed request, with the line kubectl prints for it. */
export class KubectlError extends Error {
  readonly line: string;

  constructor(line: string) {
    super(line);
    this.name = 'KubectlError';
    this.line = line;
  }
}

/** kubectl's StandardErrorMessage for an API Status. */
export function statusLine(status: StatusLike): string {
  // kubectl prints whatever the server said; a token it echoes or a megabyte of text is not printed.
  const message = redactSecrets(shortenServerText(status.message ?? ''));
  if (status.reason === 'Unauthorized') return `error: You must be logged in to the server (${message})`;
  if (status.reason) return `Error from server (${status.reason}): ${message}`;
  return `Error from server: ${message}`;
}

/** kubectl's wording for a request that never got an answer. */
export function connectionLine(server: string, err: { code?: string; message?: string }): string {
  if (err.code === 'ECONNREFUSED') {
    let host = server;
    try {
      host = new URL(server).host;
    } catch {
      // keep the text as is
    }
    return `The connection to the server ${host} was refused - did you specify the right host or port?`;
  }
  // In words (TLS failures without OpenSSL's internals); our own deadlines say where already.
  if (err.message?.startsWith('Unable to connect to ')) return redactSecrets(err.message);
  return describeError(err, server);
}

/** GETs `path` and parses the JSON; throws KubectlError with kubectl's line on any failure. */
export async function getJson<T>(kubeConfig: KubeConfigLike, path: string): Promise<T> {
  const server = kubeConfig.getCurrentCluster()?.server.replace(/\/+$/, '') ?? '';
  const options: ClientOptions = {};
  await kubeConfig.applyToHTTPSOptions(options);
  const url = new URL(server + path);
  const secure = url.protocol === 'https:';
  const { request } = secure ? await import('node:https') : await import('node:http');
  const requestOptions: RequestOptions = {
    ...(options as RequestOptions),
    method: 'GET',
    headers: { ...options.headers, Accept: 'application/json', 'User-Agent': 'kube-exec' },
  };
  const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(url, requestOptions, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    timeRequestConnection(req, server);
    req.setTimeout(32_000, () => req.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => reject(new KubectlError(connectionLine(server, err))));
    req.end();
  });
  if (status >= 200 && status < 300) {
    try {
      return JSON.parse(body) as T;
    } catch {
      throw new KubectlError(`error: the server answered ${path} with something that is not JSON`);
    }
  }
  let parsed: StatusLike | undefined;
  try {
    parsed = JSON.parse(body) as StatusLike;
  } catch {
    parsed = undefined;
  }
  if (parsed && typeof parsed === 'object' && (parsed.message || parsed.reason)) throw new KubectlError(statusLine(parsed));
  if (status === 401) throw new KubectlError(statusLine({ reason: 'Unauthorized', message: 'Unauthorized' }));
  throw new KubectlError(`error: the server responded with the status code ${status} but did not return more information`);
}
