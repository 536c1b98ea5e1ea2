// A streaming GET against the API server with the same TLS and credentials as exec (connect.ts):
// what the log stream and the port-forward health check need, without the REST client. The
// response is handed over open, so a caller can read a never-ending body (logs -f) at its pace.
import type * as http from 'node:http';
import type * as https from 'node:https';
import { loadTransport, type Transport } from './transport.ts';
import { forgetEndpoint, resolveEndpoint, timeRequestConnection, type KubeConfigLike } from './exec/connect.ts';
import { apiErrorFromResponse, describeError } from './errors.ts';
import { readBody, readErrorBody } from './httpBody.ts';

export interface ApiGetOptions {
  signal?: AbortSignal;
  /** How long the server may take to send the response headers. Default 30000. */
  headersTimeoutMs?: number;
  accept?: string;
}

/** TCP keepalive on long streams: a peer that vanished without a FIN is noticed. */
const KEEPALIVE_MS = 30_000;

/**
 * Sends GET `path` and resolves with the response once it is a 2xx. A refusal rejects with a
 * KubeApiError carrying the server's Status; a network failure with a message for people; an
 * abort with an AbortError. A 401 on cached credentials sets them up again once (an exec plugin
 * token or a token file may have been renewed meanwhile).
 */
export async function apiGet(kubeConfig: KubeConfigLike, path: string, options: ApiGetOptions = {}): Promise<{ response: http.IncomingMessage; server: string }> {
  for (let attempt = 0; ; attempt++) {
    const resolved = resolveEndpoint(kubeConfig);
    const endpoint = await resolved.endpoint;
    try {
      return { response: await send(await loadTransport(), endpoint.server, endpoint.options as https.RequestOptions, path, options), server: endpoint.server };
    } catch (err) {
      const status = (err as { httpStatus?: number }).httpStatus;
      if (status === 401 && resolved.cached && attempt === 0 && !options.signal?.aborted) {
        forgetEndpoint(kubeConfig);
        continue;
      }
      throw err;
    }
  }
}

function send({ http, https }: Transport, server: string, tls: https.RequestOptions, path: string, options: ApiGetOptions): Promise<http.IncomingMessage> {
  if (options.signal?.aborted) return Promise.reject(abortError());
  const url = new URL(server + path);
  const transport = url.protocol === 'http:' ? http : https;
  return new Promise((resolve, reject) => {
    const request = transport.request(url, {
      ...tls,
      method: 'GET',
      headers: { ...(tls.headers as Record<string, string> | undefined), Accept: options.accept ?? 'application/json', 'User-Agent': 'kube-exec' },
      signal: options.signal,
    }, (response) => {
      request.setTimeout(0);
      const code = response.statusCode ?? 0;
      if (code >= 200 && code < 300) {
        resolve(response);
        return;
      }
      void readErrorBody(response).then((body) => reject(apiErrorFromResponse(code, body, server)));
    });
    timeRequestConnection(request, server);
    const timeoutMs = options.headersTimeoutMs ?? 30_000;
    request.setTimeout(timeoutMs, () => {
      request.destroy(Object.assign(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`), { name: 'TimeoutError', timeoutMs }));
    });
    request.on('socket', (socket) => socket.setKeepAlive(true, KEEPALIVE_MS));
    request.on('error', (err) => {
      if (options.signal?.aborted) reject(abortError());
      else reject(new Error(describeError(err, server), { cause: err }));
    });
    request.end();
  });
}

export function abortError(): Error {
  return Object.assign(new Error('The operation was cancelled.'), { name: 'AbortError' });
}

/** GET of a JSON object. */
export async function apiGetJson<T>(kubeConfig: KubeConfigLike, path: string, signal?: AbortSignal): Promise<T> {
  const { response, server } = await apiGet(kubeConfig, path, { signal });
  const text = await readBody(response);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`The API server at ${server} answered ${path.split('?')[0]} with something that is not JSON.`);
  }
}
