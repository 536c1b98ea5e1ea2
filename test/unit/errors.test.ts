import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { apiErrorFromResponse, apiErrorFromStatus, describeError, KubeApiError, parseStatus, redactSecrets } from '../../src/kube/errors.ts';

const SERVER = 'https://10.0.0.1:6443';

function status(code: number, reason: string, message: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
}

/** A real ECONNREFUSED from the kernel, not a hand-made imitation. */
function refusedError(): Promise<Error> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port: 1 });
    socket.on('error', (err) => {
      socket.destroy();
      resolve(err);
    });
  });
}

test('ECONNREFUSED: "Unable to connect to <server>: connect ECONNREFUSED ..."', async () => {
  const err = await refusedError();
  const message = describeError(err, 'https://127.0.0.1:1');
  assert.ok(message.startsWith('Unable to connect to https://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1'), message);
  assert.match(message, /Is the cluster running/);
});

test('403 keeps the API Status message after "Forbidden:"', () => {
  const text = 'namespaces is forbidden: User "dev" cannot list resource "namespaces" in API group "" at the cluster scope';
  const err = apiErrorFromResponse(403, status(403, 'Forbidden', text), SERVER);
  assert.ok(err instanceof KubeApiError);
  assert.ok(err instanceof Error);
  assert.equal(err.httpStatus, 403);
  assert.equal(err.reason, 'Forbidden');
  assert.equal(err.message, `Forbidden: ${text}`);
  assert.equal(describeError(err), `Forbidden: ${text}`);
});

test('401 says Unauthorized and what to check, without repeating "Unauthorized"', () => {
  const err = apiErrorFromResponse(401, status(401, 'Unauthorized', 'Unauthorized'), SERVER);
  assert.equal(err.httpStatus, 401);
  assert.match(err.message, /^Unauthorized: the API server at https:\/\/10\.0\.0\.1:6443 did not accept the credentials\./);
  assert.match(err.message, /token, client certificate or login/);
  assert.doesNotMatch(err.message, /Unauthorized.*Unauthorized/);
});

test('404, 410 and other statuses get a label and the server message', () => {
  assert.equal(apiErrorFromResponse(404, status(404, 'NotFound', 'pods "web-0" not found'), SERVER).message, 'Not found: pods "web-0" not found');
  const gone = apiErrorFromResponse(410, status(410, 'Expired', 'too old resource version: 1 (5)'), SERVER);
  assert.equal(gone.message, 'Expired: too old resource version: 1 (5)');
  assert.equal(gone.reason, 'Expired');
  assert.equal(apiErrorFromResponse(500, status(500, 'InternalError', 'etcd is down'), SERVER).message, 'Internal error on the API server: etcd is down');
  assert.equal(apiErrorFromResponse(418, status(418, 'Teapot', 'short and stout'), SERVER).message, 'Teapot: short and stout');
});

test('a response that is not a Status: the HTTP code, where, and a short excerpt', () => {
  const err = apiErrorFromResponse(502, '<html><body>Bad gateway from the proxy</body></html>', SERVER);
  assert.equal(err.httpStatus, 502);
  assert.equal(err.status, undefined);
  assert.match(err.message, /^Bad gateway: HTTP 502 from https:\/\/10\.0\.0\.1:6443: <html><body>Bad gateway from the proxy/);
  assert.match(apiErrorFromResponse(503, '', SERVER).message, /^Service unavailable: HTTP 503 from .*no explanation/);
});

test('an ERROR event Status from a watch stream becomes a KubeApiError', () => {
  const err = apiErrorFromStatus({ kind: 'Status', status: 'Failure', code: 410, reason: 'Expired', message: 'too old resource version' });
  assert.equal(err.httpStatus, 410);
  assert.equal(err.reason, 'Expired');
  assert.equal(err.message, 'Expired: too old resource version');
});

test('client-node ApiException and bare Status objects are described too', () => {
  const apiException = Object.assign(new Error('HTTP-Code: 403'), { code: 403, body: status(403, 'Forbidden', 'pods is forbidden: User "x"'), headers: {} });
  assert.equal(describeError(apiException), 'Forbidden: pods is forbidden: User "x"');
  assert.equal(describeError({ kind: 'Status', status: 'Failure', code: 404, message: 'nodes "n1" not found' }), 'Not found: nodes "n1" not found');
  assert.equal(parseStatus('not json'), undefined);
  assert.equal(parseStatus('{"kind":"Pod"}'), undefined);
});

function nodeError(message: string, code: string, extra: object = {}): Error {
  return Object.assign(new Error(message), { code, ...extra });
}

