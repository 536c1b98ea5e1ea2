// openShell against kubesim's images: bash, busybox (sh only), distroless (no shell), Windows.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeConfig } from '@kubernetes/client-node';
import { startKubesim, type Kubesim } from '../kubesim/index.ts';
import { NoShellError, ShellOpenError, clearShellCache, openShell, openShellWith } from '../../src/kube/exec/shell.ts';
import { ExecSession, type ExecOptions } from '../../src/kube/exec/session.ts';

const T = { timeout: 20_000 };
let sim: Kubesim;

function kubeConfig(context = 'kubesim'): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(sim.kubeconfigPath);
  kc.setCurrentContext(context);
  return kc;
}

/** Types a command into the shell and returns everything it printed until `marker` showed up. */
async function type(session: ExecSession, line: string, marker: RegExp): Promise<string> {
  let text = '';
  const onData = (c: Buffer) => (text += c.toString('utf8'));
  session.stdout.on('data', onData);
  session.stdin.write(line);
  const deadline = Date.now() + 5000;
  while (!marker.test(text) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  session.stdout.off('data', onData);
  assert.match(text, marker);
  return text;
}

async function endShell(session: ExecSession): Promise<void> {
  session.stdout.resume();
  session.close();
  await session.result;
}

before(async () => {
  sim = await startKubesim();
});

after(async () => {
  await sim.stop();
});

test('web-0: bash, interactive, sized, in one exec', T, async () => {
  clearShellCache();
  const { session, shell } = await openShell(kubeConfig(), { namespace: 'default', pod: 'web-0', container: 'app' }, { size: { columns: 100, rows: 30 } });
  assert.equal(shell, 'bash');
  try {
    await type(session, 'echo "shell=${BASH_VERSION:+bash}"; stty size\n', /shell=bash\r\n30 100\r\n/);
  } finally {
    await endShell(session);
  }
});

test('busybox-0: bash and ash are missing, sh is found and remembered', T, async () => {
  clearShellCache();
  const kc = kubeConfig();
  const target = { namespace: 'default', pod: 'busybox-0', container: 'main' };
  const commands: string[] = [];
  const start = (options: ExecOptions) => {
    commands.push(options.command.join(' '));
    return ExecSession.start(kc, options);
  };
  const first = await openShellWith(start, 'busybox-0', target);
  assert.equal(first.shell, 'sh');
  assert.deepEqual(commands, ['bash', 'ash', 'sh']);
  await type(first.session, 'echo hi-$((40+2))\n', /hi-42/);
  await endShell(first.session);
  commands.length = 0;
  const second = await openShellWith(start, 'busybox-0', target);
  assert.equal(second.shell, 'sh');
  assert.deepEqual(commands, ['sh'], 'straight to the shell found before');
  await endShell(second.session);
});

test('distroless-0: NoShellError naming the container and the shells tried', T, async () => {
  clearShellCache();
  await assert.rejects(openShell(kubeConfig(), { namespace: 'default', pod: 'distroless-0', container: 'app' }), (err: unknown) => {
    assert.ok(err instanceof NoShellError);
    assert.deepEqual(err.shells, ['bash', 'ash', 'sh']);
    assert.match(err.message, /^No shell found in container "app" of pod default\/distroless-0: tried bash, ash, sh\./);
    return true;
  });
  assert.deepEqual(sim.execProcesses(), []);
});

test('win-0 on a Windows node: powershell.exe', T, async () => {
  clearShellCache();
  const { session, shell } = await openShell(kubeConfig(), { namespace: 'default', pod: 'win-0', container: 'app' }, { nodeOS: 'windows' });
  assert.equal(shell, 'powershell.exe');
  await type(session, 'echo ok-$((1+1))\n', /ok-2/);
  await endShell(session);
});

test('forbidden, missing pod: ShellOpenError with the API message, no search', T, async () => {
  clearShellCache();
  await assert.rejects(openShell(kubeConfig('kubesim-forbidden'), { namespace: 'default', pod: 'web-0', container: 'app' }), (err: unknown) => {
    assert.ok(err instanceof ShellOpenError);
    assert.equal(err.message, 'pods "web-0" is forbidden: User "dev" cannot create resource "pods/exec" in API group "" in the namespace "default"');
    assert.equal(err.result.kind === 'error' && err.result.httpStatus, 403);
    return true;
  });
  await assert.rejects(openShell(kubeConfig(), { namespace: 'default', pod: 'gone-0' }), /pods "gone-0" not found/);
});

test('closing the shell leaves no process in the container', T, async () => {
  clearShellCache();
  const { session } = await openShell(kubeConfig(), { namespace: 'default', pod: 'web-0', container: 'app' });
  // Bash announces the job ("[1] 1234") once it is one of its jobs; a prompt alone could be the
  // first one, printed before the line was even read, and a hangup then could race the fork.
  await type(session, 'sleep 30 &\n', /\[1\] \d+/);
  session.stdout.resume();
  session.close();
  await session.result;
  const deadline = Date.now() + 3000;
  while (sim.execProcesses().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  assert.deepEqual(sim.execProcesses(), []);
});
