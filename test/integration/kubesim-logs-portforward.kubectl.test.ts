// kubesim's pods/log and pods/portforward proven by the real kubectl (v1.32): logs with
// --timestamps, --tail, --limit-bytes, -f, --previous and their errors; port-forward over the
// WebSocket SPDY tunnel kubectl tries first and over plain SPDY (its fallback), with an HTTP
// request through each, and a refused port reported as kubelet/containerd word it. Every call
// gets KUBECONFIG and HOME explicitly, so ~/.kube is never touched.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { get } from 'node:http';
import { connect } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startKubesim, type Kubesim } from '../kubesim/index.ts';

const KUBECTL = '/usr/bin/kubectl';
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z /;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

describe('kubesim logs and port-forward through kubectl', { concurrency: 3, timeout: 120_000 }, () => {
  let sim: Kubesim;
  let home: string;
  const children = new Set<ChildProcess>();

  const env = (extra: Record<string, string> = {}) => ({ PATH: process.env['PATH'] ?? '/usr/bin:/bin', KUBECONFIG: sim.kubeconfigPath, HOME: home, ...extra });

  function kubectl(args: string[], timeoutMs = 20_000): Promise<Result> {
    return new Promise((resolve) => {
      execFile(KUBECTL, args, { env: env(), timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** A long-running kubectl; its output is collected and `waitFor` resolves on a pattern. */
  function start(args: string[], extraEnv: Record<string, string> = {}) {
    const child = spawn(KUBECTL, args, { env: env(extraEnv), stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => {
      children.delete(child);
      resolve(code);
    }));
    let stdout = '';
    let stderr = '';
    const waiters = new Set<() => void>();
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      for (const w of [...waiters]) w();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      for (const w of [...waiters]) w();
    });
    const waitFor = (which: 'stdout' | 'stderr', pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = (which === 'stdout' ? stdout : stderr).match(pattern);
          if (!m) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(m);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`kubectl ${args.join(' ')}: no ${pattern} within ${timeoutMs} ms.\nstdout: ${stdout}\nstderr: ${stderr}`));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    return { child, exited, waitFor, output: () => ({ stdout, stderr }) };
  }

  function fetch(port: number, path: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = get({ host: '127.0.0.1', port, path, timeout: 15_000, agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', reject);
    });
  }

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'kubesim-kubectl-home-'));
    sim = await startKubesim();
  });
  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await sim.stop();
    await rm(home, { recursive: true, force: true });
  });

  /** Runs `kubectl args` until its output satisfies `ok` (logger-0 prints a line a second). */
  async function kubectlUntil(args: string[], ok: (r: Result) => boolean, timeoutMs = 15_000): Promise<Result> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await kubectl(args);
      if (ok(r) || Date.now() > deadline) return r;
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
  }

  test('kubectl logs: the main process output, with --timestamps, --tail and --limit-bytes', async () => {
    const all = await kubectlUntil(['logs', '-n', 'demo', 'logger-0'], (r) => r.stdout.includes('line 5 (stderr)\n'));
    assert.equal(all.code, 0, all.stderr);
    // stdout and stderr lines, in the order they were written.
    assert.match(all.stdout, /^line 1\nline 2\nline 3\nline 4\nline 5\nline 5 \(stderr\)\n/);

    const stamped = await kubectl(['logs', '-n', 'demo', 'logger-0', '--timestamps']);
    const lines = stamped.stdout.trimEnd().split('\n');
    for (const line of lines) assert.match(line, TIMESTAMP);
    assert.equal(lines[0]!.replace(TIMESTAMP, ''), 'line 1');
    const times = lines.map((l) => l.slice(0, 30));
    assert.deepEqual([...times].sort(), times, 'timestamps ascend');

    const tail = await kubectl(['logs', '-n', 'demo', 'logger-0', '--tail=2']);
    const tailLines = tail.stdout.trimEnd().split('\n');
    assert.equal(tailLines.length, 2, tail.stdout);
    const later = await kubectl(['logs', '-n', 'demo', 'logger-0']);
    assert.ok(later.stdout.includes(`\n${tail.stdout}`), 'the last two lines at the time');
    assert.ok(Number(/\d+/.exec(tailLines[1]!)![0]) >= 5);

    const limited = await kubectl(['logs', '-n', 'demo', 'logger-0', '--limit-bytes=9']);
    assert.equal(limited.stdout, 'line 1\nli');
  });

  test('kubectl logs -f sees a line printed after it started', async () => {
    const follow = start(['logs', '-f', '-n', 'demo', 'logger-0', '--tail=1']);
    const first = await follow.waitFor('stdout', /line (\d+)\n/);
    const n = Number(first[1]);
    await follow.waitFor('stdout', new RegExp(`line ${n + 1}\\n`), 10_000);
    follow.child.kill('SIGTERM');
    await follow.exited;
    assert.equal(follow.output().stdout.split('\n')[0], `line ${n}`, 'the tail of one line came first');
  });

  test('kubectl logs errors are the API server\'s', async () => {
    const previous = await kubectl(['logs', '-n', 'demo', 'logger-0', '--previous']);
    assert.notEqual(previous.code, 0);
    assert.equal(previous.stderr.trim(), 'Error from server (BadRequest): previous terminated container "app" in pod "logger-0" not found');

    const waiting = await kubectl(['logs', 'pending-0']);
    assert.equal(waiting.stderr.trim(), 'Error from server (BadRequest): container "app" in pod "pending-0" is waiting to start: ContainerCreating');

    // (kubectl logs checks container names itself; the raw request shows the server's answer.)
    const wrong = await kubectl(['get', '--raw', '/api/v1/namespaces/default/pods/multi-0/log?container=nope']);
    assert.equal(wrong.stderr.trim(), 'Error from server (BadRequest): container nope is not valid for pod multi-0');

    const invalid = await kubectl(['get', '--raw', '/api/v1/namespaces/default/pods/web-0/log?tailLines=-2']);
    assert.equal(invalid.stderr.trim(), 'The PodLogOptions "web-0" is invalid: tailLines: Invalid value: -2: must be greater than or equal to 0');

    // A container that has restarted keeps its last instance's log as --previous. The fixture's
    // instance ran no process, so it wrote nothing: its log is empty, not kubesim's notes.
    const crashed = await kubectl(['logs', 'crashloop-0', '--previous']);
    assert.equal(crashed.code, 0, crashed.stderr);
    assert.equal(crashed.stdout, '');
  });

  test('a main process that exits is restarted; --previous shows the run before', async () => {
    sim.addPod({
      metadata: { name: 'restarts-0', namespace: 'default' },
      spec: { containers: [{ name: 'app', image: 'kubesim/busybox', command: ['sh', '-c', 'echo "run $(date +%N)"; sleep 0.2; exit 3'] }] },
    });
    try {
      let get: Result;
      const deadline = Date.now() + 30_000;
      do {
        await new Promise((r) => setTimeout(r, 500));
        get = await kubectl(['get', 'pod', 'restarts-0', '-o', 'jsonpath={.status.containerStatuses[0].restartCount} {.status.containerStatuses[0].lastState.terminated.exitCode}']);
      } while (!/^[1-9]\d* 3$/.test(get.stdout) && Date.now() < deadline);
      assert.match(get.stdout, /^[1-9]\d* 3$/, 'restartCount and the last exit code');
      const previous = await kubectl(['logs', 'restarts-0', '--previous']);
      assert.equal(previous.code, 0, previous.stderr);
      assert.match(previous.stdout, /^run \d+\n$/);
    } finally {
      sim.deletePod('default', 'restarts-0');
    }
  });

  for (const [transport, extraEnv, expect] of [
    ['the WebSocket tunnel', {}, /negotiated protocol: portforward\.k8s\.io/],
    ['plain SPDY', { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }, /POST https:\/\/\S+\/portforward 101 Switching Protocols/],
  ] as const) {
    test(`kubectl port-forward over ${transport}: HTTP through the forward`, async () => {
      const pf = start(['port-forward', '-n', 'demo', 'pod/node-0', ':8080', '-v=6'], extraEnv);
      const [, local] = await pf.waitFor('stdout', /Forwarding from 127\.0\.0\.1:(\d+) -> 8080/);
      await pf.waitFor('stderr', expect);
      const first = await fetch(Number(local), '/hello');
      assert.equal(first.status, 200);
      assert.equal(first.body, 'hello from node-0: GET /hello\n');
      // A second connection over the same session.
      assert.equal((await fetch(Number(local), '/again')).body, 'hello from node-0: GET /again\n');
      pf.child.kill('SIGTERM');
      await pf.exited;
    });
  }

  test('kubectl port-forward to a port nothing listens on: containerd\'s refusal', async () => {
    const pf = start(['port-forward', '-n', 'demo', 'pod/node-0', ':7777']);
    const [, local] = await pf.waitFor('stdout', /Forwarding from 127\.0\.0\.1:(\d+) -> 7777/);
    const socket = connect({ host: '127.0.0.1', port: Number(local) });
    socket.on('error', () => undefined);
    const [message] = await pf.waitFor('stderr', /an error occurred forwarding \d+ -> 7777: error forwarding port 7777 to pod [0-9a-f]{64}, uid : failed to execute portforward in network namespace \\?"[^"\\]+\\?": failed to connect to localhost:7777 inside namespace \\?"[0-9a-f]{64}\\?", IPv4: dial tcp4 127\.0\.0\.1:7777: connect: connection refused/);
    assert.ok(message);
    socket.destroy();
    // kubectl 1.32 closes the session after an error and exits.
    await pf.waitFor('stderr', /lost connection to pod/);
    assert.equal(await pf.exited, 1);
  });
});
