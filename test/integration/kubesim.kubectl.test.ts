// kubesim proven by the real kubectl (v1.32, WebSocket v5 exec): if kubectl is happy, kubesim
// speaks Kubernetes. Every call gets KUBECONFIG and HOME explicitly, so ~/.kube is never touched.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as pty from 'node-pty';
import { startKubesim, type Kubesim } from '../kubesim/index.ts';

const KUBECTL = '/usr/bin/kubectl';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

describe('kubesim through kubectl', { concurrency: 4 }, () => {
  let sim: Kubesim;
  let home: string;

  const env = () => ({ PATH: process.env['PATH'] ?? '/usr/bin:/bin', KUBECONFIG: sim.kubeconfigPath, HOME: home });

  function kubectl(args: string[], input?: string | Buffer, timeoutMs = 15_000): Promise<Result> {
    return new Promise((resolve) => {
      const child = execFile(KUBECTL, args, { env: env(), timeout: timeoutMs, maxBuffer: 64 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
        resolve({ code, stdout, stderr });
      });
      if (input !== undefined) child.stdin!.end(input);
    });
  }

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'kubesim-kubectl-home-'));
    sim = await startKubesim();
  });
  after(async () => {
    await sim.stop();
    await rm(home, { recursive: true, force: true });
  });

  test('kubectl get ns', async () => {
    const r = await kubectl(['get', 'ns']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^NAME\s+STATUS\s+AGE\n/);
    for (const ns of ['default', 'demo', 'kube-system']) assert.match(r.stdout, new RegExp(`^${ns}\\s+Active\\s+\\d+d`, 'm'));
  });

  test('kubectl get pods -A shows names and statuses', async () => {
    const r = await kubectl(['get', 'pods', '-A']);
    assert.equal(r.code, 0, r.stderr);
    const expected: Array<[string, string, string, string]> = [
      ['default', 'web-0', '1/1', 'Running'],
      ['default', 'multi-0', '2/2', 'Running'],
      ['default', 'pending-0', '0/1', 'ContainerCreating'],
      ['default', 'done-0', '0/1', 'Completed'],
      ['default', 'failed-0', '0/1', 'Error'],
      ['default', 'crashloop-0', '0/1', 'CrashLoopBackOff'],
      ['default', 'terminating-0', '1/1', 'Terminating'],
      ['default', 'notready-0', '0/1', 'Running'],
      ['demo', 'api-0', '1/1', 'Running'],
      ['kube-system', 'coredns-0', '1/1', 'Running'],
    ];
    for (const [ns, name, ready, status] of expected) {
      assert.match(r.stdout, new RegExp(`^${ns}\\s+${name}\\s+${ready}\\s+${status}\\s`, 'm'), `${ns}/${name}`);
    }
  });

  test('kubectl get pods -l app=api -n demo', async () => {
    const r = await kubectl(['get', 'pods', '-l', 'app=api', '-n', 'demo', '-o', 'name']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'pod/api-0\npod/api-1\n');
  });

  test('kubectl get pods --chunk-size=2 pages through continue tokens', async () => {
    const r = await kubectl(['get', 'pods', '--chunk-size=2', '-v=6']);
    assert.equal(r.code, 0, r.stderr);
    const pages = r.stderr.split('\n').filter((l) => /GET https:\/\/\S+\/pods\?.*limit=2/.test(l));
    assert.equal(pages.length, 6);
    assert.equal(pages.filter((l) => l.includes('continue=')).length, 5);
    assert.equal(r.stdout.trim().split('\n').length, 12);
  });

  test('kubectl exec prints the output and exits with the command\'s code', async () => {
    const r = await kubectl(['exec', 'web-0', '--', 'sh', '-c', 'echo $HOSTNAME; exit 3']);
    assert.equal(r.stdout, 'web-0\n');
    assert.equal(r.code, 3);
    assert.match(r.stderr, /command terminated with exit code 3/);
  });

  test('kubectl exec -i cat: stdin arrives whole and EOF ends it', async () => {
    const input = randomBytes(150_000).toString('base64');
    const r = await kubectl(['exec', '-i', 'web-0', '--', 'cat'], input);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, input);
  });

  test('kubectl exec -c picks the container; busybox has no bash', async () => {
    const r = await kubectl(['exec', 'multi-0', '-c', 'sidecar', '--', 'sh', '-c', 'command -v bash || echo "no bash in $HOSTNAME"']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'no bash in multi-0\n');
  });

  test('kubectl exec busybox-0 -- bash fails with executable not found', async () => {
    const r = await kubectl(['exec', 'busybox-0', '--', 'bash']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: Internal error occurred: Internal error occurred: error executing command in container: failed to exec in container: failed to start exec "[0-9a-f]{64}": OCI runtime exec failed: exec failed: unable to start container process: exec: "bash": executable file not found in \$PATH: unknown\n$/);
  });

  test('kubectl exec into a crashlooping container', async () => {
    const r = await kubectl(['exec', 'crashloop-0', '--', 'sh']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'error: Internal error occurred: unable to upgrade connection: container not found ("app")\n');
  });

  test('the forbidden context gets the exact 403', async () => {
    const r = await kubectl(['--context', 'kubesim-forbidden', 'exec', 'web-0', '--', 'true']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'Error from server (Forbidden): pods "web-0" is forbidden: User "dev" cannot create resource "pods/exec" in API group "" in the namespace "default"\n');
    const list = await kubectl(['--context', 'kubesim-forbidden', 'get', 'pods', '-o', 'name']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^pod\/web-0$/m);
    const ns = await kubectl(['--context', 'kubesim-forbidden', 'get', 'ns']);
    assert.equal(ns.stderr, 'Error from server (Forbidden): namespaces is forbidden: User "dev" cannot list resource "namespaces" in API group "" at the cluster scope\n');
  });

  test('the badtoken context is Unauthorized', async () => {
    const r = await kubectl(['--context', 'kubesim-badtoken', 'get', 'pods']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error: You must be logged in to the server \(Unauthorized\)/);
  });

  test('the unreachable context is refused', async () => {
    const r = await kubectl(['--context', 'kubesim-unreachable', 'get', 'pods']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /127\.0\.0\.1:1.*connection refused/);
  });

  test('client-certificate and exec-plugin contexts work', async () => {
    for (const context of ['kubesim-cert', 'kubesim-exec']) {
      const r = await kubectl(['--context', context, 'get', 'pods', '-o', 'name']);
      assert.equal(r.code, 0, `${context}: ${r.stderr}`);
      assert.match(r.stdout, /^pod\/web-0$/m);
      const e = await kubectl(['--context', context, 'exec', 'web-0', '--', 'echo', 'ok']);
      assert.equal(e.stdout, 'ok\n', `${context}: ${e.stderr}`);
    }
  });

  test('kubectl get pods --watch-only sees a pod added by addPod', async () => {
    const child = spawn(KUBECTL, ['get', 'pods', '-n', 'demo', '--watch-only', '-v=6'], { env: env() });
    try {
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no list seen: ${stderr}`)), 10_000);
        child.stderr.on('data', (c: Buffer) => {
          stderr += c.toString();
          // kubectl lists, then watches from the list's resourceVersion: anything added after
          // the list is replayed to the watch even if the watch request is not in yet.
          if (/GET https:\/\/\S+\/namespaces\/demo\/pods\?limit=500 200 OK/.test(stderr)) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      sim.addPod({ metadata: { name: 'watched-0', namespace: 'demo', labels: { app: 'watched' } }, spec: { containers: [{ name: 'app', image: 'kubesim/bash' }] } });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`watch printed: ${stdout}`)), 10_000);
        const check = () => {
          if (/^watched-0\s+1\/1\s+Running\s+0\s+\d+s$/m.test(stdout)) {
            clearTimeout(timer);
            resolve();
          }
        };
        child.stdout.on('data', check);
        check();
      });
      assert.doesNotMatch(stdout, /api-0/);
    } finally {
      child.kill('SIGTERM');
    }
  });

  test('kubectl delete waits for the pod to go', async () => {
    sim.addPod({ metadata: { name: 'doomed-0', namespace: 'default' }, spec: { containers: [{ name: 'app', image: 'kubesim/bash' }] } });
    const r = await kubectl(['delete', 'pod', 'doomed-0']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'pod "doomed-0" deleted\n');
    const gone = await kubectl(['get', 'pod', 'doomed-0']);
    assert.equal(gone.stderr, 'Error from server (NotFound): pods "doomed-0" not found\n');
  });

  test('kubectl exec -it: a terminal whose size follows kubectl\'s', async () => {
    const term = pty.spawn(KUBECTL, ['exec', '-it', 'web-0', '--', 'sh'], { name: 'xterm', cols: 80, rows: 24, env: env() });
    let out = '';
    const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
    term.onData((d) => (out += d));
    const waitFor = (re: RegExp) => new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        clearInterval(poll);
        reject(new Error(`terminal showed: ${JSON.stringify(out)}`));
      }, 10_000);
      const poll = setInterval(() => {
        if (re.test(out)) {
          clearTimeout(timer);
          clearInterval(poll);
          resolve();
        }
      }, 20);
    });
    try {
      await waitFor(/[#$] $/);
      term.write('stty size\r');
      await waitFor(/24 80/);
      term.resize(132, 50);
      // The resize travels kubectl -> channel 4 -> PTY; give it a moment before asking.
      await new Promise((r) => setTimeout(r, 300));
      term.write('stty size; tty\r');
      await waitFor(/50 132/);
      term.write('exit 5\r');
      assert.equal(await exited, 5);
      assert.match(out, /\/dev\/pts\/\d+/);
    } finally {
      try {
        term.kill();
      } catch {
        // already exited
      }
    }
  });
});
