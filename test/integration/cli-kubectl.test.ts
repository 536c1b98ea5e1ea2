// The CLI against the real kubectl on the same kubesim: the same commands must give the same
// stdout bytes, the same stderr bytes and the same exit code.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as pty from 'node-pty';
import { startKubesim, type Kubesim } from '../kubesim/index.ts';

const KUBECTL = '/usr/bin/kubectl';
const T = { timeout: 60_000 };
const root = fileURLToPath(new URL('../../', import.meta.url));

let sim: Kubesim;
let dir: string;
let cli: string;

interface Run {
  code: number | null;
  stdout: Buffer;
  stderr: Buffer;
}

function run(file: string, args: string[], input?: string | Buffer): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: sim.kubeconfigPath } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/**
 * Random parts of messages (the runtime's exec IDs) made comparable. client-go now and then
 * logs "Unknown stream id 1, discarding message" when output arrives before it registered its
 * streams (a race of its own, seen against real servers too): a log line of kubectl's, not
 * output of the command, so it is left out.
 */
function normalize(text: Buffer): string {
  return text
    .toString('utf8')
    .replace(/^E\d{4} [\d:.]+ +\d+ websocket\.go:\d+\] Unknown stream id \d+, discarding message\n/gm, '')
    .replace(/[0-9a-f]{64}/g, '<exec-id>');
}

async function compare(args: string[], input?: string | Buffer): Promise<Run> {
  const [ours, theirs] = await Promise.all([run(process.execPath, [cli, 'exec', ...args], input), run(KUBECTL, ['exec', ...args], input)]);
  assert.equal(ours.code, theirs.code, `exit code of exec ${args.join(' ')}: stderr ${ours.stderr} vs ${theirs.stderr}`);
  assert.deepEqual(ours.stdout, theirs.stdout, `stdout of exec ${args.join(' ')}`);
  assert.equal(normalize(ours.stderr), normalize(theirs.stderr), `stderr of exec ${args.join(' ')}`);
  return ours;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-kubectl-'));
  cli = join(dir, 'cli.js');
  // The same bundle `npm run build` makes, built aside so dist/ is left alone.
  const build = promisify(execFile)(process.execPath, [join(root, 'scripts', 'build.mjs'), '--outdir', dir], { cwd: root });
  [sim] = await Promise.all([startKubesim(), build]);
});

