// `kube-exec exec` moving 256 MiB while the reader at the other end stalls, in both directions:
// out of the container into a pipe whose reader lags, and into the container (`-i`, from a pipe
// and from a file) while the remote command reads nothing. The CLI's memory must stay bounded:
// backpressure has to keep the data in the cluster, or in the pipe or file it comes from, not in
// the CLI (issue 10: peak RSS under 150 MiB; kubectl needs about 50 MiB).
//
// Peak RSS is the kernel's own high-water mark (VmHWM in /proc/PID/status), which nothing can
// miss, not a sample: read live at the end of a stall, and by a preloaded hook as the CLI exits.
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startKubesim, type Kubesim } from '../kubesim/index.ts';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const TOTAL = 256 * MiB;
/** Issue 10's bound on the CLI's peak RSS for the whole transfer. */
const PEAK_LIMIT = 150 * MiB;
/** While the reader stalls, only buffers of fixed size may fill (the CLI starts at about 60 MiB). */
const STALLED_LIMIT = 96 * MiB;
/** All the CLI may have read (its stdin and socket) while the remote reader stalls. */
const STALLED_INTAKE_LIMIT = 64 * MiB;
/** The CLI has stopped taking data once its reads have not moved for this long. */
const QUIET_MS = 1000;

const root = fileURLToPath(new URL('../../', import.meta.url));
let sim: Kubesim;
let dir: string;
let cli: string;
let hook: string;
let upload: { file: string; digest: string };
let running: ChildProcess | undefined;

// Preloaded into the CLI: its VmHWM as it exits (after the exit nothing of it is left to read).
const HOOK = `process.on('exit', () => {
  const fs = require('node:fs');
  const hwm = /VmHWM:\\s+(\\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  fs.writeFileSync(process.env.CLI_MEMORY_PEAK_FILE, hwm ? hwm[1] : '');
});
`;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-memory-'));
  cli = join(dir, 'cli.js');
  hook = join(dir, 'peak-hook.cjs');
  // Built as `npm run build` builds it, into a directory of the test's own.
  const build = run(process.execPath, [join(root, 'scripts', 'build.mjs'), '--outdir', dir], { cwd: root });
  [sim, , , upload] = await Promise.all([startKubesim(), build, writeFile(hook, HOOK), writeRandomFile(join(dir, 'upload.bin'), TOTAL)]);
});

after(async () => {
  running?.kill('SIGKILL');
  await sim?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Random bytes, so that a lost, doubled or reordered piece changes the digest. */
async function writeRandomFile(file: string, bytes: number): Promise<{ file: string; digest: string }> {
  const hash = createHash('sha256');
  const fh = await open(file, 'w');
  try {
    for (let left = bytes; left > 0; left -= MiB) {
      const chunk = randomBytes(Math.min(left, MiB));
      hash.update(chunk);
      await fh.write(chunk);
    }
  } finally {
    await fh.close();
  }
  return { file, digest: hash.digest('hex') };
}

async function procField(pid: number, file: string, pattern: RegExp): Promise<number> {
  const match = pattern.exec(await readFile(`/proc/${pid}/${file}`, 'utf8'));
  if (!match) throw new Error(`no ${pattern} in /proc/${pid}/${file}`);
  return Number(match[1]);
}

/** The kernel's peak resident set of a live process so far, bytes. */
const hwmOf = async (pid: number): Promise<number> => (await procField(pid, 'status', /VmHWM:\s+(\d+) kB/)) * 1024;
/** Bytes a live process has read so far, from any file, pipe or socket. */
const readBytesOf = (pid: number): Promise<number> => procField(pid, 'io', /rchar:\s+(\d+)/);

/**
 * Waits until `flowing()` says data has started to move and then the CLI has read nothing for
 * QUIET_MS: backpressure has stopped it (or, if it buffers without bound, it has swallowed
 * everything). Returns its VmHWM and the bytes it has read by then.
 */
async function untilStalled(child: ChildProcess, flowing: () => boolean | Promise<boolean>): Promise<{ hwm: number; intake: number }> {
  const pid = child.pid!;
  let last = -1;
  let since = 0;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the CLI ended (${child.exitCode ?? child.signalCode}) while its reader stalled`);
    if (await flowing()) {
      const intake = await readBytesOf(pid);
      if (intake !== last) {
        last = intake;
        since = Date.now();
      } else if (Date.now() - since >= QUIET_MS) {
        return { hwm: await hwmOf(pid), intake };
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface Cli {
  child: ChildProcess;
  /** Exit code, stdout (unless stdout is read by the caller), stderr and peak RSS. */
  done: Promise<{ code: number | null; stdout: string; stderr: string; peak: number }>;
}

function startCli(args: string[], stdin: 'ignore' | number, readStdout: boolean): Cli {
  const peakFile = join(dir, `peak-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  const child = spawn(process.execPath, ['--require', hook, cli, 'exec', '--kubeconfig', sim.kubeconfigPath, ...args], {
    stdio: [stdin, 'pipe', 'pipe'],
    env: { ...process.env, CLI_MEMORY_PEAK_FILE: peakFile },
  });
  running = child;
  let stdout = '';
  let stderr = '';
  if (readStdout) child.stdout!.on('data', (c: Buffer) => (stdout += c));
  child.stderr!.on('data', (c: Buffer) => (stderr += c));
  const done = new Promise<number | null>((resolve) => child.on('close', resolve)).then(async (code) => {
    const kib = await readFile(peakFile, 'utf8').catch(() => '');
    return { code, stdout, stderr, peak: kib ? Number(kib) * 1024 : Number.NaN };
  });
  return { child, done };
}

const mib = (bytes: number): string => `${(bytes / MiB).toFixed(0)} MiB`;

test('256 MiB out into a stalled, then slow pipe: RSS stays bounded, every byte arrives', { timeout: 180_000 }, async (t) => {
  const { child, done } = startCli(['web-0', '--', 'head', '-c', String(TOTAL), '/dev/zero'], 'ignore', false);
  // The reader stalls: nothing is read until the CLI has stopped reading its socket, so what it
  // cannot write must wait in the cluster, not in the CLI (unpaused, it would take in all 256 MiB).
  child.stdout!.pause();
  const stalled = await untilStalled(child, () => child.stdout!.readableLength > 0);
  // Then a reader that reads, but lags: a nap after every 32 MiB.
  let bytes = 0;
  let sinceNap = 0;
  child.stdout!.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    sinceNap += chunk.length;
    if (sinceNap >= 32 * MiB) {
      sinceNap = 0;
      child.stdout!.pause();
      setTimeout(() => child.stdout!.resume(), 50);
    }
  });
  child.stdout!.resume();
  const { code, stderr, peak } = await done;
  t.diagnostic(`peak RSS ${mib(stalled.hwm)} when stalled (after reading ${mib(stalled.intake)}), ${mib(peak)} in all`);
  assert.equal(code, 0, stderr);
  assert.equal(bytes, TOTAL);
  assert.ok(stalled.hwm < STALLED_LIMIT, `peak RSS ${mib(stalled.hwm)} while the reader stalled`);
  assert.ok(peak < PEAK_LIMIT, `peak RSS ${mib(peak)} for 256 MiB of output`);
  assert.deepEqual(sim.execProcesses(), []);
});

