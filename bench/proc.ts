// Whole-process measurements: wall time from spawn to exit, and peak RSS through GNU time's
// %M (the kernel's ru_maxrss of the waited-for child), which sees a Go binary and a Node
// process the same way.
import { spawn } from 'node:child_process';
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
  /** Keep stdout in memory (small outputs only); otherwise it goes to /dev/null. */
  captureStdout?: boolean;
  /** Measure peak RSS with GNU time; needs `tmp` for its output file. */
  rss?: { tmp: string };
  timeoutMs?: number;
}

export interface RunResult {
  ms: number;
  stdout: Buffer;
  /** Peak resident set of the process, MiB; undefined unless asked for. */
  rssMiB?: number;
}

let seq = 0;

/** Runs a command to completion; rejects with its stderr when it exits non-zero or times out. */
export async function runMeasured(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  let file = cmd;
  let argv = [...args];
  let rssFile: string | undefined;
  if (opts.rss) {
    rssFile = join(opts.rss.tmp, `rss-${process.pid}-${++seq}.txt`);
    file = GNU_TIME;
    argv = ['-f', '%M', '-o', rssFile, cmd, ...args];
  }
  const stdin = opts.stdinFile ? await open(opts.stdinFile, 'r') : undefined;
  try {
    const started = performance.now();
    const child = spawn(file, argv, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: [stdin ? stdin.fd : 'ignore', opts.captureStdout ? 'pipe' : 'ignore', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    const timeoutMs = opts.timeoutMs ?? 120_000;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal }));
    }).finally(() => clearTimeout(timer));
    const ms = performance.now() - started;
    if (code !== 0) {
      const text = Buffer.concat(err).toString('utf8').trim().split('\n').slice(-3).join(' | ');
      const why = signal === 'SIGKILL' ? `was killed after ${timeoutMs} ms` : `exited with ${code ?? signal}`;
      throw new Error(`${cmd} ${args.join(' ')} ${why}${text ? `: ${text}` : ''}`);
    }
    const result: RunResult = { ms, stdout: Buffer.concat(out) };
    if (rssFile) {
      // GNU time appends its line after the command's own stderr would have gone; the last number is %M.
      const text = await readFile(rssFile, 'utf8');
      await rm(rssFile, { force: true });
      const kib = Number(text.trim().split(/\s+/).pop());
      if (Number.isFinite(kib)) result.rssMiB = kib / 1024;
    }
    return result;
  } finally {
    await stdin?.close();
  }
}
