// The real kubectl, run against a kubesim by the tests that prove kubesim with it (one runner for
// all of them, rather than one per file).
import { execFile } from 'node:child_process';

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
