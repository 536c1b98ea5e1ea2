// ExecSession against kubesim, on every subprotocol the API server or kubelet speaks.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { KubeConfig } from '@kubernetes/client-node';
import { startKubesim, type Kubesim } from '../kubesim/index.ts';
import { ExecSession, type ExecOptions, type ExecResult } from '../../src/kube/exec/session.ts';

/** Every test ends well within this; a hang fails the test instead of the whole run. */
const T = { timeout: 20_000 };

let sim: Kubesim;
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

function start(options: Partial<ExecOptions> & { command: string[] }, context?: string): ExecSession {
  return ExecSession.start(kubeConfig(context), { namespace: 'default', pod: 'web-0', ...options });
}

function collect(stream: Readable): () => string {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return () => Buffer.concat(chunks).toString('utf8');
}

/** Runs to the end; returns the outcome and both outputs. */
async function run(options: Partial<ExecOptions> & { command: string[] }, context?: string) {
  const session = start(options, context);
  const out = collect(session.stdout);
  const err = collect(session.stderr);
  const result = await session.result;
  return { result, stdout: out(), stderr: err(), session };
}

/** Resolves once `stream` has produced text matching `pattern` (or rejects after `ms`). */
function waitFor(stream: Readable, pattern: RegExp, ms = 5000): Promise<string> {
  let seen = outputs.get(stream);
  if (!seen) {
    seen = collect(stream);
    outputs.set(stream, seen);
  }
  const text = seen;
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + ms;
    const check = () => {
      if (pattern.test(text())) resolve(text());
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${pattern} in ${JSON.stringify(text())}`));
      else setTimeout(check, 10);
    };
    check();
  });
}
const outputs = new WeakMap<Readable, () => string>();

async function noExecProcessesLeft(ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (sim.execProcesses().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  assert.deepEqual(sim.execProcesses(), []);
}

before(async () => {
  sim = await startKubesim();
});

after(async () => {
  await sim.stop();
});

const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'channel.k8s.io', 'base64.channel.k8s.io', 'v4.base64.channel.k8s.io'];

for (const protocol of PROTOCOLS) {
  const v5 = protocol === 'v5.channel.k8s.io';
  describe(`over ${protocol}`, { concurrency: 1 }, () => {
    const protocols = [protocol];

    test('stdout and stderr apart, exit codes 0, 1, 3 and 127', T, async () => {
      for (const code of [0, 1, 3]) {
        const r = await run({ command: ['sh', '-c', `printf 'out %s' ${code}; printf 'err\\n' >&2; exit ${code}`], protocols });
        assert.deepEqual(r.result, { kind: 'exit', code });
        assert.equal(r.stdout, `out ${code}`);
        assert.equal(r.stderr, 'err\n');
        assert.equal(await r.session.protocol, protocol);
      }
      const missing = await run({ command: ['sh', '-c', 'no-such-command'], protocols });
      assert.deepEqual(missing.result, { kind: 'exit', code: 127 });
      assert.match(missing.stderr, /no-such-command: not found/);
    });

    test('stdin bytes arrive exact, whatever the sizes of the writes (frames built in one reused buffer)', T, async () => {
      const data = randomBytes(3_000_000);
      const session = start({ command: ['sh', '-c', `head -c ${data.length} | sha256sum`], stdin: true, protocols });
      const out = collect(session.stdout);
      // Writes smaller and larger than a frame, one several frames long; each waits for the
      // previous one's callback or not, as a writer may.
      const sizes = [1, 100, 65_535, 65_536, 65_537, 200_000, 1_048_576];
      let offset = 0;
      for (let i = 0; offset < data.length; i++) {
        const chunk = data.subarray(offset, offset + sizes[i % sizes.length]!);
        offset += chunk.length;
        if (i % 2 === 0) await new Promise<void>((resolve) => session.stdin.write(chunk, () => resolve()));
        else session.stdin.write(chunk);
      }
      assert.deepEqual(await session.result, { kind: 'exit', code: 0 });
      assert.equal(out().split(' ')[0], createHash('sha256').update(data).digest('hex'));
    });

    test('argv is passed as is, without a shell', T, async () => {
      const r = await run({ command: ['printf', '%s|', 'a b', "it's", '$HOME', '&&', 'ünï'], protocols });
      assert.deepEqual(r.result, { kind: 'exit', code: 0 });
      assert.equal(r.stdout, "a b|it's|$HOME|&&|ünï|");
    });

    test('an executable that does not exist is an error with the runtime message', T, async () => {
      const r = await run({ command: ['no-such-binary'], protocols });
      assert.equal(r.result.kind, 'error');
      assert.match((r.result as { message: string }).message, /exec: "no-such-binary": executable file not found in \$PATH/);
    });

    test('a container that does not exist is refused with the API message', T, async () => {
      const r = await run({ command: ['true'], container: 'nope', protocols });
      assert.deepEqual(r.result, { kind: 'error', message: 'container nope is not valid for pod web-0', httpStatus: 400, reason: 'BadRequest' });
    });

    test('TTY: the initial size is the terminal\'s from the process\'s first instruction', T, async () => {
      // The size sent on opening is in before the runtime has the process started.
      const r = await run({ command: ['stty', 'size'], stdin: true, tty: true, size: { columns: 91, rows: 33 }, protocols });
      assert.deepEqual(r.result, { kind: 'exit', code: 0 });
      assert.equal(r.stdout, '33 91\r\n');
    });

    test('TTY: resizes reach the process', T, async () => {
      const session = start({ command: ['sh', '-c', 'echo ready; read line; stty size'], stdin: true, tty: true, size: { columns: 91, rows: 33 }, protocols });
      const out = collect(session.stdout);
      await waitFor(session.stdout, /ready\r\n/);
      session.resize({ columns: 120, rows: 40 });
      session.stdin.write('go\n');
      const result = await session.result;
      assert.deepEqual(result, { kind: 'exit', code: 0 });
      assert.match(out(), /40 120\r\n$/);
      assert.equal(session.stderr.readableEnded, true, 'a TTY has no separate stderr');
    });

    test('TTY: ending stdin is EOF for the reader (cat ends, exit 0)', T, async () => {
      // cat under sh rather than exec'd: as the PTY's session leader, kubesim sometimes reports it as SIGHUP'd (129).
      const session = start({ command: ['sh', '-c', 'echo ready; cat; echo bye'], stdin: true, tty: true, protocols });
      const out = collect(session.stdout);
      await waitFor(session.stdout, /ready\r\n/);
      session.stdin.write('hello\n');
      session.stdin.end();
      assert.deepEqual(await session.result, { kind: 'exit', code: 0 });
      assert.match(out(), /hello\r\n.*bye\r\n$/s);
    });

    if (v5) {
      test('stdin EOF without a TTY: cat ends and the exit status still arrives', T, async () => {
        const session = start({ command: ['sh', '-c', 'echo ready; cat; echo done >&2'], stdin: true, protocols });
        const out = collect(session.stdout);
        const err = collect(session.stderr);
        await waitFor(session.stdout, /ready\n/);
        session.stdin.write('line 1\n');
        session.stdin.end('line 2\n');
        assert.deepEqual(await session.result, { kind: 'exit', code: 0 });
        assert.equal(out(), 'ready\nline 1\nline 2\n');
        assert.equal(err(), 'done\n');
      });
    } else {
      test('stdin EOF without a TTY cannot be sent before v5: cat keeps running until close()', T, async () => {
        const session = start({ command: ['sh', '-c', 'echo ready; exec cat'], stdin: true, protocols });
        await waitFor(session.stdout, /ready\n/);
        session.stdin.end('line\n');
        await waitFor(session.stdout, /line\n/);
        const early = await Promise.race([session.result, new Promise((r) => setTimeout(() => r('running'), 300))]);
        assert.equal(early, 'running');
        session.close();
        assert.deepEqual(await session.result, {
          kind: 'error',
          message: 'The session was closed before the command reported its exit status.',
          reason: 'Closed',
        });
        await noExecProcessesLeft();
      });
    }
  });
}

describe('refused and failed connections', { concurrency: 1 }, () => {
  test('403: the full Forbidden message of the API server', T, async () => {
    const r = await run({ command: ['true'] }, 'kubesim-forbidden');
    assert.deepEqual(r.result, {
      kind: 'error',
      message: 'pods "web-0" is forbidden: User "dev" cannot create resource "pods/exec" in API group "" in the namespace "default"',
      httpStatus: 403,
      reason: 'Forbidden',
    });
    await assert.rejects(r.session.protocol, /forbidden/);
  });

  test('401 from a bad token', T, async () => {
    const r = await run({ command: ['true'] }, 'kubesim-badtoken');
    assert.deepEqual(r.result, { kind: 'error', message: 'Unauthorized', httpStatus: 401, reason: 'Unauthorized' });
  });

  test('404 for a pod that does not exist', T, async () => {
    const r = await run({ command: ['true'], pod: 'nope' });
    assert.deepEqual(r.result, { kind: 'error', message: 'pods "nope" not found', httpStatus: 404, reason: 'NotFound' });
  });

  test('an unreachable server names the URL and the socket error', T, async () => {
    const r = await run({ command: ['true'] }, 'kubesim-unreachable');
    assert.deepEqual(r.result, {
      kind: 'error',
      message: 'Unable to connect to https://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1. Is the cluster running, and is the server address in the kubeconfig right?',
      noResponse: true,
      errorCode: 'ECONNREFUSED',
    });
  });

  test('a refused upgrade with a Status body keeps its message', T, async () => {
    sim.faults.refuseUpgrade = { code: 503, message: 'the apiserver is shutting down' };
    try {
      const r = await run({ command: ['true'] });
      assert.equal(r.result.kind, 'error');
      assert.equal((r.result as { message: string }).message, 'the apiserver is shutting down');
      assert.equal((r.result as { httpStatus?: number }).httpStatus, 503);
    } finally {
      sim.faults.refuseUpgrade = null;
    }
  });

  test('client certificates and exec credential plugins work', T, async () => {
    for (const context of ['kubesim-cert', 'kubesim-exec']) {
      const r = await run({ command: ['id', '-un'] }, context);
      assert.equal(r.result.kind, 'exit', context);
    }
  });
});

describe('connection loss and keepalive', { concurrency: 1 }, () => {
  test('a dropped connection is connectionLost, not an exit or an error', T, async () => {
    const session = start({ command: ['sh', '-c', 'echo up; sleep 30'], stdin: true, tty: true });
    await waitFor(session.stdout, /up/);
    const t0 = Date.now();
    sim.faults.dropConnections();
    const result = await session.result;
    assert.equal(result.kind, 'connectionLost');
    assert.match((result as { message: string }).message, /closed before the command reported its exit status/);
    assert.ok(Date.now() - t0 < 3000);
    await noExecProcessesLeft();
  });

  test('pings that get no pong end the session as connectionLost within the window', T, async () => {
    sim.faults.ignorePings = true;
    try {
      const session = start({ command: ['sleep', '30'], tty: true, stdin: true, keepaliveIntervalMs: 100, keepaliveTimeoutMs: 400 });
      await session.protocol;
      const t0 = Date.now();
      const result = await session.result;
      const elapsed = Date.now() - t0;
      assert.deepEqual(result, {
        kind: 'connectionLost',
        message: `${sim.url} did not answer keepalive pings for 0.4 s; the connection is considered lost.`,
      });
      // 400 ms without a pong, noticed at the next ping; generous on top for a busy machine.
      assert.ok(elapsed >= 400 && elapsed < 2500, `detected after ${elapsed} ms`);
    } finally {
      sim.faults.ignorePings = false;
    }
    await noExecProcessesLeft();
  });

  test('an idle session whose pings are answered outlives the keepalive timeout', T, async () => {
    // Timeout well above a busy machine's pong delay, session twice as long.
    const r = await run({ command: ['sleep', '2'], keepaliveIntervalMs: 100, keepaliveTimeoutMs: 1000 });
    assert.deepEqual(r.result, { kind: 'exit', code: 0 });
  });
});

describe('ending sessions', { concurrency: 1 }, () => {
  test('close() on a TTY shell hangs it up at once: the shell and its background jobs end', T, async () => {
    const session = start({ command: ['bash', '--norc', '-i'], stdin: true, tty: true });
    await waitFor(session.stdout, /\$ |# /);
    session.stdin.write('sleep 300 & echo job-started\n');
    await waitFor(session.stdout, /job-started/);
    const t0 = Date.now();
    session.close();
    session.close();
    const result = await session.result;
    assert.equal((result as { reason?: string }).reason, 'Closed');
    assert.ok(Date.now() - t0 < 1500, 'no grace period for a terminal');
    await noExecProcessesLeft();
  });

  test('close() on a pipe session: stdin EOF ends it within the grace, with its own exit status', T, async () => {
    const session = start({ command: ['sh', '-c', 'echo up; cat >/dev/null; exit 4'], stdin: true, closeGraceMs: 5000 });
    await waitFor(session.stdout, /up/);
    session.close();
    assert.deepEqual(await session.result, { kind: 'exit', code: 4 });
    await noExecProcessesLeft();
  });

  test('close() on a TTY process that ignores stdin and SIGINT: hung up, nothing left', T, async () => {
    const session = start({ command: ['sh', '-c', 'trap "" INT; echo up; exec sleep 30'], stdin: true, tty: true, closeGraceMs: 200 });
    await waitFor(session.stdout, /up/);
    const t0 = Date.now();
    session.close();
    const result = await session.result;
    assert.equal((result as { reason?: string }).reason, 'Closed');
    assert.ok(Date.now() - t0 < 2000);
    await noExecProcessesLeft();
  });

  test('close() while connecting ends at once as Closed', T, async () => {
    const session = start({ command: ['sleep', '30'] });
    session.close();
    const result: ExecResult = await session.result;
    assert.equal((result as { reason?: string }).reason, 'Closed');
    await noExecProcessesLeft();
  });

  test('an AbortSignal closes the session like close()', T, async () => {
    const controller = new AbortController();
    const session = start({ command: ['sh', '-c', 'echo ready; exec cat'], stdin: true, signal: controller.signal });
    await waitFor(session.stdout, /ready/);
    session.stdout.resume();
    controller.abort();
    const result = await session.result;
    // cat ends on stdin EOF within the grace, so its exit status arrives.
    assert.deepEqual(result, { kind: 'exit', code: 0 });
    await noExecProcessesLeft();
  });

  test('firstOutput tells whether any output came before the end', T, async () => {
    const quiet = start({ command: ['true'] });
    assert.equal(await quiet.firstOutput, false);
    const talky = start({ command: ['echo', 'x'] });
    talky.stdout.resume();
    assert.equal(await talky.firstOutput, true);
    await Promise.all([quiet.result, talky.result]);
  });

  test('output split mid-character survives, and the bytes are exact', T, async () => {
    // 3000 four-byte characters: frames are bound to cut some of them.
    const r = await run({ command: ['sh', '-c', 'i=0; while [ $i -lt 3000 ]; do printf "\\360\\237\\230\\200"; i=$((i+1)); done'] });
    assert.deepEqual(r.result, { kind: 'exit', code: 0 });
    assert.equal(r.stdout, '😀'.repeat(3000));
  });
});
