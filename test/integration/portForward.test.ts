// PortForward against kubesim: HTTP through the forward to node-0's server, a refused port and a
// refused upgrade reported per connection while the forward keeps listening, a deleted pod
// noticed as a broken forward, and stop() closing the listener and its connections.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { get, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { startKubesim, type Kubesim } from '../kubesim/index.ts';
import { PortForward, type PortForwardOptions } from '../../src/kube/portForward.ts';
import { enableInspector, listNodeProcesses } from '../../src/kube/nodeInspector.ts';

const T = { timeout: 60_000 };
let sim: Kubesim;
const forwards = new Set<PortForward>();

before(async () => {
  sim = await startKubesim();
});
after(async () => {
  await Promise.all([...forwards].map((f) => f.stop()));
  await sim.stop();
});

function kubeConfig(context = 'kubesim'): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(sim.kubeconfigPath);
  kc.setCurrentContext(context);
  return kc;
}

async function forward(options: Partial<PortForwardOptions> & { remotePort: number }, context?: string) {
  const errors: string[] = [];
  const f = await PortForward.start(kubeConfig(context), { namespace: 'demo', pod: 'node-0', ...options }, { onConnectionError: (m) => errors.push(m) });
  forwards.add(f);
  return { f, errors };
}

function fetch(port: number, path: string, keepAlive = false): Promise<{ status: number; body: string; res: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path, timeout: 15_000, agent: false, headers: keepAlive ? { Connection: 'keep-alive' } : {} }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, res }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

/** node-0's server starts with kubesim; give it a moment on a busy machine. */
async function fetchEventually(port: number, path: string): Promise<{ status: number; body: string }> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const r = await fetch(port, path).catch((err: Error) => ({ status: 0, body: err.message }));
    if (r.status === 200 || Date.now() > deadline) return r;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

function waitUntil(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (check()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 50);
    };
    tick();
  });
}

test('HTTP through the forward reaches the pod\'s server; each connection its own WebSocket', T, async () => {
  const { f, errors } = await forward({ remotePort: 8080 });
  assert.equal(f.localAddress, '127.0.0.1');
  assert.ok(f.localPort > 0);
  assert.equal(f.description, `127.0.0.1:${f.localPort} → demo/node-0:8080`);
  const first = await fetchEventually(f.localPort, '/hello');
  assert.equal(first.status, 200);
  assert.equal(first.body, 'hello from node-0: GET /hello\n');
  // (Attempts before node-0's server listened were refused and reported.)
  errors.length = 0;
  const [a, b] = await Promise.all([fetch(f.localPort, '/a'), fetch(f.localPort, '/b')]);
  assert.equal(a.body, 'hello from node-0: GET /a\n');
  assert.equal(b.body, 'hello from node-0: GET /b\n');
  assert.deepEqual(errors, []);
  await f.stop();
  assert.deepEqual(await f.ended, { reason: 'stopped' });
});

test('a port nothing listens on: the kubelet\'s message, and the forward keeps listening', T, async () => {
  const { f, errors } = await forward({ remotePort: 7777 });
  const socket: Socket = connect({ host: '127.0.0.1', port: f.localPort });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  await waitUntil(() => errors.length > 0, 'an error');
  assert.match(errors[0]!, /^Port forward to node-0:7777: error forwarding port 7777 to pod [0-9a-f]{64}, uid : failed to execute portforward in network namespace "[^"]+": failed to connect to localhost:7777 inside namespace "[0-9a-f]{64}", IPv4: dial tcp4 127\.0\.0\.1:7777: connect: connection refused/);
  await closed;
  // Still listening: a second attempt is reported the same way.
  const again = connect({ host: '127.0.0.1', port: f.localPort });
  again.on('error', () => undefined);
  await waitUntil(() => errors.length > 1, 'a second error');
  again.destroy();
  assert.equal(await Promise.race([f.ended.then(() => 'ended'), new Promise((r) => setTimeout(() => r('running'), 200))]), 'running');
  await f.stop();
});

test('a user who may not create pods/portforward: the API server\'s 403, per connection', T, async () => {
  // The dev user may get pods in default (so the forward starts) but not create pods/portforward.
  const { f, errors } = await forward({ namespace: 'default', pod: 'web-0', remotePort: 80 }, 'kubesim-forbidden');
  const socket = connect({ host: '127.0.0.1', port: f.localPort });
  socket.on('error', () => undefined);
  await waitUntil(() => errors.length > 0, 'an error');
  assert.equal(errors[0], 'Port forward to web-0:80 refused: Forbidden: pods "web-0" is forbidden: User "dev" cannot create resource "pods/portforward" in API group "" in the namespace "default"');
  socket.destroy();
  await f.stop();
});

test('a pod that is not there or not running cannot be forwarded to', T, async () => {
  await assert.rejects(PortForward.start(kubeConfig(), { namespace: 'demo', pod: 'nope', remotePort: 80 }), /Not found: pods "nope" not found/);
  await assert.rejects(PortForward.start(kubeConfig(), { namespace: 'default', pod: 'pending-0', remotePort: 80 }), /Cannot forward to default\/pending-0: The pod pending-0 is not running \(phase Pending\)\./);
  await assert.rejects(PortForward.start(kubeConfig(), { namespace: 'demo', pod: 'node-0', remotePort: 70000 }), /70000 is not a port number/);
});

