import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable, Writable } from 'node:stream';
import type { ExecOptions, ExecResult, ExecSessionLike, TerminalSize } from '../../src/kube/exec/session.ts';
import {
  DEFAULT_SHELLS,
  NoShellError,
  ShellOpenError,
  WINDOWS_SHELLS,
  clearShellCache,
  isMissingShell,
  openShellWith,
  shellCandidates,
} from '../../src/kube/exec/shell.ts';

const notFound = (shell: string): ExecResult => ({
  kind: 'error',
  message: `Internal error occurred: error executing command in container: exec: "${shell}": executable file not found in $PATH`,
  httpStatus: 500,
  reason: 'InternalError',
});

type Behaviour = { output: string } | { result: ExecResult } | { quiet: true };

class FakeSession implements ExecSessionLike {
  readonly stdout = new PassThrough();
  readonly stderr = Readable.from([]);
  readonly stdin = new Writable({ write: (_c, _e, cb) => cb() });
  readonly result: Promise<ExecResult>;
  readonly firstOutput: Promise<boolean>;
  readonly options: ExecOptions;
  closed = false;
  private settle!: (r: ExecResult) => void;

  constructor(options: ExecOptions, behaviour: Behaviour) {
    this.options = options;
    this.result = new Promise((r) => (this.settle = r));
    if ('output' in behaviour) {
      this.firstOutput = Promise.resolve(true);
      this.stdout.write(behaviour.output);
    } else if ('result' in behaviour) {
      this.firstOutput = Promise.resolve(false);
      this.settle(behaviour.result);
    } else {
      this.firstOutput = new Promise(() => {});
    }
  }
  resize(_size: TerminalSize): void {}
  close(): void {
    this.closed = true;
    this.settle({ kind: 'exit', code: 0 });
  }
}

/** A factory whose containers have the given shells; records every exec it was asked for. */
function cluster(behaviours: Record<string, Behaviour>) {
  const started: FakeSession[] = [];
  const start = (options: ExecOptions): FakeSession => {
    const shell = options.command[0];
    const session = new FakeSession(options, behaviours[shell] ?? { result: notFound(shell) });
    started.push(session);
    return session;
  };
  return { start, started, commands: () => started.map((s) => s.options.command.join(' ')) };
}

const target = { namespace: 'default', pod: 'web-0', container: 'app' };

test('bash present: one exec, a TTY with stdin, the size and keepalive passed through', async () => {
  clearShellCache();
  const c = cluster({ bash: { output: 'root@web-0:/# ' } });
  const size = { columns: 100, rows: 30 };
  const { session, shell } = await openShellWith(c.start, 'k1', target, { size, keepaliveIntervalMs: 1000, keepaliveTimeoutMs: 4000 });
  assert.equal(shell, 'bash');
  assert.deepEqual(c.commands(), ['bash']);
  assert.deepEqual(session.options, {
    ...target,
    command: ['bash'],
    stdin: true,
    tty: true,
    size,
    keepaliveIntervalMs: 1000,
    keepaliveTimeoutMs: 4000,
  });
  // The first prompt byte is still there for the terminal to read.
  assert.equal(session.stdout.read()?.toString(), 'root@web-0:/# ');
});

test('busybox: bash and ash missing, sh found; the next open goes straight to sh', async () => {
  clearShellCache();
  const c = cluster({ sh: { output: '/ # ' } });
  assert.equal((await openShellWith(c.start, 'busybox', target)).shell, 'sh');
  assert.deepEqual(c.commands(), ['bash', 'ash', 'sh']);
  const again = cluster({ sh: { output: '/ # ' } });
  assert.equal((await openShellWith(again.start, 'busybox', target)).shell, 'sh');
  assert.deepEqual(again.commands(), ['sh']);
  // The cache is per key (context/namespace/pod/container).
  const other = cluster({ sh: { output: '/ # ' } });
  await openShellWith(other.start, 'another-pod', target);
  assert.deepEqual(other.commands(), ['bash', 'ash', 'sh']);
});

test('a remembered shell that disappeared is dropped and the list is tried again', async () => {
  clearShellCache();
  await openShellWith(cluster({ sh: { output: '$ ' } }).start, 'changed', target);
  const c = cluster({ bash: { output: '# ' } });
  assert.equal((await openShellWith(c.start, 'changed', target)).shell, 'bash');
  assert.deepEqual(c.commands(), ['sh', 'bash']);
  const next = cluster({ bash: { output: '# ' } });
  await openShellWith(next.start, 'changed', target);
  assert.deepEqual(next.commands(), ['bash']);
});

