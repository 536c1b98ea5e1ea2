// Node's http and https modules and ws's WebSocket, loaded on first use rather than when the
// extension activates: loading https brings in tls, and with ws that is a good part of what a
// plain `require` of the extension would otherwise cost. Every path that needs them has just
// awaited credentials, so waiting for this as well costs nothing after the first time.
import type * as Http from 'node:http';
import type * as Https from 'node:https';
import type * as Net from 'node:net';
import type * as Tls from 'node:tls';
import type WebSocketClass from 'ws';

export interface Transport {
  http: typeof Http;
  https: typeof Https;
  /** Loaded anyway by https; here so that a handshake's phases can be timed (exec/connect.ts). */
  net: typeof Net;
  tls: typeof Tls;
  WebSocket: typeof WebSocketClass;
}

let loading: Promise<Transport> | undefined;

export function loadTransport(): Promise<Transport> {
  loading ??= Promise.all([import('node:http'), import('node:https'), import('node:net'), import('node:tls'), import('ws')]).then(([http, https, net, tls, ws]) => ({
    http,
    https,
    net,
    tls,
    WebSocket: ws.WebSocket,
  }));
  return loading;
}
