// Whole-process measurements: wall time from spawn to exit, and peak RSS and CPU time through
// GNU time (%M is the kernel's ru_maxrss of the waited-for child; %U + %S its CPU seconds),
// which sees a Go binary and a Node process the same way.
import { spawn } from 'node:child_process';
import { createReadStream, type ReadStream } from 'node:fs';
import { access, constants, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

export const GNU_TIME = '/usr/bin/time';

export async function hasGnuTime(): Promise<boolean> {
  try {
    await access(GNU_TIME, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** A file fed to the process's stdin; otherwise stdin is /dev/null. */
  stdinFile?: string;
  /**
   * With stdinFile: stdin is a pipe that this process fills from the file as fast as the pipe
   * takes it (a socket pair, as Node makes pipes to a child), instead of the file itself.
   */
  stdinViaPipe?: boolean;
  /** Keep stdout in memory (small outputs only); otherwise it goes to /dev/null. */
  captureStdout?: boolean;
  /**
   * A stalled reader: stdout is a pipe of which nothing is read for this long, then everything,
   * counted in RunResult.stdoutBytes (and kept only with captureStdout).
   */
  stallStdoutMs?: number;
  /** Measure peak RSS with GNU time; needs `tmp` for its output file. */
  rss?: { tmp: string };
  timeoutMs?: number;
}

export interface RunResult {
  ms: number;
  stdout: Buffer;
  /** Bytes the process wrote to stdout (0 when stdout went to /dev/null). */
  stdoutBytes: number;
  /** Peak resident set of the process, MiB; undefined unless asked for. */
  rssMiB?: number;
  /** User + system CPU time of the process, ms (with rss): what it costs, whatever else runs. */
  cpuMs?: number;
}

const CLOCK_TICK_MS = 10; // USER_HZ is 100 on Linux

/** User + system CPU time a live process has used so far, ms (10 ms resolution). */
export async function processCpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS;
}

let seq = 0;

// Each measured command runs in a process group of its own, so a timeout (or the runner being
// stopped) can end the whole tree: killing GNU time alone would orphan the command under it,
// which keeps our pipes open and the run waiting forever.
const liveGroups = new Set<number>();

export function killMeasuredProcesses(): void {
  for (const pid of liveGroups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  liveGroups.clear();
}

process.once('exit', killMeasuredProcesses);

/** Runs a command to completion; rejects with its stderr when it exits non-zero or times out. */
export async function runMeasured(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  let file = cmd;
  let argv = [...args];
  let rssFile: string | undefined;
  if (opts.rss) {
    rssFile = join(opts.rss.tmp, `rss-${process.pid}-${++seq}.txt`);
    file = GNU_TIME;
    argv = ['-f', '%M %U %S', '-o', rssFile, cmd, ...args];
  }
  const stdinPipe = opts.stdinFile !== undefined && opts.stdinViaPipe === true;
  const stdin = opts.stdinFile && !stdinPipe ? await open(opts.stdinFile, 'r') : undefined;
  const stdoutPiped = opts.captureStdout === true || opts.stallStdoutMs !== undefined;
  let feeding: ReadStream | undefined;
  try {
    const started = performance.now();
    const child = spawn(file, argv, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: [stdin ? stdin.fd : stdinPipe ? 'pipe' : 'ignore', stdoutPiped ? 'pipe' : 'ignore', 'pipe'],
      detached: true,
    });
    const group = child.pid;
    if (group !== undefined) liveGroups.add(group);
    if (stdinPipe) {
      // A process that ends before reading it all closes the pipe; its exit code tells why.
      child.stdin!.on('error', () => undefined);
      feeding = createReadStream(opts.stdinFile!);
      feeding.pipe(child.stdin!);
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let stdoutBytes = 0;
    let reading = false;
    const readStdout = (): void => {
      if (reading) return;
      reading = true;
      child.stdout?.on('data', (b: Buffer) => {
        stdoutBytes += b.length;
        if (opts.captureStdout) out.push(b);
      });
    };
    // Unread, the pipe fills and the process's writes wait (it ends only once this has read).
    const stallTimer = opts.stallStdoutMs !== undefined ? setTimeout(readStdout, opts.stallStdoutMs) : undefined;
    if (!stallTimer) readStdout();
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    const timeoutMs = opts.timeoutMs ?? 120_000;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (group !== undefined) process.kill(-group, 'SIGKILL');
      // Killed, it can only end once its stdout is read to the end.
      readStdout();
    }, timeoutMs);
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal }));
    }).finally(() => {
      clearTimeout(timer);
      clearTimeout(stallTimer);
      if (group !== undefined) liveGroups.delete(group);
    });
    const ms = performance.now() - started;
    if (code !== 0) {
      const text = Buffer.concat(err).toString('utf8').trim().split('\n').slice(-3).join(' | ');
      const why = timedOut ? `did not finish within ${timeoutMs} ms and was killed` : `exited with ${code ?? signal}`;
      throw new Error(`${cmd} ${args.join(' ')} ${why}${text ? `: ${text}` : ''}`);
    }
    const result: RunResult = { ms, stdout: Buffer.concat(out), stdoutBytes };
    if (rssFile) {
      // The last line is ours ("Command exited with ..." may precede it).
      const text = await readFile(rssFile, 'utf8');
      await rm(rssFile, { force: true });
      const [kib, user, sys] = (text.trim().split('\n').pop() ?? '').split(/\s+/).map(Number);
      if (Number.isFinite(kib)) result.rssMiB = kib! / 1024;
      if (Number.isFinite(user) && Number.isFinite(sys)) result.cpuMs = (user! + sys!) * 1000;
    }
    return result;
  } finally {
    feeding?.destroy();
    await stdin?.close();
  }
}
