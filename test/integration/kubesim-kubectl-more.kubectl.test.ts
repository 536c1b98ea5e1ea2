// More of kubesim proven by the real kubectl (v1.32): `kubectl cp` both ways (tar over exec),
// `kubectl attach` to a running command and to a debug container's stdin, `kubectl logs -f
// --since`, `kubectl port-forward` of two ports in one session, `kubectl debug -i` whose output
// must reach the user (issue 11, item 3), and watches across a dropped connection and compacted
// history (`kubectl wait` relists through the 410; `kubectl get -w` ends with its watch, as it
// does against a real API server: it watches with UntilWithoutRetry and never relists). Every
// call gets KUBECONFIG and HOME explicitly, so ~/.kube is never touched.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { get } from 'node:http';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startKubesim, type Kubesim } from '../kubesim/index.ts';
import { until as waitUntil } from '../support/until.ts';

const KUBECTL = '/usr/bin/kubectl';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** kubectl against one kubesim: run to the end, or start and watch its output. */
function kubectlFor(sim: () => Kubesim, home: () => string, children: Set<ChildProcess>) {
  const env = () => ({ PATH: process.env['PATH'] ?? '/usr/bin:/bin', KUBECONFIG: sim().kubeconfigPath, HOME: home() });

  function run(args: string[], input?: string | Buffer, timeoutMs = 30_000): Promise<Result> {
    return new Promise((resolve) => {
      const child = execFile(KUBECTL, args, { env: env(), timeout: timeoutMs, maxBuffer: 64 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
        resolve({ code, stdout, stderr });
      });
      if (input !== undefined) child.stdin!.end(input);
    });
  }

  /** A long-running kubectl: `waitFor` resolves once its stdout or stderr matches. */
  function start(args: string[], opts: { stdin?: boolean } = {}) {
    const child = spawn(KUBECTL, args, { env: env(), stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    children.add(child);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => {
      children.delete(child);
      resolve(code);
    }));
    const out = { stdout: '', stderr: '' };
    const waiters = new Set<() => void>();
    for (const which of ['stdout', 'stderr'] as const) {
      child[which]!.on('data', (c: Buffer) => {
        out[which] += c.toString();
        for (const w of [...waiters]) w();
      });
    }
    const waitFor = (which: 'stdout' | 'stderr', pattern: RegExp, from = 0, timeoutMs = 20_000): Promise<RegExpMatchArray> =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = out[which].slice(from).match(pattern);
          if (!m) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(m);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`kubectl ${args.join(' ')}: no ${pattern} within ${timeoutMs} ms.\nstdout: ${out.stdout}\nstderr: ${out.stderr}`));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    const stop = async () => {
      child.kill('SIGTERM');
      await exited;
    };
    return { child, exited, waitFor, stop, output: () => ({ ...out }) };
  }

  /** Runs `kubectl args` until its result satisfies `ok`. */
  async function until(args: string[], ok: (r: Result) => boolean, timeoutMs = 20_000): Promise<Result> {
    let last: Result | undefined;
    return waitUntil(
      () => `kubectl ${args.join(' ')} to satisfy the condition; last: ${JSON.stringify(last)}`,
      async () => {
        last = await run(args);
        return ok(last) && last;
      },
      { timeoutMs, intervalMs: 200 },
    );
  }

  return { run, start, until };
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Every file under `dir` (relative path -> content). */
async function tree(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(dir, path), await readFile(path));
  }
  return files;
}

