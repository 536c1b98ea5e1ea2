// ExecSession on the wire, against a scripted WebSocket server on loopback: the exact request,
// the frames we send, and how each way of ending is classified.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { WebSocketServer, type WebSocket } from 'ws';
import { ExecSession, type ExecOptions, type KubeConfigLike } from '../../src/kube/exec/session.ts';

const T = { timeout: 15_000 };

interface Peer {
  ws: WebSocket;
  req: IncomingMessage;
  /** Every message received, as [isBinary, bytes]. */
  frames: Array<{ binary: boolean; data: Buffer }>;
  pings: number;
}

type Handler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

let server: Server;
let wss: WebSocketServer;
let url: string;
let handler: Handler;
let chosenProtocol = 'v5.channel.k8s.io';
let onPeer: (peer: Peer) => void = () => {};
const sockets = new Set<Duplex>();

before(async () => {
  wss = new WebSocketServer({ noServer: true, handleProtocols: () => chosenProtocol, perMessageDeflate: false });
  server = createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (req, socket, head) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    handler(req, socket, head);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

after(async () => {
  for (const s of sockets) s.destroy();
  wss.close();
  await new Promise((resolve) => server.close(resolve));
});

/** Accepts the upgrade and hands the server side of the socket to the test. */
function accept(protocol = 'v5.channel.k8s.io'): Promise<Peer> {
  chosenProtocol = protocol;
  return new Promise((resolve) => {
    handler = (req, socket, head) => {
      wss.handleUpgrade(req, socket, head, (ws) => {
        const peer: Peer = { ws, req, frames: [], pings: 0 };
        ws.on('message', (data: Buffer, binary) => peer.frames.push({ binary, data }));
        ws.on('ping', () => peer.pings++);
        ws.on('error', () => undefined);
        onPeer(peer);
        resolve(peer);
      });
    };
  });
}

function refuse(status: number, statusText: string, body: string, contentType = 'application/json'): void {
  handler = (_req, socket) => {
    socket.end(`HTTP/1.1 ${status} ${statusText}\r\nContent-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  };
}

let configs = 0;
function fakeConfig(token: () => string = () => 'secret-token'): KubeConfigLike {
  const context = `fake-${configs++}`;
  return {
    getCurrentContext: () => context,
    getCurrentCluster: () => ({ name: 'fake', server: url + '/' }),
    async applyToHTTPSOptions(opts) {
      opts.headers = { ...opts.headers, Authorization: `Bearer ${token()}` };
    },
  };
}

function start(options: Partial<ExecOptions> = {}, kc: KubeConfigLike = fakeConfig()): ExecSession {
  return ExecSession.start(kc, { namespace: 'ns-1', pod: 'web-0', command: ['true'], ...options });
}

function until(condition: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (condition()) resolve();
      else if (Date.now() > deadline) reject(new Error('condition not met in time'));
      else setTimeout(check, 5);
    };
    check();
  });
}

const SUCCESS = Buffer.from('\x03{"metadata":{},"status":"Success"}', 'latin1');

test('the request: path, repeated command, flags, offered protocols, credentials, no compression', T, async () => {
  const peer = accept();
  const session = start({ container: 'app', command: ['sh', '-c', 'echo "a b" && exit 3'], stdin: true, tty: true });
  const { req, ws } = await peer;
  assert.equal(
    req.url,
    '/api/v1/namespaces/ns-1/pods/web-0/exec?command=sh&command=-c&command=echo%20%22a%20b%22%20%26%26%20exit%203&container=app&stdin=true&stdout=true&tty=true',
  );
  assert.equal(req.headers['sec-websocket-protocol'], 'v5.channel.k8s.io,v4.channel.k8s.io,channel.k8s.io');
  assert.equal(req.headers['authorization'], 'Bearer secret-token');
  assert.equal(req.headers['user-agent'], 'kube-exec');
  assert.equal(req.headers['sec-websocket-extensions'], undefined);
  assert.equal(await session.protocol, 'v5.channel.k8s.io');
  ws.send(SUCCESS);
  ws.close(1000);
  session.stdout.resume();
  assert.deepEqual(await session.result, { kind: 'exit', code: 0 });
});

test('non-TTY defaults: stdout and stderr, no stdin; attach has no command', T, async () => {
  let peer = accept();
  const exec = start({ command: ['ls'] });
  (await peer).ws.close(1000);
  exec.stdout.resume();
  exec.stderr.resume();
  await exec.result;
  assert.equal((await peer).req.url, '/api/v1/namespaces/ns-1/pods/web-0/exec?command=ls&stdout=true&stderr=true');

  peer = accept();
  const attach = start({ subresource: 'attach', container: 'debugger', stdin: true, tty: true });
  (await peer).ws.close(1000);
  attach.stdout.resume();
  await attach.result;
  assert.equal((await peer).req.url, '/api/v1/namespaces/ns-1/pods/web-0/attach?container=debugger&stdin=true&stdout=true&tty=true');
});

test('TTY: the initial size is the first frame after open; resizes follow, unchanged sizes are not resent', T, async () => {
  const peer = accept();
  const session = start({ stdin: true, tty: true, size: { columns: 91, rows: 33 } });
  const { ws, frames } = await peer;
  await until(() => frames.length >= 1);
  assert.deepEqual(frames[0], { binary: true, data: Buffer.from('\x04{"Width":91,"Height":33}', 'latin1') });
  session.resize({ columns: 91, rows: 33 });
  session.resize({ columns: 120.7, rows: 40 });
  session.resize({ columns: 0, rows: 10 });
  await until(() => frames.length >= 2);
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(
    frames.map((f) => f.data.toString('latin1')),
    ['\x04{"Width":91,"Height":33}', '\x04{"Width":120,"Height":40}'],
  );
  ws.send(SUCCESS);
  ws.close();
  session.stdout.resume();
  await session.result;
});

test('TTY: the size goes out first, ahead of stdin written before the socket opened, and is the latest one', T, async () => {
  const peer = accept();
  const session = start({ command: ['sh'], stdin: true, tty: true, size: { columns: 91, rows: 33 } });
  // While connecting: keys typed ahead, and the terminal resized once more.
  session.stdin.write('ls\r');
  session.resize({ columns: 100, rows: 30 });
  const { ws, frames } = await peer;
  await until(() => frames.length >= 2);
  // Whatever else the client sent came before its answer to our close.
  const closed = new Promise((resolve) => ws.once('close', resolve));
  ws.send(SUCCESS);
  ws.close();
  session.stdout.resume();
  await session.result;
  await closed;
  assert.deepEqual(frames.map((f) => f.data.toString('latin1')), ['\x04{"Width":100,"Height":30}', '\x00ls\r']);
});

test('TTY: the first frame goes out as the upgrade is answered, with no module to load first', T, async () => {
  // In a process of its own, as a fresh `kube-exec exec` is: Web Crypto, loaded on first use for
  // the first frame's mask, once put a few milliseconds between the upgrade and the size.
  const child = `
    import { createServer } from 'node:http';
    import { WebSocketServer } from 'ws';
    import { ExecSession } from ${JSON.stringify(new URL('../../src/kube/exec/session.ts', import.meta.url).href)};
    const wss = new WebSocketServer({ noServer: true, handleProtocols: () => 'v5.channel.k8s.io' });
    const server = createServer();
    server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => {
      const before = new Set(process.moduleLoadList);
      ws.once('message', (data) => {
        process.stdout.write(JSON.stringify({ first: data.toString('latin1'), loaded: process.moduleLoadList.filter((m) => !before.has(m)) }));
        process.exit(0);
      });
    }));
    server.listen(0, '127.0.0.1', () => {
      const kc = { getCurrentContext: () => 'c', getCurrentCluster: () => ({ name: 'c', server: 'http://127.0.0.1:' + server.address().port }), async applyToHTTPSOptions() {} };
      ExecSession.start(kc, { namespace: 'ns', pod: 'p', command: ['sh'], stdin: true, tty: true, size: { columns: 133, rows: 41 } });
    });`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', child], { cwd: fileURLToPath(new URL('../../', import.meta.url)), timeout: 10_000 });
  assert.deepEqual(JSON.parse(stdout), { first: '\x04{"Width":133,"Height":41}', loaded: [] });
});

test('stdin: large writes are cut into 64 KiB frames; end() is CLOSE [255, 0] on v5', T, async () => {
  const peer = accept();
  const session = start({ command: ['cat'], stdin: true });
  const { ws, frames } = await peer;
  const data = Buffer.alloc(150 * 1024, 7);
  session.stdin.write(data);
  session.stdin.end();
  await until(() => frames.length >= 4);
  assert.deepEqual(
    frames.map((f) => [f.data[0], f.data.length - 1]),
    [
      [0, 65536],
      [0, 65536],
      [0, 150 * 1024 - 131072],
      [255, 1],
    ],
  );
  assert.equal(frames[3].data[1], 0);
  ws.send(SUCCESS);
  ws.close();
  session.stdout.resume();
  session.stderr.resume();
  assert.deepEqual(await session.result, { kind: 'exit', code: 0 });
});

test('stdin end() on a TTY is ^D, also on v5 (containerd would close the output on CLOSE)', T, async () => {
  const peer = accept();
  const session = start({ command: ['cat'], stdin: true, tty: true });
  const p = await peer;
  session.stdin.end('x');
  await until(() => p.frames.length >= 2);
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(p.frames.map((f) => f.data), [Buffer.from([0, 0x78]), Buffer.from([0, 0x04])]);
  p.ws.send(SUCCESS);
  p.ws.close();
  session.stdout.resume();
  await session.result;
});

test('stdin end() before v5: ^D on a TTY, nothing at all without one', T, async () => {
  let peer = accept('v4.channel.k8s.io');
  const tty = start({ command: ['cat'], stdin: true, tty: true, protocols: ['v4.channel.k8s.io'] });
  let p = await peer;
  tty.stdin.end('x');
  await until(() => p.frames.length >= 2);
  assert.deepEqual(p.frames.map((f) => f.data), [Buffer.from([0, 0x78]), Buffer.from([0, 0x04])]);
  p.ws.send(SUCCESS);
  p.ws.close();
  tty.stdout.resume();
  await tty.result;

  peer = accept('v4.channel.k8s.io');
  const plain = start({ command: ['cat'], stdin: true });
  p = await peer;
  plain.stdin.end('x');
  await until(() => p.frames.length >= 1);
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(p.frames.map((f) => f.data), [Buffer.from([0, 0x78])]);
  p.ws.send(SUCCESS);
  p.ws.close();
  plain.stdout.resume();
  plain.stderr.resume();
  await plain.result;
});

test('base64 protocols: text frames both ways', T, async () => {
  const peer = accept('base64.channel.k8s.io');
  const session = start({ command: ['cat'], stdin: true, tty: true, size: { columns: 10, rows: 5 }, protocols: ['base64.channel.k8s.io'] });
  const { ws, frames } = await peer;
  const out: Buffer[] = [];
  session.stdout.on('data', (c: Buffer) => out.push(c));
  session.stdin.write(Buffer.from([0xff, 0x00, 0x41]));
  await until(() => frames.length >= 2);
  assert.deepEqual(
    frames.map((f) => [f.binary, f.data.toString('latin1')]),
    [
      [false, '4' + Buffer.from('{"Width":10,"Height":5}').toString('base64')],
      [false, '0' + Buffer.from([0xff, 0x00, 0x41]).toString('base64')],
    ],
  );
  ws.send('1'); // the "ready" frame: empty
  ws.send('1' + Buffer.from('héllo').toString('base64'));
  ws.close(1000); // before v4 a clean close without an error is success
  assert.deepEqual(await session.result, { kind: 'exit', code: 0 });
  assert.equal(Buffer.concat(out).toString('utf8'), 'héllo');
});

test('keepalive: pings at the interval; answered pings keep an idle session alive', T, async () => {
  const peer = accept();
  const session = start({ command: ['sleep', '1'], keepaliveIntervalMs: 40, keepaliveTimeoutMs: 300 });
  const p = await peer;
  const t0 = Date.now();
  await until(() => p.pings >= 5);
  const elapsed = Date.now() - t0;
  // Five pings, one per interval: not faster than the interval allows (timers may run late).
  assert.ok(elapsed >= 4 * 40 - 10, `5 pings after ${elapsed} ms at a 40 ms interval`);
  // Answered pings (the server's ws answers them) keep a silent session going past the 300 ms timeout.
  assert.equal(await Promise.race([session.result.then(() => 'ended'), new Promise((r) => setTimeout(() => r('alive'), 400))]), 'alive');
  p.ws.send(SUCCESS);
  p.ws.close();
  session.stdout.resume();
  session.stderr.resume();
  assert.deepEqual(await session.result, { kind: 'exit', code: 0 });
});

test('keepalive: our own stalled event loop is not mistaken for a lost connection', T, async () => {
  const peer = accept();
  const session = start({ command: ['sleep', '1'], keepaliveIntervalMs: 50, keepaliveTimeoutMs: 200 });
  const p = await peer;
  // The server (same process) answers the first ping at once, then the whole process is busy
  // for twice the timeout: when it wakes up, the deadline is due and the pong not yet read.
  const stalled = new Promise<void>((resolve) =>
    p.ws.once('ping', () => {
      const end = Date.now() + 400;
      while (Date.now() < end) {
        // busy
      }
      resolve();
    }),
  );
  await stalled;
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(await Promise.race([session.result.then((r) => r.kind), new Promise((r) => setTimeout(() => r('alive'), 20))]), 'alive');
  p.ws.send(SUCCESS);
  p.ws.close();
  session.stdout.resume();
  session.stderr.resume();
  assert.deepEqual(await session.result, { kind: 'exit', code: 0 });
});

test('keepalive 0 sends no pings', T, async () => {
  const peer = accept();
  const session = start({ command: ['sleep', '1'], keepaliveIntervalMs: 0 });
  const p = await peer;
  // Nothing is to happen, so there is no event to wait for: pings, which come every 40-50 ms in
  // the keepalive tests above, get three times that long to show up.
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(p.pings, 0);
  p.ws.close(1000);
  session.stdout.resume();
  session.stderr.resume();
  assert.equal((await session.result).kind, 'connectionLost');
});

test('endings: status split over two frames; v4 clean close without status is connectionLost', T, async () => {
  let peer = accept('v4.channel.k8s.io');
  const split = start();
  let p = await peer;
  const status = '{"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"42"}]}}';
  p.ws.send(Buffer.from('\x03' + status.slice(0, 20), 'latin1'));
  p.ws.send(Buffer.from('\x03' + status.slice(20), 'latin1'));
  p.ws.terminate(); // even a rough close after the status is an exit
  split.stdout.resume();
  split.stderr.resume();
  assert.deepEqual(await split.result, { kind: 'exit', code: 42 });

  peer = accept('v4.channel.k8s.io');
  const silent = start();
  p = await peer;
  p.ws.close(1000);
  silent.stdout.resume();
  silent.stderr.resume();
  const result = await silent.result;
  assert.equal(result.kind, 'connectionLost');
});

test('a server that keeps the socket open after the status is closed by us', T, async () => {
  const peer = accept();
  const session = start();
  const p = await peer;
  const closed = new Promise<number>((resolve) => p.ws.on('close', (code) => resolve(code)));
  p.ws.send(Buffer.from('\x01late output', 'latin1'));
  p.ws.send(SUCCESS);
  const chunks: Buffer[] = [];
  session.stdout.on('data', (c: Buffer) => chunks.push(c));
  session.stderr.resume();
  assert.deepEqual(await session.result, { kind: 'exit', code: 0 });
  assert.equal(await closed, 1000);
  assert.equal(Buffer.concat(chunks).toString(), 'late output');
});

test('refused upgrades: a Status body gives its message; anything else says what the server answered', T, async () => {
  refuse(403, 'Forbidden', JSON.stringify({ kind: 'Status', status: 'Failure', message: 'pods "web-0" is forbidden: no', reason: 'Forbidden', code: 403 }));
  let session = start();
  assert.deepEqual(await session.result, { kind: 'error', message: 'pods "web-0" is forbidden: no', httpStatus: 403, reason: 'Forbidden' });

  refuse(502, 'Bad Gateway', '<html><body>upstream unavailable</body></html>', 'text/html');
  session = start();
  assert.deepEqual(await session.result, {
    kind: 'error',
    message: `Bad gateway: HTTP 502 from ${url}: <html><body>upstream unavailable</body></html>`,
    httpStatus: 502,
  });

  // A token the server echoes back is masked, as in every other error (one reading of refusals).
  refuse(403, 'Forbidden', JSON.stringify({ kind: 'Status', status: 'Failure', message: 'denied for Bearer abc.def-SECRET', reason: 'Forbidden', code: 403 }));
  session = start();
  const echoed = await session.result;
  assert.ok(echoed.kind === 'error' && !echoed.message.includes('SECRET') && echoed.message.includes('Bearer <redacted>'), JSON.stringify(echoed));
});

test('a 401 with cached credentials sets up the client again, once', T, async () => {
  let issued = 0;
  const kc = fakeConfig(() => `token-${++issued}`);
  const seen: string[] = [];
  const authorizing = (accepted: string) => {
    handler = (req, socket, head) => {
      seen.push(String(req.headers['authorization']));
      if (req.headers['authorization'] === `Bearer ${accepted}`) {
        wss.handleUpgrade(req, socket, head, (ws) => {
          ws.send(SUCCESS);
          ws.close();
        });
      } else {
        socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      }
    };
  };
  authorizing('token-1');
  let session = start({}, kc);
  session.stdout.resume();
  session.stderr.resume();
  assert.deepEqual(await session.result, { kind: 'exit', code: 0 });
  // token-1 "expires": the cached setup is refused, set up again, and the retry succeeds.
  authorizing('token-2');
  session = start({}, kc);
  session.stdout.resume();
  session.stderr.resume();
  assert.deepEqual(await session.result, { kind: 'exit', code: 0 });
  assert.deepEqual(seen, ['Bearer token-1', 'Bearer token-1', 'Bearer token-2']);
  // A fresh setup that is refused is not retried.
  authorizing('never');
  const fresh = fakeConfig(() => 'bad');
  session = start({}, fresh);
  const refused = await session.result;
  assert.equal(refused.kind, 'error');
  assert.ok(refused.kind === 'error' && refused.httpStatus === 401 && /^Unauthorized: the API server at .* did not accept the credentials/.test(refused.message), JSON.stringify(refused));
});

test('backpressure out: a reader that stops reading pauses the socket', T, async () => {
  const peer = accept();
  const session = start({ command: ['yes'] });
  const { ws } = await peer;
  const chunk = Buffer.alloc(64 * 1024 + 1, 0x79);
  chunk[0] = 1;
  for (let i = 0; i < 512; i++) ws.send(chunk); // 32 MiB
  await new Promise((r) => setTimeout(r, 300));
  // Nobody reads stdout: the client holds about one high-water mark, the rest waits on the server.
  assert.ok(session.stdout.readableLength <= 2 * 1024 * 1024, `client buffered ${session.stdout.readableLength}`);
  assert.ok(ws.bufferedAmount > 16 * 1024 * 1024, `server still holds ${ws.bufferedAmount}`);
  let received = 0;
  session.stdout.on('data', (c: Buffer) => (received += c.length));
  session.stderr.resume();
  await until(() => received === 512 * 64 * 1024, 10_000);
  ws.send(SUCCESS);
  ws.close();
  assert.deepEqual(await session.result, { kind: 'exit', code: 0 });
});

test('backpressure in: stdin write callbacks wait while the socket is backed up', T, async () => {
  const peer = accept();
  const session = start({ command: ['cat'], stdin: true });
  const { ws } = await peer;
  // The server stops reading: the kernel buffers fill, then ws's, then our callbacks wait.
  (ws as unknown as { _socket: Duplex })._socket.pause();
  const total = 64 * 1024 * 1024;
  let acknowledged = 0;
  const block = Buffer.alloc(1024 * 1024, 0x61);
  const writer = (async () => {
    for (let sent = 0; sent < total; sent += block.length) {
      const ok = session.stdin.write(block, () => (acknowledged += block.length));
      if (!ok) await new Promise((r) => session.stdin.once('drain', r));
    }
  })();
  await new Promise((r) => setTimeout(r, 400));
  assert.ok(acknowledged < 24 * 1024 * 1024, `only what the kernel and a high-water mark hold is acknowledged (${acknowledged})`);
  let receivedBytes = 0;
  ws.on('message', (data: Buffer) => (receivedBytes += data.length - 1));
  (ws as unknown as { _socket: Duplex })._socket.resume();
  await writer;
  await until(() => acknowledged === total && receivedBytes === total, 10_000);
  ws.send(SUCCESS);
  ws.close();
  session.stdout.resume();
  session.stderr.resume();
  assert.deepEqual(await session.result, { kind: 'exit', code: 0 });
});

test('writes after the end are dropped, not errors', T, async () => {
  const peer = accept();
  const session = start({ command: ['cat'], stdin: true });
  const p = await peer;
  p.ws.send(SUCCESS);
  p.ws.close();
  session.stdout.resume();
  session.stderr.resume();
  await session.result;
  await new Promise<void>((resolve, reject) => session.stdin.write('late', (err) => (err ? reject(err) : resolve())));
});

test('exit codes out of range stay as reported; a broken status is a protocol error, never the raw text', T, async () => {
  const status = (body: string) => Buffer.concat([Buffer.from([3]), Buffer.from(body)]);
  const nonZero = (code: string) =>
    JSON.stringify({ status: 'Failure', reason: 'NonZeroExitCode', message: `exit code ${code}`, details: { causes: [{ reason: 'ExitCode', message: code }] } });
  const outcome = async (frame: Buffer) => {
    const peer = accept();
    const session = start();
    session.stdout.resume();
    session.stderr.resume();
    const { ws } = await peer;
    ws.send(frame);
    ws.close();
    return session.result;
  };
  assert.deepEqual(await outcome(status(nonZero('256'))), { kind: 'exit', code: 256 });
  const zero = await outcome(status(nonZero('0')));
  assert.ok(zero.kind === 'error' && zero.reason === 'ProtocolError', JSON.stringify(zero));
  const cut = await outcome(status(nonZero('3').slice(0, 30)));
  assert.ok(cut.kind === 'error', JSON.stringify(cut));
  assert.equal(cut.message, `Protocol error: the API server at ${url} broke the exec protocol: the exit status it sent is cut off after 30 bytes. The command's outcome is unknown.`);
});

test('names that would change the request path are refused before anything is sent', T, async () => {
  let requests = 0;
  handler = (_req, socket) => {
    requests++;
    socket.destroy();
  };
  for (const [target, message] of [
    [{ namespace: '..', pod: 'ok' }, `invalid namespace "..": [may not be '..']`],
    [{ pod: '.' }, `invalid resource name ".": [may not be '.']`],
    [{ pod: '' }, `invalid resource name "": [may not be empty]`],
    [{ pod: 'a%2Fb' }, `invalid resource name "a%2Fb": [may not contain '%']`],
    [{ container: '..' }, `invalid container name "..": [may not be '..']`],
  ] as const) {
    const result = await start(target).result;
    assert.deepEqual(result, { kind: 'error', message, noResponse: true });
  }
  assert.equal(requests, 0);
});

test('a server that accepts the connection and never answers fails at the deadline of the step that hung', T, async () => {
  const net = await import('node:net');
  const held = new Set<import('node:net').Socket>();
  const silent = net.createServer((socket) => {
    held.add(socket);
    // Read and ignore what the client sends, so that its hangup is seen.
    socket.resume();
    socket.on('close', () => held.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as import('node:net').AddressInfo).port;
  const config = (server: string): KubeConfigLike => ({
    getCurrentContext: () => `silent-${server}`,
    getCurrentCluster: () => ({ name: 'silent', server }),
    async applyToHTTPSOptions() {},
  });
  try {
    const timeouts = { connectMs: 2000, tlsMs: 300, responseMs: 400 };
    let began = Date.now();
    const tls = await ExecSession.start(config(`https://127.0.0.1:${port}`), { namespace: 'ns-1', pod: 'web-0', command: ['true'], handshakeTimeouts: timeouts }).result;
    const tlsMs = Date.now() - began;
    assert.deepEqual(tls, {
      kind: 'error',
      message: `Unable to connect to https://127.0.0.1:${port}: the server accepted the connection but did not complete the TLS handshake within 0 s. Is an HTTPS server (the API server, or a proxy in front of it) listening on that port?`,
      noResponse: true,
    });
    assert.ok(tlsMs >= 250 && tlsMs < 1500, `TLS deadline took ${tlsMs} ms`);
    began = Date.now();
    const http = await ExecSession.start(config(`http://127.0.0.1:${port}`), { namespace: 'ns-1', pod: 'web-0', command: ['true'], handshakeTimeouts: timeouts }).result;
    const httpMs = Date.now() - began;
    assert.ok(http.kind === 'error' && http.noResponse && /did not answer the WebSocket upgrade request within 0 s/.test(http.message), JSON.stringify(http));
    assert.ok(httpMs >= 350 && httpMs < 1500, `response deadline took ${httpMs} ms`);
    // Nothing is left connected.
    await until(() => held.size === 0);
  } finally {
    for (const s of held) s.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});