/**
 * The remote command reads nothing until the test opens its gate (a FIFO it waits on), then
 * hashes its stdin. Returns the command and how to open the gate.
 */
async function gatedSha256(name: string): Promise<{ command: string[]; open: () => Promise<void> }> {
  const gate = join(dir, `${name}.gate`);
  await run('mkfifo', [gate]);
  return {
    command: ['sh', '-c', 'read -r _ < "$0"; exec sha256sum', gate],
    open: async () => {
      // Non-blocking: with no reader on the other end (the command is not waiting) this fails
      // at once with ENXIO instead of hanging the test.
      const fh = await open(gate, constants.O_WRONLY | constants.O_NONBLOCK);
      try {
        await fh.write('go\n');
      } finally {
        await fh.close();
      }
    },
  };
}

async function uploadWithStalledReader(t: TestContext, source: 'pipe' | 'file'): Promise<void> {
  const gate = await gatedSha256(source);
  let stdin: number;
  let feed: Promise<void> = Promise.resolve();
  let openedFile: Awaited<ReturnType<typeof open>> | undefined;
  let pipeRead: Awaited<ReturnType<typeof open>> | undefined;
  if (source === 'file') {
    // A regular file as stdin (`< file`): the CLI's own 1 MiB-buffer copy.
    openedFile = await open(upload.file, 'r');
    stdin = openedFile.fd;
  } else {
    // A real pipe (`cat file | kube-exec ...`), not the socket pair Node's 'pipe' would make:
    // a FIFO whose read end is the CLI's stdin, written by this process as the pipe takes it.
    const fifo = join(dir, 'stdin.fifo');
    await run('mkfifo', [fifo]);
    pipeRead = await open(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const pipeWrite = await open(fifo, 'w');
    stdin = pipeRead.fd;
    feed = pipeline(createReadStream(upload.file), pipeWrite.createWriteStream());
  }
  const { child, done } = startCli(['-i', 'web-0', '--', ...gate.command], stdin, true);
  // The CLI holds its own copy of the descriptor now; ours would keep the pipe open past its end.
  await Promise.all([openedFile?.close(), pipeRead?.close()]);
  // A failed CLI makes the writer fail (EPIPE); the exit code below says why.
  const fed = feed.then(
    () => undefined,
    (err: unknown) => err,
  );
  try {
    // The remote reader stalls until the CLI has stopped taking input: the bytes not sent yet
    // must wait in the pipe or the file, not in the CLI.
    const stalled = await untilStalled(child, async () => (await readBytesOf(child.pid!)) > 2 * MiB);
    await gate.open();
    const { code, stdout, stderr, peak } = await done;
    t.diagnostic(`peak RSS ${mib(stalled.hwm)} when stalled (after reading ${mib(stalled.intake)}), ${mib(peak)} in all`);
    assert.equal(code, 0, stderr);
    assert.equal(await fed, undefined);
    assert.equal(stdout.split(/\s/)[0], upload.digest, 'the remote sha256sum of what arrived');
    assert.ok(stalled.intake < STALLED_INTAKE_LIMIT, `the CLI read ${mib(stalled.intake)} while the remote reader stalled`);
    assert.ok(stalled.hwm < STALLED_LIMIT, `peak RSS ${mib(stalled.hwm)} while the remote reader stalled`);
    assert.ok(peak < PEAK_LIMIT, `peak RSS ${mib(peak)} for 256 MiB of input from a ${source}`);
    assert.deepEqual(sim.execProcesses(), []);
  } finally {
    child.kill('SIGKILL');
  }
}

test('256 MiB in from a pipe while the remote reader stalls: RSS stays bounded, every byte arrives', { timeout: 180_000 }, async (t) => {
  await uploadWithStalledReader(t, 'pipe');
});

test('256 MiB in from a file while the remote reader stalls: RSS stays bounded, every byte arrives', { timeout: 180_000 }, async (t) => {
  await uploadWithStalledReader(t, 'file');
});
