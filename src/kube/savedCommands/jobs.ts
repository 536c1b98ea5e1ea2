// From a saved command and its targets to what actually runs: the argv per target with the
// variables filled in, and the exec sessions that run them.
import type { KubeConfigLike } from '../exec/connect.ts';
import { ExecSession } from '../exec/session.ts';
import type { SavedCommand } from './definitions.ts';
import type { FanOutJob, StartSession } from './fanOut.ts';
import type { CommandTarget, SkippedPod } from './targets.ts';
import { renderCommand } from './template.ts';

/** The argv of `cmd` on each target. Targets it cannot run on come back with the reason. */
export function prepareJobs(
  cmd: Pick<SavedCommand, 'compiled'>,
  targets: readonly CommandTarget[],
  inputs: ReadonlyMap<string, string>,
): { jobs: FanOutJob[]; unfit: SkippedPod[] } {
  const jobs: FanOutJob[] = [];
  const unfit: SkippedPod[] = [];
  for (const target of targets) {
    if (cmd.compiled.kind === 'shell' && target.nodeOS === 'windows') {
      unfit.push({ ...target, reason: 'a command written as one string runs with sh, which Windows containers do not have; write it as an argv array such as ["cmd.exe", "/c", "..."]' });
      continue;
    }
    const argv = renderCommand(cmd.compiled, { ...target, inputs });
    jobs.push({ target, argv });
  }
  return { jobs, unfit };
}

export interface ExecStarterOptions {
  /** The KubeConfig for a context (its current context set to it). */
  kubeConfig(context: string): KubeConfigLike;
  keepaliveIntervalMs?: number;
  keepaliveTimeoutMs?: number;
}

/** Wide enough that `ps`, `df` and friends do not cut their lines for the report. */
export const REPORT_TERMINAL_SIZE = { columns: 400, rows: 100 };

/**
 * Starts each job on a terminal with no input. Why a terminal: Kubernetes does not end a
 * non-TTY exec'd process when its connection closes (containerd keeps it running), so a
 * cancelled `tail -f | grep` would run on forever. On a terminal, closing the session hangs it
 * up and the whole process group gets SIGHUP, as when a kubectl -t session is closed. The cost:
 * stdout and stderr arrive merged, with CRLF line ends (OutputCapture turns them back).
 */
export function execStarter(options: ExecStarterOptions): StartSession {
  return (job, signal) =>
    ExecSession.start(options.kubeConfig(job.target.context), {
      namespace: job.target.namespace,
      pod: job.target.pod,
      container: job.target.container,
      command: job.argv,
      stdin: false,
      tty: true,
      size: REPORT_TERMINAL_SIZE,
      signal,
      keepaliveIntervalMs: options.keepaliveIntervalMs,
      keepaliveTimeoutMs: options.keepaliveTimeoutMs,
    });
}