test('deleting the pod breaks the forward: its connection closes and the forward ends with the reason', T, async () => {
  sim.addPod({
    metadata: { name: 'fwd-0', namespace: 'default' },
    spec: {
      containers: [{
        name: 'app', image: 'kubesim/node', command: ['node', 'app.js'], workingDir: '/app',
        env: [{ name: 'PORT', value: '8080' }], ports: [{ containerPort: 8080, protocol: 'TCP' }],
      }],
    },
  });
  const { f } = await forward({ namespace: 'default', pod: 'fwd-0', remotePort: 8080, checkIntervalMs: 60_000 });
  assert.equal((await fetchEventually(f.localPort, '/x')).body, 'hello from fwd-0: GET /x\n');
  // A connection held open through the forward.
  const held = connect({ host: '127.0.0.1', port: f.localPort });
  held.on('error', () => undefined);
  const heldClosed = new Promise<void>((resolve) => held.on('close', () => resolve()));
  await new Promise<void>((resolve) => held.on('connect', () => resolve()));
  held.write('GET /keep HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
  await new Promise<void>((resolve) => held.once('data', () => resolve()));
  sim.deletePod('default', 'fwd-0');
  await heldClosed;
  // Noticed at once (the pod's side closed the connection), not at the next minute's check.
  const end = await Promise.race([f.ended, new Promise((r) => setTimeout(() => r('still running'), 10_000))]);
  assert.deepEqual(end, { reason: 'broken', message: 'The pod default/fwd-0 was deleted.' });
  await assert.rejects(new Promise((resolve, reject) => connect({ host: '127.0.0.1', port: f.localPort }).on('connect', resolve).on('error', reject)), /ECONNREFUSED/);
});

test('with no connection open, the periodic check notices a deleted pod', T, async () => {
  sim.addPod({ metadata: { name: 'idle-0', namespace: 'default' }, spec: { containers: [{ name: 'app', image: 'kubesim/busybox', command: ['sleep', '3600'] }] } });
  const { f } = await forward({ namespace: 'default', pod: 'idle-0', remotePort: 80, checkIntervalMs: 200 });
  sim.deletePod('default', 'idle-0');
  assert.deepEqual(await f.ended, { reason: 'broken', message: 'The pod default/idle-0 was deleted.' });
});

test('stop() closes the listener and every open connection', T, async () => {
  const { f } = await forward({ remotePort: 8080 });
  await fetchEventually(f.localPort, '/warm');
  const held = connect({ host: '127.0.0.1', port: f.localPort });
  held.on('error', () => undefined);
  await new Promise<void>((resolve) => held.on('connect', () => resolve()));
  await waitUntil(() => f.connections === 1, 'one connection');
  const closed = new Promise<void>((resolve) => held.on('close', () => resolve()));
  await f.stop();
  await closed;
  assert.equal(f.connections, 0);
  await assert.rejects(new Promise((resolve, reject) => connect({ host: '127.0.0.1', port: f.localPort }).on('connect', resolve).on('error', reject)), /ECONNREFUSED/);
});

test('a Node.js process switched into inspector mode with SIGUSR1 answers through the forward', T, async () => {
  // Started without an active inspector; --inspect-port only says where SIGUSR1 will open it.
  sim.addPod({
    metadata: { name: 'usr1-0', namespace: 'default' },
    spec: {
      containers: [{
        name: 'app', image: 'kubesim/node', command: ['node', '--inspect-port=127.0.0.1:9229', 'app.js'], workingDir: '/app',
        env: [{ name: 'PORT', value: '8080' }], ports: [{ containerPort: 9229, protocol: 'TCP' }],
      }],
    },
  });
  const ref = { namespace: 'default', pod: 'usr1-0', container: 'app' };
  const { f, errors } = await forward({ namespace: 'default', pod: 'usr1-0', remotePort: 9229 });
  const jsonList = () => fetch(f.localPort, '/json/list').then((r) => r.body, (err: Error) => `failed: ${err.message}`);
  // Nothing listens yet.
  assert.match(await jsonList(), /^failed/);
  await waitUntil(() => errors.length > 0, 'the refusal');

  const pid = await (async () => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const p = sim.mainProcessPid('default', 'usr1-0', 'app');
      if (p !== undefined || Date.now() > deadline) return p;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  assert.ok(pid, 'the main process runs');
  // kubesim's containers share the host's /proc, so the list has other node processes too.
  const processes = await listNodeProcesses(kubeConfig(), ref);
  const mine = processes.find((p) => p.pid === pid);
  assert.ok(mine, `PID ${pid} among ${JSON.stringify(processes.slice(0, 5))}`);
  assert.match(mine.command, /^node --inspect-port=127\.0\.0\.1:\d+ app\.js$/);

  await enableInspector(kubeConfig(), ref, pid);
  let body = '';
  const deadline = Date.now() + 15_000;
  while (!body.startsWith('[') && Date.now() < deadline) {
    body = await jsonList();
    if (!body.startsWith('[')) await new Promise((r) => setTimeout(r, 200));
  }
  const targets = JSON.parse(body) as Array<{ type: string; webSocketDebuggerUrl: string }>;
  assert.equal(targets[0]!.type, 'node');
  // The inspector names the address it was reached at: the local end of the forward.
  assert.match(targets[0]!.webSocketDebuggerUrl, new RegExp(`^ws://127\\.0\\.0\\.1:${f.localPort}/`));
  await f.stop();
  await assert.rejects(enableInspector(kubeConfig(), { namespace: 'default', pod: 'distroless-0', container: 'app' }, 1), /the container has no shell/);
});
