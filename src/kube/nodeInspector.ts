// Turning on the inspector of a Node.js process that runs in a container, the way Node documents
// it: SIGUSR1 makes a running process listen for a debugger (on 127.0.0.1:9229, or the
// --inspect-port it was started with). Both the search for the process and the signal go over
// exec with the container's own sh, kill and tr, so this needs a shell in the image; a container
// without one needs a debug container instead.
import { ExecSession, type ExecResult } from './exec/session.ts';
import type { KubeConfigLike } from './exec/connect.ts';

export interface ContainerRef {
  namespace: string;
  pod: string;
  container: string;
}

export interface NodeProcess {
  pid: number;
  /** The command line, arguments separated by spaces. */
  command: string;
}

/** Lists processes whose program is node (or nodejs), one "PID COMMAND LINE" per line. */
export const LIST_NODE_PROCESSES = [
  'sh',
  '-c',
  [
    'for d in /proc/[0-9]*; do',
    '  [ -r "$d/cmdline" ] || continue',
    `  cmd=$(tr '\\000' ' ' < "$d/cmdline" 2>/dev/null) || continue`,
    '  case "$cmd" in',
    '    node\\ *|*/node\\ *|nodejs\\ *|*/nodejs\\ *) echo "${d#/proc/} $cmd" ;;',
    '  esac',
    'done',
  ].join('\n'),
];

export function parseNodeProcesses(output: string): NodeProcess[] {
  const found: NodeProcess[] = [];
  for (const line of output.split('\n')) {
    const m = /^(\d+) (.+?)\s*$/.exec(line);
    if (m) found.push({ pid: Number(m[1]), command: m[2]! });
  }
  return found.sort((a, b) => a.pid - b.pid);
}

/** Runs argv in the container and returns its stdout, or throws with what went wrong. */
async function run(kubeConfig: KubeConfigLike, target: ContainerRef, command: string[], what: string): Promise<string> {
  const session = ExecSession.start(kubeConfig, { ...target, command, stdin: false, keepaliveIntervalMs: 0 });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  session.stdout.on('data', (c: Buffer) => out.push(c));
  session.stderr.on('data', (c: Buffer) => err.push(c));
  const result: ExecResult = await session.result;
  const stderr = Buffer.concat(err).toString('utf8').trim();
  const where = `${target.pod}/${target.container}`;
  if (result.kind === 'exit' && result.code === 0) return Buffer.concat(out).toString('utf8');
  if (result.kind === 'exit') throw new Error(`Could not ${what} in ${where}: the command exited with code ${result.code}${stderr ? `: ${stderr}` : ''}.`);
  if (result.kind === 'error' && /executable file not found|no such file or directory/.test(result.message)) {
    throw new Error(`Could not ${what} in ${where}: the container has no shell. Start the process with --inspect instead, or use a debug container.`);
  }
  throw new Error(`Could not ${what} in ${where}: ${result.message}`);
}

export async function listNodeProcesses(kubeConfig: KubeConfigLike, target: ContainerRef): Promise<NodeProcess[]> {
  return parseNodeProcesses(await run(kubeConfig, target, LIST_NODE_PROCESSES, 'look for Node.js processes'));
}

/** Sends SIGUSR1: the process opens its inspector port. */
export async function enableInspector(kubeConfig: KubeConfigLike, target: ContainerRef, pid: number): Promise<void> {
  if (!Number.isInteger(pid) || pid < 1) throw new Error(`${pid} is not a process ID.`);
  await run(kubeConfig, target, ['kill', '-USR1', String(pid)], `signal process ${pid}`);
}