test('no shell at all: NoShellError naming the container and every shell tried', async () => {
  clearShellCache();
  const c = cluster({});
  await assert.rejects(openShellWith(c.start, 'distroless', { ...target, pod: 'distroless-0' }), (err: unknown) => {
    assert.ok(err instanceof NoShellError);
    assert.deepEqual(err.shells, ['bash', 'ash', 'sh']);
    assert.match(err.message, /container "app" of pod default\/distroless-0/);
    assert.match(err.message, /bash, ash, sh/);
    return true;
  });
  assert.deepEqual(c.commands(), ['bash', 'ash', 'sh']);
});

test('other failures stop the search and carry the API message', async () => {
  clearShellCache();
  const forbidden: ExecResult = {
    kind: 'error',
    message: 'pods "web-0" is forbidden: User "dev" cannot create resource "pods/exec" in API group "" in the namespace "default"',
    httpStatus: 403,
    reason: 'Forbidden',
  };
  const c = cluster({ bash: { result: forbidden } });
  await assert.rejects(openShellWith(c.start, 'forbidden', target), (err: unknown) => {
    assert.ok(err instanceof ShellOpenError);
    assert.equal(err.message, forbidden.message);
    assert.deepEqual(err.result, forbidden);
    return true;
  });
  assert.deepEqual(c.commands(), ['bash']);

  const lost = cluster({ bash: { result: { kind: 'connectionLost', message: 'gone' } } });
  await assert.rejects(openShellWith(lost.start, 'lost', target), ShellOpenError);
});

test('a shell that stays quiet is taken as started after quietStartMs', async () => {
  clearShellCache();
  const c = cluster({ bash: { quiet: true } });
  const t0 = Date.now();
  const { shell } = await openShellWith(c.start, 'quiet', target, { quietStartMs: 50 });
  assert.equal(shell, 'bash');
  assert.ok(Date.now() - t0 >= 45);
});

test('a shell that exits at once without output is returned, not skipped', async () => {
  clearShellCache();
  const c = cluster({ bash: { result: { kind: 'exit', code: 0 } } });
  const { shell, session } = await openShellWith(c.start, 'exits', target);
  assert.equal(shell, 'bash');
  assert.deepEqual(await session.result, { kind: 'exit', code: 0 });
});

test('candidates: settings, defaults, Windows nodes', () => {
  assert.deepEqual(shellCandidates({}), DEFAULT_SHELLS);
  assert.deepEqual(shellCandidates({ shells: [] }), DEFAULT_SHELLS);
  assert.deepEqual(shellCandidates({ shells: ['zsh', ' ', 'sh'] }), ['zsh', 'sh']);
  assert.deepEqual(shellCandidates({ nodeOS: 'windows' }), ['powershell.exe', 'cmd.exe']);
  assert.deepEqual(shellCandidates({ nodeOS: 'windows', shells: [] }), WINDOWS_SHELLS);
  assert.deepEqual(shellCandidates({ nodeOS: 'windows', shells: ['pwsh.exe'] }), ['pwsh.exe']);
  assert.deepEqual(shellCandidates({ nodeOS: 'linux' }), DEFAULT_SHELLS);
});

test('windows pod: powershell.exe first', async () => {
  clearShellCache();
  const c = cluster({ 'powershell.exe': { output: 'PS C:\\> ' } });
  assert.equal((await openShellWith(c.start, 'win', target, { nodeOS: 'windows' })).shell, 'powershell.exe');
  assert.deepEqual(c.commands(), ['powershell.exe']);
});

test('what counts as a missing shell', () => {
  assert.ok(isMissingShell(notFound('bash')));
  assert.ok(isMissingShell({ kind: 'error', message: 'exec: "/bin/bash": stat /bin/bash: no such file or directory' }));
  assert.ok(isMissingShell({ kind: 'error', message: 'container_linux.go: The system cannot find the file specified.' }));
  assert.ok(isMissingShell({ kind: 'exit', code: 127 }));
  assert.ok(!isMissingShell({ kind: 'exit', code: 1 }));
  assert.ok(!isMissingShell({ kind: 'error', message: 'pods "x" not found', httpStatus: 404 }));
  assert.ok(!isMissingShell({ kind: 'connectionLost', message: 'executable file not found' }));
});
