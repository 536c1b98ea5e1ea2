// Debug containers end to end on kubesim: the engine adds an ephemeral container, waits for it
// to run, attaches a terminal to it and, through /proc/1/root, reads the files of a container
// that has no shell at all; and every way it can be refused or fail to start.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { ClusterClient } from '../../src/kube/cluster.ts';
import {
  addDebugContainer, attachContainer, DebugContainerError, startDebugContainer, waitForDebugContainer, type DebugProgress,
} from '../../src/kube/debugContainer.ts';
import { startKubesim, type Kubesim } from '../kubesim/index.ts';

const T = { timeout: 30_000 };

let sim: Kubesim;
const clients: ClusterClient[] = [];
const configs = new Map<string, KubeConfig>();

function kubeConfig(context = 'kubesim'): KubeConfig {
  let kc = configs.get(context);
  if (!kc) {
    kc = new KubeConfig();
    kc.loadFromFile(sim.kubeconfigPath);
    kc.setCurrentContext(context);
    configs.set(context, kc);
  }
  return kc;
}

function client(context = 'kubesim'): ClusterClient {
  const c = new ClusterClient(kubeConfig(context));
  clients.push(c);
  return c;
}

/** Collects a stream's text; `until` waits for a pattern in it. */
function reader(stream: Readable) {
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString('utf8')));
  return {
    text: () => text,
    until(pattern: RegExp, ms = 10_000): Promise<string> {
      const deadline = Date.now() + ms;
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(text)) resolve(text);
          else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${pattern} in ${JSON.stringify(text)}`));
          else setTimeout(check, 20);
        };
        check();
      });
    },
  };
}

async function rejectsWith(promise: Promise<unknown>, failure: string, message?: RegExp): Promise<DebugContainerError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof DebugContainerError, `expected a DebugContainerError, got ${String(err)}`);
    assert.equal(err.failure, failure, err.message);
    if (message) assert.match(err.message, message);
    return err;
  }
  assert.fail(`expected a ${failure} failure`);
}

before(async () => {
  sim = await startKubesim();
});

after(async () => {
  for (const c of clients) c.dispose();
  await sim.stop();
});

describe('a debug container in a distroless pod', () => {
  test('starts, is attached, and sees the target container\'s files at /proc/1/root', T, async () => {
    // A file only the distroless container has: kubesim keeps each container's root here.
    const root = join(sim.dir, 'containers', 'default', 'distroless-0', 'app');
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'app.conf'), 'listen=8080\n');
    const c = client();
    const progress: DebugProgress[] = [];
    const { name, status } = await startDebugContainer(c, { namespace: 'default', pod: 'distroless-0', image: 'busybox:1.36', targetContainer: 'app' }, {
      onProgress: (p) => progress.push(p),
      timeoutMs: 15_000,
    });
    assert.match(name, /^debugger-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.ok(status.state?.running, 'resolves once Running');
    assert.deepEqual(progress[0], { stage: 'adding' });
    assert.ok(progress.some((p) => p.stage === 'waiting' && p.reason === 'ContainerCreating'), JSON.stringify(progress));

    const pod = await c.getPod('default', 'distroless-0');
    const spec = pod.spec?.ephemeralContainers?.find((e) => e.name === name);
    assert.equal(spec?.targetContainerName, 'app');
    assert.equal(spec?.image, 'busybox:1.36');
    assert.equal(spec?.tty, true);
    assert.equal(spec?.stdin, true);

    const session = attachContainer(kubeConfig(), { namespace: 'default', pod: 'distroless-0', container: name, size: { columns: 100, rows: 30 } });
    const out = reader(session.stdout);
    assert.equal(await session.protocol, 'v5.channel.k8s.io');
    // The prompt was printed before we attached; Enter brings a fresh one.
    session.stdin.write('\r');
    await out.until(/# $/);
    session.stdin.write('ls /proc/1/root/; cat /proc/1/root/app.conf; cat /proc/1/cmdline | tr -d "\\0"; echo; stty size; echo $((6*7))\r');
    const text = await out.until(/^42\r?$/m);
    assert.match(text, /^app\.conf\s+bin\s+tmp\s+usr\r?$/m, 'the target container\'s root directory');
    assert.match(text, /^listen=8080\r?$/m);
    assert.match(text, /^sleep infinity\r?$/m, 'PID 1 is the target\'s main process');
    assert.match(text, /^30 100\r?$/m, 'the initial size reached the PTY');

    // Detaching leaves the container running; attaching again finds the same shell.
    session.stdin.write('MARK=kept-$$\r');
    await new Promise((r) => setTimeout(r, 200));
    session.close();
    assert.deepEqual(await session.result, { kind: 'error', message: 'The session was closed before the command reported its exit status.', reason: 'Closed' });
    const again = attachContainer(kubeConfig(), { namespace: 'default', pod: 'distroless-0', container: name });
    const out2 = reader(again.stdout);
    again.stdin.write('echo "$MARK"\r');
    await out2.until(/^kept-\d+\r?$/m);
    // The shell exiting ends the container: the attach ends with Success, the status says how.
    again.stdin.write('exit 3\r');
    assert.deepEqual(await again.result, { kind: 'exit', code: 0 });
    await waitUntil(async () => (await c.getPod('default', 'distroless-0')).status?.ephemeralContainerStatuses?.find((s) => s.name === name)?.state?.terminated !== undefined);
    const done = (await c.getPod('default', 'distroless-0')).status!.ephemeralContainerStatuses!.find((s) => s.name === name)!;
    assert.equal(done.state!.terminated!.exitCode, 3);
    assert.equal(done.state!.terminated!.reason, 'Error');

    // A terminated container cannot be attached to: the kubelet no longer finds it.
    const late = attachContainer(kubeConfig(), { namespace: 'default', pod: 'distroless-0', container: name });
    const result = await late.result;
    assert.equal(result.kind, 'error');
    assert.match((result as { message: string }).message, new RegExp(`unable to upgrade connection: container ${name} not found in pod distroless-0_default`));
  });

  test('without a target it has a process namespace of its own', T, async () => {
    const c = client();
    const { name } = await startDebugContainer(c, { namespace: 'default', pod: 'web-0', image: 'docker.io/library/busybox:latest' }, { timeoutMs: 15_000 });
    const session = attachContainer(kubeConfig(), { namespace: 'default', pod: 'web-0', container: name });
    const out = reader(session.stdout);
    session.stdin.write('echo "pid=$$"; exit\r');
    await out.until(/\bpid=1\r?$/m);
    assert.deepEqual(await session.result, { kind: 'exit', code: 0 });
  });
});

describe('when the debug container cannot start', () => {
  test('an image kubesim cannot pull fails with ErrImagePull and the registry\'s words', T, async () => {
    const started = Date.now();
    const err = await rejectsWith(
      startDebugContainer(client(), { namespace: 'default', pod: 'busybox-0', image: 'no-such-image:1.0' }, { timeoutMs: 15_000 }),
      'StartFailed',
      /did not start: ErrImagePull: Failed to pull image "no-such-image:1\.0": .*not found/,
    );
    assert.equal(err.reason, 'ErrImagePull');
    assert.ok(Date.now() - started < 10_000, 'reported as soon as the kubelet says so, not at the timeout');
  });

  test('a container that never starts times out with its last state', T, async () => {
    // pending-0 is not running: the kubelet never gets to start anything in it.
    await rejectsWith(
      startDebugContainer(client(), { namespace: 'default', pod: 'pending-0', image: 'busybox:1.36' }, { timeoutMs: 1500 }),
      'Timeout',
      /did not start within 2 s; it is waiting \(ContainerCreating\)/,
    );
  });

  test('a command that is not in the image ends in StartError', T, async () => {
    await rejectsWith(
      startDebugContainer(client(), { namespace: 'default', pod: 'busybox-0', image: 'busybox:1.36', command: ['bash'] }, { timeoutMs: 15_000 }),
      'StartFailed',
      /StartError, exit code 128: .*exec: "bash": executable file not found in \$PATH/,
    );
  });

  test('aborting stops the wait', T, async () => {
    const c = client();
    const { name } = await addDebugContainer(c, { namespace: 'default', pod: 'pending-0', image: 'busybox:1.36' });
    const controller = new AbortController();
    const waiting = waitForDebugContainer(c, { namespace: 'default', pod: 'pending-0' }, name, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('cancelled by the user')), 100);
    await assert.rejects(waiting, /cancelled by the user/);
  });

  test('a pod deleted meanwhile is reported as gone', T, async () => {
    sim.addPod({ metadata: { name: 'short-lived', namespace: 'default' }, spec: { containers: [{ name: 'app', image: 'kubesim/distroless' }] } });
    const c = client();
    const { name } = await addDebugContainer(c, { namespace: 'default', pod: 'short-lived', image: 'no-such-image' });
    const waiting = waitForDebugContainer(c, { namespace: 'default', pod: 'short-lived' }, name, { timeoutMs: 10_000 });
    sim.deletePod('default', 'short-lived');
    await rejectsWith(waiting, 'PodGone', /pod default\/short-lived was deleted/);
  });
});

describe('what the API server refuses', () => {
  test('a user without patch on pods/ephemeralcontainers gets the 403 as the API server words it', T, async () => {
    await rejectsWith(
      addDebugContainer(client('kubesim-forbidden'), { namespace: 'default', pod: 'distroless-0', image: 'busybox:1.36' }),
      'Forbidden',
      /^Not allowed to add a debug container to pod default\/distroless-0\. Forbidden: pods "distroless-0" is forbidden: User "dev" cannot patch resource "pods\/ephemeralcontainers" in API group "" in the namespace "default"\. /,
    );
  });

  test('a target that is not a container of the pod', T, async () => {
    await rejectsWith(
      addDebugContainer(client(), { namespace: 'default', pod: 'distroless-0', image: 'busybox:1.36', targetContainer: 'nope', name: 'dbg-target' }),
      'Invalid',
      /Pod "distroless-0" is invalid: spec\.ephemeralContainers\[\d+\]\.targetContainerName: Not found: "nope"/,
    );
  });

  test('a name that clashes with a container', T, async () => {
    await rejectsWith(
      addDebugContainer(client(), { namespace: 'default', pod: 'multi-0', image: 'busybox:1.36', name: 'init' }),
      'Invalid',
      /spec\.ephemeralContainers\[0\]\.name: Duplicate value: "init"/,
    );
  });

  test('the feature switched off: 404 without a name', T, async () => {
    sim.faults.ephemeralContainersDisabled = true;
    try {
      await rejectsWith(
        addDebugContainer(client(), { namespace: 'default', pod: 'distroless-0', image: 'busybox:1.36' }),
        'Disabled',
        /switched off on this cluster.*the server could not find the requested resource/,
      );
    } finally {
      sim.faults.ephemeralContainersDisabled = false;
    }
  });

  test('a pod that does not exist, and one that has finished', T, async () => {
    await rejectsWith(addDebugContainer(client(), { namespace: 'default', pod: 'no-such-pod', image: 'busybox:1.36' }), 'PodGone', /pods "no-such-pod" not found/);
    await rejectsWith(addDebugContainer(client(), { namespace: 'default', pod: 'done-0', image: 'busybox:1.36' }), 'PodNotRunning', /phase Succeeded/);
  });
});

async function waitUntil(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