function fetchLocal(port: number, path: string): Promise<{ status: number; body: string }> {
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

describe('kubesim through kubectl: cp, attach, logs --since, port-forward, debug -i', { concurrency: 4, timeout: 120_000 }, () => {
  let sim: Kubesim;
  let home: string;
  const children = new Set<ChildProcess>();
  const kubectl = kubectlFor(() => sim, () => home, children);

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'kubesim-kubectl-home-'));
    sim = await startKubesim();
  });
  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await sim.stop();
    await rm(home, { recursive: true, force: true });
  });

  test('kubectl cp: a file and a directory into a container and back, byte for byte', async () => {
    const local = await mkdtemp(join(tmpdir(), 'kubesim-cp-'));
    try {
      const blob = randomBytes(300_000);
      await writeFile(join(local, 'blob.bin'), blob);
      const src = join(local, 'tree');
      await mkdir(join(src, 'nested', 'deeper'), { recursive: true });
      await writeFile(join(src, 'a.txt'), 'alpha\n');
      await writeFile(join(src, 'nested', 'b.bin'), randomBytes(70_000));
      await writeFile(join(src, 'nested', 'with space.txt'), 'spaced\n');
      await writeFile(join(src, 'nested', 'deeper', 'empty'), '');
      await writeFile(join(src, 'run.sh'), '#!/bin/sh\necho run\n');
      await chmod(join(src, 'run.sh'), 0o755);

      // Relative container paths resolve against the container's working directory, in a cluster
      // as in kubesim; tmp/ exists in every kubesim container.
      const fileIn = await kubectl.run(['cp', join(local, 'blob.bin'), 'web-0:tmp/blob.bin']);
      assert.equal(fileIn.code, 0, fileIn.stderr);
      const dirIn = await kubectl.run(['cp', src, 'web-0:tmp/tree']);
      assert.equal(dirIn.code, 0, dirIn.stderr);

      // What arrived, seen from inside the container.
      const inside = await kubectl.run(['exec', 'web-0', '--', 'sh', '-c', 'sha256sum tmp/blob.bin tmp/tree/nested/b.bin; stat -c %a tmp/tree/run.sh; find tmp/tree -type f | sort']);
      assert.equal(inside.code, 0, inside.stderr);
      const [blobSum, bSum, mode, ...found] = inside.stdout.trimEnd().split('\n');
      assert.equal(blobSum, `${sha256(blob)}  tmp/blob.bin`);
      assert.equal(bSum, `${sha256(await readFile(join(src, 'nested', 'b.bin')))}  tmp/tree/nested/b.bin`);
      assert.equal(mode, '755', 'tar in the container keeps the mode (kubectl\'s own untar, on the way back, does not)');
      assert.deepEqual(found, ['tmp/tree/a.txt', 'tmp/tree/nested/b.bin', 'tmp/tree/nested/deeper/empty', 'tmp/tree/nested/with space.txt', 'tmp/tree/run.sh']);

      const back = join(local, 'back');
      await mkdir(back);
      const fileOut = await kubectl.run(['cp', 'web-0:tmp/blob.bin', join(back, 'blob.bin')]);
      assert.equal(fileOut.code, 0, fileOut.stderr);
      assert.ok((await readFile(join(back, 'blob.bin'))).equals(blob), 'the file came back unchanged');
      const dirOut = await kubectl.run(['cp', 'web-0:tmp/tree', join(back, 'tree')]);
      assert.equal(dirOut.code, 0, dirOut.stderr);
      const [sent, received] = await Promise.all([tree(src), tree(join(back, 'tree'))]);
      assert.deepEqual([...received.keys()].sort(), [...sent.keys()].sort());
      for (const [path, content] of sent) assert.ok(received.get(path)!.equals(content), path);
    } finally {
      await rm(local, { recursive: true, force: true });
    }
  });

  test('kubectl attach to a running command: its stdout and stderr from then on; leaving does not stop it', async () => {
    const pid = sim.mainProcessPid('demo', 'logger-0', 'app');
    assert.ok(pid, 'logger-0 runs its command');
    const attach = kubectl.start(['attach', '-n', 'demo', 'logger-0']);
    const [, first] = await attach.waitFor('stdout', /^line (\d+)\n/m);
    await attach.waitFor('stdout', new RegExp(`^line ${Number(first) + 1}\\n`, 'm'));
    // Every fifth line goes to stderr too, and arrives on kubectl's stderr.
    await attach.waitFor('stderr', /^line \d*[05] \(stderr\)\n/m, 0, 10_000);
    await attach.stop();
    assert.doesNotMatch(attach.output().stdout, /\(stderr\)/);
    assert.equal(sim.mainProcessPid('demo', 'logger-0', 'app'), pid, 'the same process still runs');
  });

  test('kubectl attach -i to a debug container\'s stdin: each client sees what comes while it is attached; the log has it all', async () => {
    sim.addPod({ metadata: { name: 'attach-0', namespace: 'default' }, spec: { containers: [{ name: 'app', image: 'kubesim/bash' }] } });
    // -i without attaching: the container gets stdin (no TTY) and runs `cat` until stdin ends.
    const created = await kubectl.run(['debug', 'attach-0', '--image=busybox:1.37', '-c', 'cat', '-i', '--attach=false', '--profile=general', '--', 'cat']);
    assert.equal(created.code, 0, created.stderr);
    await kubectl.until(['get', 'pod', 'attach-0', '-o', 'jsonpath={.status.ephemeralContainerStatuses[0].state.running.startedAt}'], (r) => r.stdout !== '');

    const first = kubectl.start(['attach', '-i', 'attach-0', '-c', 'cat'], { stdin: true });
    first.child.stdin!.write('ping\n');
    await first.waitFor('stdout', /^ping\n/m);
    await first.stop();

    // The container keeps running (its stdin is not stdinOnce), and a new client gets only what
    // comes after it attached: attach replays nothing, as with containerd.
    const second = kubectl.start(['attach', '-i', 'attach-0', '-c', 'cat'], { stdin: true });
    second.child.stdin!.write('pong\n');
    await second.waitFor('stdout', /^pong\n/m);
    await second.stop();
    assert.equal(second.output().stdout, 'pong\n');

    const log = await kubectl.run(['logs', 'attach-0', '-c', 'cat']);
    assert.equal(log.code, 0, log.stderr);
    assert.equal(log.stdout, 'ping\npong\n');
  });

  test('kubectl logs -f --since: only lines newer than the cut, then new ones as they come', async () => {
    // logger-0 prints "line N" every second; wait until its first lines are old enough to cut.
    await kubectl.until(['logs', '-n', 'demo', 'logger-0'], (r) => /^line 4$/m.test(r.stdout));
    const asked = Date.now();
    const follow = kubectl.start(['logs', '-f', '--since=2s', '--timestamps', '-n', 'demo', 'logger-0']);
    const [, firstNumber] = await follow.waitFor('stdout', /^\S+ line (\d+)\n/m);
    const n = Number(firstNumber);
    await follow.waitFor('stdout', new RegExp(`^\\S+ line ${n + 2}\\n`, 'm'), 0, 10_000);
    await follow.stop();

    const lines = follow.output().stdout.trimEnd().split('\n').map((l) => /^(\S+) (.*)$/.exec(l)!);
    assert.doesNotMatch(follow.output().stdout, / line 1\n/, 'line 1 is older than two seconds');
    for (const [, time] of lines) {
      // The server's clock is this machine's; its cut was at least `asked - 2 s`.
      assert.ok(Date.parse(`${time!.slice(0, 23)}Z`) >= asked - 2000, `${time} is within --since`);
    }
    const numbers = lines.filter(([, , text]) => !text!.endsWith('(stderr)')).map(([, , text]) => Number(/^line (\d+)$/.exec(text!)![1]));
    assert.deepEqual(numbers, numbers.map((_, i) => n + i), 'every line from the cut on, none missing');

    const hour = await kubectl.run(['logs', '--since=1h', '-n', 'demo', 'logger-0']);
    assert.match(hour.stdout, /^line 1\n/, 'a cut before the first line keeps them all');
  });

  test('kubectl port-forward of two ports in one session: an HTTP server and the Node inspector', async () => {
    const pf = kubectl.start(['port-forward', '-n', 'demo', 'pod/node-0', ':8080', ':9229']);
    const [, http] = await pf.waitFor('stdout', /Forwarding from 127\.0\.0\.1:(\d+) -> 8080/);
    const [, inspector] = await pf.waitFor('stdout', /Forwarding from 127\.0\.0\.1:(\d+) -> 9229/);
    const [web, version] = await Promise.all([fetchLocal(Number(http), '/two'), fetchLocal(Number(inspector), '/json/version')]);
    assert.equal(web.status, 200);
    assert.equal(web.body, 'hello from node-0: GET /two\n');
    assert.equal(version.status, 200);
    assert.match((JSON.parse(version.body) as { Browser: string }).Browser, /^node\.js\/v\d+/);
    await pf.stop();
  });

  test('kubectl debug -i with a command that exits at once prints its output (issue 11, item 3)', async () => {
    // What the issue ran. The container is gone before the kubelet's relist sees it run, so kubectl
    // shows its log, which is exactly what the process wrote.
    for (let i = 0; i < 3; i++) {
      const r = await kubectl.run(['debug', 'busybox-0', '--image=busybox:1.37', '--target=main', '-i', '--', 'sh', '-c', 'echo debug-ok']);
      assert.equal(r.code, 0, r.stderr);
      const m = /^Targeting container "main"\. If you don't see processes from this container it may be because the container runtime doesn't support this feature\.\nDefaulting debug container name to (debugger-[a-z0-9]{5})\.\ndebug-ok\n$/.exec(r.stdout);
      assert.ok(m, `run ${i + 1}: ${JSON.stringify(r)}`);
      assert.doesNotMatch(r.stderr, /couldn't attach/);
      const log = await kubectl.run(['logs', 'busybox-0', '-c', m[1]!]);
      assert.equal(log.stdout, 'debug-ok\n', 'the log is the output, nothing of kubesim\'s');
      const state = await kubectl.run(['get', 'pod', 'busybox-0', '-o', `jsonpath={.status.ephemeralContainerStatuses[?(@.name=="${m[1]}")].state.terminated.reason}`]);
      assert.equal(state.stdout, 'Completed');
    }
  });

  test('kubectl debug -i with a command that waits for input: attached, stdin in, stdout and stderr out', async () => {
    const r = await kubectl.run(
      ['debug', 'busybox-0', '--image=busybox:1.37', '--profile=general', '-i', '--', 'sh', '-c', 'read x; echo "got $x"; echo "to stderr" >&2; exit 3'],
      'hello\n',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Defaulting debug container name to debugger-[a-z0-9]{5}\.\ngot hello\n$/);
    assert.match(r.stderr, /^If you don't see a command prompt, try pressing enter\.\nto stderr\n$/);
  });
});

