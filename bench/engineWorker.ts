// The engine as the extension host holds it: one Node process with the kubeconfig loaded and
// the client warm, driven over IPC by the runner. Timing is taken in here, so IPC and the
// runner's own event loop are not part of any number.
import { performance } from 'node:perf_hooks';
import { loadKubeconfig, kubeConfigForContext } from '../src/kube/kubeconfig.ts';
import { ExecSession } from '../src/kube/exec/session.ts';
import { openShell } from '../src/kube/exec/shell.ts';
import type { KubeConfig } from '@kubernetes/client-node';
import type { EngineReply, EngineRequest, PodRef } from './engineProtocol.ts';
import { bareExec } from './bareWs.ts';
import { runFanOut, isFailure } from '../src/kube/savedCommands/fanOut.ts';
import { execStarter } from '../src/kube/savedCommands/jobs.ts';
import { typeKeys } from './keys.ts';
import { percentile } from './stats.ts';

let kubeConfig: KubeConfig | undefined;

function config(): KubeConfig {
  if (!kubeConfig) throw new Error('engine worker: init was not called');
  return kubeConfig;
}

function describe(result: Awaited<ExecSession['result']>): string {
  return result.kind === 'exit' ? `exit ${result.code}` : `${result.kind}: ${result.message}`;
}

/** Session open -> exit status, output drained: the cost of one click on a warm client. */
async function oneShot(target: PodRef, command: string[]): Promise<{ ms: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const session = ExecSession.start(config(), { ...target, command, keepaliveIntervalMs: 0 });
  session.stdout.resume();
  session.stderr.resume();
  const result = await session.result;
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  if (result.kind !== 'exit' || result.code !== 0) throw new Error(`exec ${command.join(' ')} in ${target.pod}: ${describe(result)}`);
  return { ms, cpuMs: (used.user + used.system) / 1000 };
}

async function shellReady(target: PodRef, shells: string[] | undefined): Promise<{ ms: number; shell: string }> {
  const started = performance.now();
  const { session, shell } = await openShell(config(), target, { shells, size: { columns: 80, rows: 24 } });
  // openShell resolves at the shell's first output (or after a quiet start); check which.
  const seen = await session.firstOutput;
  const ms = performance.now() - started;
  session.stdout.resume();
  session.close();
  await session.result;
  if (!seen) throw new Error(`shell ${shell} in ${target.pod} printed nothing before it ended`);
  return { ms, shell };
}

/** Types `count` keys one at a time into a TTY shell, each after the previous echo came back. */
async function keystrokes(target: PodRef, command: string[], count: number): Promise<{ p50: number; p99: number; max: number }> {
  const session = ExecSession.start(config(), { ...target, command, stdin: true, tty: true, size: { columns: 4000, rows: 24 }, keepaliveIntervalMs: 0 });
  try {
    if (!(await session.firstOutput)) throw new Error(`${command.join(' ')} in ${target.pod} ended before its prompt: ${describe(await session.result)}`);
    const latencies = await typeKeys(count, (key) => session.stdin.write(key), (listener) => {
      session.stdout.on('data', listener);
      return () => session.stdout.off('data', listener);
    });
    return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.max(...latencies) };
  } finally {
    session.stdin.write('\x15exit\r');
    session.close();
    await session.result;
  }
}

/** One command on many pods through the saved-commands runner, as the extension runs it. */
async function fanOut(targets: PodRef[], command: string[], concurrency: number): Promise<number> {
  const kc = config();
  const context = kc.getCurrentContext();
  const jobs = targets.map((t) => ({ target: { context, namespace: t.namespace, pod: t.pod, container: t.container ?? 'app', node: '' }, argv: command }));
  const started = performance.now();
  const report = await runFanOut(jobs, execStarter({ kubeConfig: () => kc, keepaliveIntervalMs: 0 }), { concurrency });
  const ms = performance.now() - started;
  const failed = report.results.filter(isFailure);
  if (failed.length > 0) throw new Error(`${failed.length} of ${targets.length} execs failed, e.g. ${failed[0]!.target.namespace}/${failed[0]!.target.pod}: ${failed[0]!.message ?? `exit ${failed[0]!.exitCode}`}`);
  return ms;
}

async function handle(req: EngineRequest): Promise<unknown> {
  switch (req.op) {
    case 'init': {
      const loaded = await loadKubeconfig({ files: [req.kubeconfig] });
      kubeConfig = kubeConfigForContext(loaded, req.context);
      return {};
    }
    case 'oneShot':
      return oneShot(req.target, req.command);
    case 'shellReady':
      return shellReady(req.target, req.shells);
    case 'keystrokes':
      return keystrokes(req.target, req.command, req.count);
    case 'bareExec':
      return { ms: (await bareExec(config(), req.target, req.command)).ms };
    case 'fanOut':
      return { ms: await fanOut(req.targets, req.command, req.concurrency) };
  }
}

if (process.send) {
  process.on('message', (req: EngineRequest) => {
    handle(req).then(
      (value) => process.send!({ id: req.id, ok: true, value } satisfies EngineReply),
      (err: unknown) => process.send!({ id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) } satisfies EngineReply),
    );
  });
  // The runner going away (even killed) closes the channel: nothing else keeps this process.
  process.on('disconnect', () => process.exit(0));
}
