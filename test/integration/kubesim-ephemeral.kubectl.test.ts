// kubesim's ephemeral containers and attach, proven by the real kubectl (v1.32): `kubectl debug`
// adds a container through pods/{pod}/ephemeralcontainers, waits on a watch for it to run and
// attaches over a v5 WebSocket; `kubectl get -o json` shows its spec and status; refusals reach
// kubectl with the API server's words. Every call gets KUBECONFIG and HOME explicitly.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as pty from 'node-pty';
import { startKubesim, type Kubesim } from '../kubesim/index.ts';
import { KUBECTL, kubectlEnv, runKubectl, type KubectlResult } from '../support/kubectl.ts';

const T = { timeout: 60_000 };

type Result = KubectlResult;

interface ContainerStatus {
  name: string;
  image: string;
  state: Record<string, Record<string, unknown>>;
}

describe('ephemeral containers through kubectl', () => {
  let sim: Kubesim;
  let home: string;

  const env = () => kubectlEnv(sim.kubeconfigPath, home);
  const kubectl = (args: string[], timeoutMs?: number): Promise<Result> => runKubectl(args, env(), timeoutMs);

  /** kubectl on a terminal, as a person would run it. */
  function terminal(args: string[]) {
    const term = pty.spawn(KUBECTL, args, { name: 'xterm', cols: 100, rows: 30, env: env() });
    let out = '';
    term.onData((d) => (out += d));
    const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
    return {
      term,
      exited,
      output: () => out,
      waitFor(re: RegExp, ms = 20_000): Promise<RegExpExecArray> {
        const deadline = Date.now() + ms;
        return new Promise((resolve, reject) => {
          const check = () => {
            const m = re.exec(out);
            if (m) resolve(m);
            else if (Date.now() > deadline) reject(new Error(`terminal showed: ${JSON.stringify(out)}`));
            else setTimeout(check, 25);
          };
          check();
        });
      },
      kill() {
        try {
          term.kill();
        } catch {
          // already exited
        }
      },
    };
  }

  async function ephemeralStatus(pod: string, name: string): Promise<ContainerStatus | undefined> {
    const r = await kubectl(['get', 'pod', pod, '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout) as { status: { ephemeralContainerStatuses?: ContainerStatus[] } };
    return json.status.ephemeralContainerStatuses?.find((s) => s.name === name);
  }

  async function until<T>(what: string, get: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = await get();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'kubesim-kubectl-home-'));
    sim = await startKubesim();
  });
  after(async () => {
    await sim.stop();
    await rm(home, { recursive: true, force: true });
  });

  test('kubectl debug -it --target: a shell that sees the distroless container\'s files and processes', T, async () => {
    const root = join(sim.dir, 'containers', 'default', 'distroless-0', 'app');
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'config.yaml'), 'answer: 42\n');
    const t = terminal(['debug', '-it', 'distroless-0', '--image=busybox:1.36', '--target=app', '--profile=general']);
    try {
      const [, name] = await t.waitFor(/Defaulting debug container name to (debugger-[a-z0-9]{5})\./);
      await t.waitFor(/If you don't see a command prompt, try pressing enter\./);
      t.term.write('\r');
      await t.waitFor(/# $/);
      t.term.write('ls /proc/1/root/; cat /proc/1/root/config.yaml; ps -e -o pid,args | head -3; echo $((6*7))\r');
      await t.waitFor(/^42\r$/m);
      assert.match(t.output(), /^bin\s+config\.yaml\s+tmp\s+usr\r$/m);
      assert.match(t.output(), /^answer: 42\r$/m);
      assert.match(t.output(), /^\s+1 sleep infinity\r$/m, 'the target\'s main process is PID 1 of the shared namespace');

      // While it runs, kubectl get shows the container and its Running state.
      const running = await ephemeralStatus('distroless-0', name!);
      assert.ok(running?.state['running'], JSON.stringify(running));
      assert.equal(running.image, 'docker.io/library/busybox:1.36');
      const r = await kubectl(['get', 'pod', 'distroless-0', '-o', 'json']);
      const spec = (JSON.parse(r.stdout) as { spec: { ephemeralContainers: Array<Record<string, unknown>> } }).spec.ephemeralContainers.find((c) => c['name'] === name)!;
      assert.deepEqual(
        { ...spec },
        {
          name, image: 'busybox:1.36', imagePullPolicy: 'IfNotPresent', resources: {}, securityContext: { capabilities: { add: ['SYS_PTRACE'] } },
          stdin: true, targetContainerName: 'app', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', tty: true,
        },
      );

      t.term.write('exit 7\r');
      assert.equal(await t.exited, 0);
      assert.match(t.output(), new RegExp(`Session ended, the ephemeral container will not be restarted but may be reattached using 'kubectl attach distroless-0 -c ${name} -i -t' if it is still running`));
      const ended = await until('the container to terminate', async () => {
        const s = await ephemeralStatus('distroless-0', name!);
        return s?.state['terminated'] ? s : undefined;
      });
      assert.equal(ended.state['terminated']!['exitCode'], 7);
      assert.equal(ended.state['terminated']!['reason'], 'Error');
      // The pod itself is untouched.
      const pods = await kubectl(['get', 'pod', 'distroless-0']);
      assert.match(pods.stdout, /^distroless-0\s+1\/1\s+Running\s+0\s/m);
    } finally {
      t.kill();
    }
  });

  test('kubectl attach finds a debug container that was left running', T, async () => {
    const first = terminal(['debug', '-it', 'web-0', '--image=busybox', '-c', 'dbg-attach', '--profile=general']);
    try {
      await first.waitFor(/try pressing enter/);
      first.term.write('export WHO=first\r');
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      // kubectl goes away; the container's shell does not.
      first.kill();
    }
    await first.exited;
    const second = terminal(['attach', '-it', 'web-0', '-c', 'dbg-attach']);
    try {
      await second.waitFor(/try pressing enter/);
      second.term.write('echo "still $WHO"\r');
      await second.waitFor(/^still first\r$/m);
      second.term.write('exit\r');
      assert.equal(await second.exited, 0);
    } finally {
      second.kill();
    }
    const status = await until('the container to terminate', async () => {
      const s = await ephemeralStatus('web-0', 'dbg-attach');
      return s?.state['terminated'] ? s : undefined;
    });
    assert.equal(status.state['terminated']!['reason'], 'Completed');
  });

  test('an image that cannot be pulled shows ErrImagePull, then ImagePullBackOff', T, async () => {
    const r = await kubectl(['debug', 'busybox-0', '--image=example.com/no-such-image:1.0', '-c', 'dbg-pull', '--profile=general', '--', 'true']);
    assert.equal(r.code, 0, r.stderr);
    const backoff = await until('ImagePullBackOff', async () => {
      const s = await ephemeralStatus('busybox-0', 'dbg-pull');
      return s?.state['waiting']?.['reason'] === 'ImagePullBackOff' ? s : undefined;
    });
    assert.match(String(backoff.state['waiting']!['message']), /^Back-off pulling image "example\.com\/no-such-image:1\.0": ErrImagePull: Failed to pull image "example\.com\/no-such-image:1\.0": rpc error: code = NotFound desc = failed to pull and unpack image "example\.com\/no-such-image:1\.0"/);
  });

  test('refusals reach kubectl in the API server\'s words', T, async () => {
    const forbidden = await kubectl(['--context', 'kubesim-forbidden', 'debug', 'web-0', '--image=busybox', '-c', 'nope', '--profile=general', '--', 'true']);
    assert.equal(forbidden.code, 1);
    assert.equal(forbidden.stderr, 'Error from server (Forbidden): pods "web-0" is forbidden: User "dev" cannot patch resource "pods/ephemeralcontainers" in API group "" in the namespace "default"\n');

    const patch = JSON.stringify({ spec: { ephemeralContainers: [{ name: 'with-ports', image: 'busybox', ports: [{ containerPort: 8080 }] }] } });
    const ports = await kubectl(['patch', 'pod', 'web-0', '--subresource=ephemeralcontainers', '--type=strategic', '-p', patch]);
    assert.equal(ports.code, 1);
    assert.equal(ports.stderr, 'The Pod "web-0" is invalid: spec.ephemeralContainers[1].ports: Forbidden: cannot be set for an Ephemeral Container\n');

    const target = await kubectl(['debug', 'web-0', '--image=busybox', '--target=missing', '-c', 'dbg-missing', '--profile=general', '--', 'true']);
    assert.equal(target.code, 1);
    assert.match(target.stderr, /The Pod "web-0" is invalid: spec\.ephemeralContainers\[\d\]\.targetContainerName: Not found: "missing"\n$/);

    sim.faults.ephemeralContainersDisabled = true;
    try {
      const off = await kubectl(['debug', 'web-0', '--image=busybox', '-c', 'dbg-off', '--profile=general', '--', 'true']);
      assert.equal(off.code, 1);
      assert.equal(off.stderr, 'error: ephemeral containers are disabled for this cluster (error from server: "the server could not find the requested resource")\n');
    } finally {
      sim.faults.ephemeralContainersDisabled = false;
    }
  });
});