after(async () => {
  await sim?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('exec: output and exit codes', { concurrency: 1 }, () => {
  test('stdout and stderr bytes, exit 3', T, async () => {
    const r = await compare(['web-0', '--', 'sh', '-c', 'printf "a\\nb"; printf "err\\n" >&2; exit 3']);
    assert.equal(r.code, 3);
  });

  test('exit codes 0, 1 and 127', T, async () => {
    assert.equal((await compare(['web-0', '--', 'true'])).code, 0);
    assert.equal((await compare(['web-0', '--', 'false'])).code, 1);
    assert.equal((await compare(['web-0', '--', 'sh', '-c', 'no-such-command'])).code, 127);
  });

  test('binary and UTF-8 output, argv untouched', T, async () => {
    await compare(['web-0', '--', 'sh', '-c', 'printf "\\000\\377\\200\\n"; printf "%s|" "ünï" "a b" "*"']);
    await compare(['web-0', '--', 'seq', '1', '50000']);
  });

  test('namespaces, containers, pod/NAME, the multi-container default', T, async () => {
    await compare(['-n', 'demo', 'api-0', '--', 'sh', '-c', 'echo $HOSTNAME']);
    await compare(['--namespace=demo', 'pod/api-1', '--', 'echo', 'hi']);
    await compare(['multi-0', '-c', 'sidecar', '--', 'sh', '-c', 'echo $HOSTNAME']);
    const defaulted = await compare(['multi-0', '--', 'echo', 'x']);
    assert.match(defaulted.stderr.toString(), /^Defaulted container "app" out of: app, sidecar, init \(init\)\n$/);
    await compare(['-q', 'multi-0', '--', 'echo', 'x']);
  });

  test('stdin with -i: data and EOF are forwarded', T, async () => {
    const r = await compare(['-i', 'web-0', '--', 'sh', '-c', 'cat; echo "end $?"'], 'line 1\nline 2 ü\n');
    assert.equal(r.stdout.toString(), 'line 1\nline 2 ü\nend 0\n');
    await compare(['-i', 'web-0', '--', 'wc', '-c'], Buffer.alloc(3 * 1024 * 1024, 0x61));
  });

  test('a reader that goes away (| head -1): quiet exit with the SIGPIPE code', T, async () => {
    const pipeline = (cmd: string) => `${cmd} exec web-0 -- seq 1 1000000 | head -1; echo "rc=\${PIPESTATUS[0]}"`;
    const [ours, theirs] = await Promise.all([
      run('/bin/bash', ['-c', pipeline(`"${process.execPath}" "${cli}"`)]),
      run('/bin/bash', ['-c', pipeline(KUBECTL)]),
    ]);
    assert.equal(ours.stdout.toString(), '1\nrc=141\n');
    assert.equal(ours.stdout.toString(), theirs.stdout.toString());
    assert.equal(ours.stderr.toString(), theirs.stderr.toString());
  });

  test('-t without a terminal', T, async () => {
    await compare(['-t', 'web-0', '--', 'sh', '-c', 'test -t 0 && echo tty || echo no-tty']);
    await compare(['-it', 'web-0', '--', 'sh', '-c', 'test -t 0 && echo tty || echo no-tty'], '');
  });
});

describe('exec: errors', { concurrency: 1 }, () => {
  test('missing pod, missing container, missing executable, no shell', T, async () => {
    await compare(['nope', '--', 'true']);
    await compare(['web-0', '-c', 'nope', '--', 'true']);
    await compare(['web-0', '--', 'no-such-binary']);
    await compare(['distroless-0', '--', 'sh']);
  });

  test('pods that are not running', T, async () => {
    await compare(['done-0', '--', 'true']);
    await compare(['failed-0', '--', 'true']);
    await compare(['pending-0', '--', 'true']);
  });

  test('401, 403, and credentials by client certificate and exec plugin', T, async () => {
    await compare(['--context', 'kubesim-forbidden', 'web-0', '--', 'true']);
    await compare(['--context', 'kubesim-badtoken', 'web-0', '--', 'true']);
    await compare(['--context', 'kubesim-cert', 'web-0', '--', 'id', '-un']);
    await compare(['--context=kubesim-exec', 'web-0', '--', 'id', '-un']);
  });

  test('usage errors', T, async () => {
    await compare(['web-0']);
    await compare(['web-0', '--']);
  });

  test('an unreachable server: kubectl\'s last line (it logs discovery retries first)', T, async () => {
    const args = ['--context', 'kubesim-unreachable', 'web-0', '--', 'true'];
    const [ours, theirs] = await Promise.all([run(process.execPath, [cli, 'exec', ...args]), run(KUBECTL, ['exec', ...args])]);
    assert.equal(ours.code, theirs.code);
    assert.equal(ours.stdout.length, 0);
    const last = (b: Buffer) => b.toString().trimEnd().split('\n').at(-1);
    assert.equal(ours.stderr.toString(), `${last(theirs.stderr)}\n`);
  });
});

describe('exec -it on a terminal', { concurrency: 1 }, () => {
  // Under a PTY, from a shell that afterwards prints the exit code and the terminal's modes,
  // which must be back to cooked (icanon, echo, opost).
  const AFTER = 'echo "rc=$?"; stty -a | tr " ;" "\\n\\n" | grep -xE -- "-?(icanon|echo|opost)" | tr "\\n" " "';

  /** Runs a command under a PTY; `drive` gets the terminal once `ready` was printed. */
  function onTerminal(file: string, args: string[], drive: (term: pty.IPty) => void): Promise<{ output: string; code: number }> {
    return new Promise((resolve) => {
      const term = pty.spawn('/bin/sh', ['-c', `"$@"; ${AFTER}`, 'sh', file, ...args], { cols: 100, rows: 30, env: { ...process.env, KUBECONFIG: sim.kubeconfigPath } as Record<string, string> });
      let output = '';
      let driven = false;
      const timer = setTimeout(() => term.kill(), 20_000);
      term.onData((d) => {
        output += d;
        if (!driven && output.includes('ready')) {
          driven = true;
          drive(term);
        }
      });
      term.onExit(({ exitCode }) => {
        clearTimeout(timer);
        resolve({ output, code: exitCode });
      });
    });
  }

  test('raw terminal, window resizes, exit code, terminal restored', T, async () => {
    const script = 'test -t 0 && echo tty; echo ready; read x; stty size; exit 4';
    const drive = (term: pty.IPty) => {
      setTimeout(() => {
        term.resize(120, 40);
        setTimeout(() => term.write('\r'), 200);
      }, 100);
    };
    const [ours, theirs] = await Promise.all([
      onTerminal(process.execPath, [cli, 'exec', '-it', 'web-0', '--', 'sh', '-c', script], drive),
      onTerminal(KUBECTL, ['exec', '-it', 'web-0', '--', 'sh', '-c', script], drive),
    ]);
    assert.equal(ours.output, theirs.output);
    assert.match(ours.output, /^tty\r\nready\r\n\r\n40 120\r\ncommand terminated with exit code 4\r\nrc=4\r\n(opost|icanon|echo| )+$/);
    assert.doesNotMatch(ours.output, /-icanon|-echo|-opost/);
  });

  /** Everything a program prints under a PTY of `cols` x `rows`, from start to exit. */
  function underPty(file: string, args: string[], cols: number, rows: number): Promise<string> {
    return new Promise((resolve) => {
      const term = pty.spawn(file, args, { cols, rows, env: { ...process.env, KUBECONFIG: sim.kubeconfigPath } as Record<string, string> });
      let output = '';
      const timer = setTimeout(() => term.kill(), 20_000);
      term.onData((d) => (output += d));
      term.onExit(() => {
        clearTimeout(timer);
        // client-go's own log line about a stream race (see normalize), not the command's output.
        resolve(output.replace(/^E\d{4} .*Unknown stream id \d+, discarding message\r\n/gm, ''));
      });
    });
  }

  // A command that reads the terminal's size as its very first act: the first screen of `top`,
  // a prompt. kubesim starts the process with the first size the client sent on opening, as it
  // is queued in a cluster by the time the runtime has the process started; before, the process
  // often started at 80x24 ahead of the size (ours more often: a cold Node process took a few ms
  // longer than kubectl to send it).
  test('the first size: `stty size` at once shows the terminal\'s size, ten runs each', T, async () => {
    const runs: Array<[string, string, string[]]> = [
      ['kubectl', KUBECTL, ['exec', '-it', 'web-0', '--', 'stty', 'size']],
      ['ours', process.execPath, [cli, 'exec', '-it', 'web-0', '--', 'stty', 'size']],
    ];
    for (const [who, file, args] of runs) {
      for (let i = 1; i <= 10; i++) assert.equal(await underPty(file, args, 117, 37), '37 117\r\n', `${who}, run ${i}`);
    }
  });

  test('no size sent (stdout is a pipe): the process gets an unsized PTY, as runc makes it', T, async () => {
    // Neither client has a size to send when its stdout is no terminal (kubectl's MonitorSize
    // then returns no queue); runc sizes the PTY only from a consoleSize CRI never sets.
    for (const client of [KUBECTL, `"${process.execPath}" "${cli}"`]) {
      const out = await underPty('/bin/sh', ['-c', `${client} exec -it web-0 -- stty size | cat`], 117, 37);
      assert.match(out, /^0 0\r+\n$/, client);
    }
  });

  test('keys go through raw: Ctrl-C reaches the remote shell instead of killing the CLI', T, async () => {
    // An interrupted read is retried, so the outcome does not depend on when the keys land.
    const script = 'trap "echo got-INT" INT; echo ready; until read x; do :; done; echo "read $x"';
    const drive = (term: pty.IPty) => {
      setTimeout(() => {
        term.write('\x03');
        setTimeout(() => term.write('abc\r'), 200);
      }, 100);
    };
    const [ours, theirs] = await Promise.all([
      onTerminal(process.execPath, [cli, 'exec', '-it', 'web-0', '--', 'sh', '-c', script], drive),
      onTerminal(KUBECTL, ['exec', '-it', 'web-0', '--', 'sh', '-c', script], drive),
    ]);
    assert.equal(ours.output, theirs.output);
    assert.match(ours.output, /got-INT\r\n.*read abc\r\nrc=0\r\n/s);
  });
});

describe('pods', { concurrency: 1 }, () => {
  test('columns and rows like kubectl get pods, with -A and for an empty namespace', T, async () => {
    const lines = (b: Buffer) => b.toString().trimEnd().split('\n');
    // AGE is computed by each at its own instant: compare the rest of the line exactly.
    const withoutAge = (b: Buffer) => lines(b).map((l) => l.replace(/ \S+$/, ''));
    const [ours, theirs] = await Promise.all([run(process.execPath, [cli, 'pods', '-n', 'demo']), run(KUBECTL, ['get', 'pods', '-n', 'demo'])]);
    assert.equal(ours.code, 0);
    assert.deepEqual(withoutAge(ours.stdout), withoutAge(theirs.stdout));
    const [ownHeader, ...podLines] = lines(ours.stdout);
    assert.match(ownHeader, /^NAME +READY +STATUS +RESTARTS +AGE$/);
    assert.ok(podLines.length > 0 && podLines.every((l) => /\d+[smhdy]$/.test(l)), podLines.join('\n'));

    const all = await run(process.execPath, [cli, 'pods', '-A']);
    const [header, ...rows] = lines(all.stdout);
    assert.match(header, /^NAMESPACE +NAME +READY +STATUS +RESTARTS +AGE$/);
    assert.ok(rows.some((r) => /^demo +api-0 +1\/1 +Running +0 /.test(r)));
    assert.ok(rows.some((r) => /^default +crashloop-0 +0\/1 +CrashLoopBackOff +5 \(\d+[smh]\S* ago\) /.test(r)));

    const [emptyOurs, emptyTheirs] = await Promise.all([run(process.execPath, [cli, 'pods', '-n', 'nothing-here']), run(KUBECTL, ['get', 'pods', '-n', 'nothing-here'])]);
    assert.equal(emptyOurs.code, emptyTheirs.code);
    assert.equal(emptyOurs.stderr.toString(), emptyTheirs.stderr.toString());

    const [badOurs, badTheirs] = await Promise.all([
      run(process.execPath, [cli, 'pods', '--context', 'kubesim-badtoken']),
      run(KUBECTL, ['get', 'pods', '--context', 'kubesim-badtoken']),
    ]);
    assert.equal(badOurs.code, badTheirs.code);
    assert.equal(badOurs.stderr.toString(), badTheirs.stderr.toString());
  });
});