describe('kubesim watches through kubectl, across a dropped connection and compacted history', { timeout: 60_000 }, () => {
  // Its own kubesim: dropping every connection must not cut another test's kubectl.
  let sim: Kubesim;
  let home: string;
  const children = new Set<ChildProcess>();
  const kubectl = kubectlFor(() => sim, () => home, children);

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'kubesim-kubectl-home-'));
    sim = await startKubesim();
  });
  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await sim.stop();
    await rm(home, { recursive: true, force: true });
  });

  test('kubectl get -w follows a pod; kubectl wait relists after 410 Gone and still sees the deletion', async () => {
    sim.addPod({ metadata: { name: 'relist-0', namespace: 'default' }, spec: { containers: [{ name: 'app', image: 'kubesim/bash' }] } });
    const watchOf = (name: string) => new RegExp(`GET \\S+/pods\\?allowWatchBookmarks=true&fieldSelector=metadata\\.name%3D${name}&resourceVersion=\\d+&timeoutSeconds=\\d+&watch=true 200 OK`);
    const wait = kubectl.start(['wait', '--for=delete', 'pod/relist-0', '--timeout=50s', '-v=6']);
    const getW = kubectl.start(['get', 'pods', '-w', '-v=6']);
    await wait.waitFor('stderr', watchOf('relist-0'));
    await getW.waitFor('stderr', /GET \S+\/namespaces\/default\/pods\?resourceVersion=\d+&watch=true 200 OK/);
    assert.match(getW.output().stdout, /^relist-0\s+1\/1\s+Running\s+0\s/m);

    // A change while both watch: kubectl get -w prints the pod's new row.
    sim.updatePod('default', 'relist-0', (p) => {
      p.status.containerStatuses![0]!.ready = false;
    });
    await getW.waitFor('stdout', /^relist-0\s+0\/1\s+Running\s+0\s/m);

    // History compacted past both watches, then every connection cut (an API server restart).
    sim.faults.expireWatchHistory();
    sim.faults.dropConnections();

    // kubectl get -w watches once (UntilWithoutRetry) and ends when its watch does, as it would
    // against a real API server.
    assert.equal(await getW.exited, 0);

    // kubectl wait's informer re-watches from its last resourceVersion, gets 410 Gone as an
    // ERROR event, lists again and watches from the new list.
    const tooOld = await wait.waitFor('stderr', /too old resource version: \d+ \(\d+\)/);
    const from = tooOld.index! + wait.output().stderr.slice(tooOld.index!).indexOf('\n');
    await wait.waitFor('stderr', /GET \S+\/pods\?fieldSelector=metadata\.name%3Drelist-0(&limit=\d+)?&resourceVersion=\d+ 200 OK/, from);
    await wait.waitFor('stderr', watchOf('relist-0'), from);

    sim.deletePod('default', 'relist-0');
    assert.equal(await wait.exited, 0, wait.output().stderr);
    assert.equal(wait.output().stdout, 'pod/relist-0 condition met\n');
  });
});
