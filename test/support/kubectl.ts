// The real kubectl, run against a kubesim by the tests that prove kubesim with it (one runner for
// all of them, rather than one per file).
import { execFile, spawn } from 'node:child_process';

export const KUBECTL = '/usr/bin/kubectl';

export interface KubectlResult {
  /** kubectl's exit code; -1 when it could not run or was stopped at the timeout. */
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment kubectl gets: only PATH, the kubeconfig and a HOME of its own (its discovery cache). */
export function kubectlEnv(kubeconfig: string, home: string): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'] ?? '/usr/bin:/bin', KUBECONFIG: kubeconfig, HOME: home };
}

/** Runs kubectl to its end; never rejects, the outcome is in the result. */
export function runKubectl(args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 20_000): Promise<KubectlResult> {
  return new Promise((resolve) => {
    execFile(KUBECTL, args, { env, timeout: timeoutMs, maxBuffer: 16 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A kubectl that keeps running (`get -w`): what it printed so far, and a wait for a line of it. */
export interface RunningKubectl {
  /** Resolves with the first match of `re` in everything printed so far (or later); rejects if kubectl ends first. */
  seen(re: RegExp): Promise<RegExpMatchArray>;
  output(): string;
  stop(): void;
}

export function startKubectl(args: readonly string[], env: NodeJS.ProcessEnv): RunningKubectl {
  const child = spawn(KUBECTL, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let ended = false;
  const waiters = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    for (const check of [...waiters]) check();
  });
  child.once('exit', () => {
    ended = true;
    for (const check of [...waiters]) check();
  });
  return {
    seen: (re) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const match = re.exec(out);
          if (match || ended) waiters.delete(check);
          if (match) resolve(match);
          else if (ended) reject(new Error(`kubectl ${args.join(' ')} ended before printing ${re}: ${out}`));
        };
        waiters.add(check);
        check();
      }),
    output: () => out,
    stop: () => child.kill(),
  };
}