test('TLS errors say what is wrong with the certificate and where to fix it', () => {
  const cases: Array<[Error, RegExp]> = [
    [nodeError('self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN'), /unknown authority \(self-signed certificate in certificate chain\)\. Check certificate-authority/],
    [nodeError('unable to verify the first certificate', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'), /unknown authority/],
    [nodeError('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT'), /unknown authority/],
    [nodeError('certificate has expired', 'CERT_HAS_EXPIRED'), /certificate has expired \(certificate has expired\)\. Renew/],
    [nodeError("Hostname/IP does not match certificate's altnames: IP: 10.0.0.1 is not in the cert's list: ", 'ERR_TLS_CERT_ALTNAME_INVALID'), /does not match its address.*tls-server-name/],
    [nodeError('ssl3_get_record:wrong version number', 'ERR_SSL_WRONG_VERSION_NUMBER'), /did not answer in TLS.*plain HTTP.*http:\/\//],
    // Node's own text for it names OpenSSL's source files: none of that reaches the user.
    [
      nodeError('write EPROTO 80CCA42B1C7F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:\n', 'EPROTO'),
      /^Unable to connect to https:\/\/[^ ]+: the server did not answer in TLS\. It may speak plain HTTP/,
    ],
    [
      nodeError('write EPROTO 80CC:error:0A000412:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1605:SSL alert number 42', 'EPROTO'),
      /refused the TLS connection \(sslv3 alert bad certificate\)\. It may not accept this user's client certificate/,
    ],
    [nodeError('error:0A000126:SSL routines::unexpected eof while reading:../deps/openssl/x.c:1:', 'ERR_SSL_UNEXPECTED_EOF_WHILE_READING'), /the TLS connection failed \(unexpected eof while reading\)/],
    [nodeError('sslv3 alert bad certificate', 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE'), /client certificate/],
  ];
  for (const [err, expected] of cases) {
    const message = describeError(err, SERVER);
    assert.ok(message.startsWith(`Unable to connect to ${SERVER}: `), message);
    assert.match(message, expected);
    assert.doesNotMatch(message, /deps\/openssl|error:0A/, message);
  }
});

test('DNS failures and timeouts', () => {
  const dns = describeError(nodeError('getaddrinfo ENOTFOUND cluster.example', 'ENOTFOUND', { hostname: 'cluster.example' }), 'https://cluster.example:6443');
  assert.equal(dns, 'Unable to connect to https://cluster.example:6443: the host name "cluster.example" could not be resolved (getaddrinfo ENOTFOUND cluster.example). Check the server address in the kubeconfig, your DNS or VPN.');
  const timeout = Object.assign(new Error('no answer within 30 s'), { name: 'TimeoutError', timeoutMs: 30_000 });
  assert.match(describeError(timeout, SERVER), /^Timed out waiting for the API server at https:\/\/10\.0\.0\.1:6443 after 30 s\./);
  const fetchFailed = new TypeError('fetch failed', { cause: nodeError('connect ECONNREFUSED 10.0.0.1:6443', 'ECONNREFUSED') });
  assert.match(describeError(fetchFailed, SERVER), /^Unable to connect to https:\/\/10\.0\.0\.1:6443: connect ECONNREFUSED 10\.0\.0\.1:6443/);
  assert.equal(describeError(new DOMException('This operation was aborted', 'AbortError'), SERVER), `The request to ${SERVER} was cancelled.`);
});

test('plain errors, strings and oddities still give a sentence', () => {
  assert.equal(describeError(new Error('something specific')), 'something specific');
  assert.equal(describeError('already a sentence'), 'already a sentence');
  assert.equal(describeError(undefined), 'Unknown error');
  assert.equal(describeError({ code: 'EWEIRD' }, SERVER), `Request to ${SERVER} failed (EWEIRD).`);
});

test('secrets never reach a message', () => {
  const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJkZXYifQ.c2lnbmF0dXJlLWJ5dGVz';
  const leaky = [
    new Error(`request failed with header Authorization: Bearer abc123.secret-token`),
    new Error(`token rejected: ${jwt}`),
    new Error('GET https://h/api?token=hunter2&x=1 failed'),
    new Error('bad key -----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY----- in config'),
    new Error('{"token":"s3cr3t","password":"pw"}'),
  ];
  for (const err of leaky) {
    const message = describeError(err, SERVER);
    for (const secret of ['abc123.secret-token', jwt, 'hunter2', 'MIIEpAIBAAKCAQEA', 's3cr3t', '"pw"']) {
      assert.ok(!message.includes(secret), `"${secret}" leaked in: ${message}`);
    }
  }
  const fromStatus = apiErrorFromResponse(401, status(401, 'Unauthorized', `token ${jwt} has expired`), SERVER).message;
  assert.ok(!fromStatus.includes(jwt), fromStatus);
  // Ordinary prose that mentions tokens survives.
  assert.equal(redactSecrets('the token: it expired'), 'the token: it expired');
  // A value masked by one rule is not masked again into something garbled by another.
  assert.equal(redactSecrets(`token=${jwt} may not exec`), 'token=<redacted token> may not exec');
});
