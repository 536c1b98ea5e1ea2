// What a person wants to know about a pod at a glance, derived the way `kubectl get pods`
// derives its STATUS column, so the tree and the CLI agree with what users already know.
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';

export type PodState =
  | 'running' // running and every container ready
  | 'notReady' // running, but some container is not ready
  | 'pending'
  | 'succeeded'
  | 'failed'
  | 'crashLoop'
  | 'terminating';

export interface PodSummary {
  state: PodState;
  /** The STATUS column of `kubectl get pods`: Running, Pending, CrashLoopBackOff, Completed, Terminating, ... */
  reason: string;
  ready: number;
  total: number;
  restarts: number;
  /** Milliseconds since the pod was created, or undefined when the API did not say. */
  ageMs: number | undefined;
}

export type ContainerKind = 'container' | 'init' | 'ephemeral';

export interface ContainerSummary {
  name: string;
  kind: ContainerKind;
  image: string;
  /** running | waiting | terminated | unknown */
  state: 'running' | 'waiting' | 'terminated' | 'unknown';
  /** Waiting or terminated reason (CrashLoopBackOff, Completed, Error...), when there is one. */
  reason?: string;
  ready: boolean;
  restarts: number;
  exitCode?: number;
}

export function summarizePod(pod: V1Pod, now: number = Date.now()): PodSummary {
  const statuses = pod.status?.containerStatuses ?? [];
  const total = pod.spec?.containers?.length ?? statuses.length;
  const ready = statuses.filter((s) => s.ready).length;
  const restarts = statuses.reduce((sum, s) => sum + (s.restartCount ?? 0), 0);
  const created = pod.metadata?.creationTimestamp;
  const ageMs = created ? Math.max(0, now - new Date(created).getTime()) : undefined;
  const base = { ready, total, restarts, ageMs };

  if (pod.metadata?.deletionTimestamp) return { ...base, state: 'terminating', reason: 'Terminating' };

  const phase = pod.status?.phase ?? 'Unknown';
  const initReason = initContainerReason(pod);
  if (initReason) {
    const state: PodState = initReason.startsWith('Init:CrashLoopBackOff') ? 'crashLoop' : phase === 'Failed' ? 'failed' : 'pending';
    return { ...base, state, reason: initReason };
  }
  const waiting = statuses.find((s) => s.state?.waiting?.reason)?.state?.waiting?.reason;
  if (waiting === 'CrashLoopBackOff') return { ...base, state: 'crashLoop', reason: waiting };
  const terminated = statuses.find((s) => s.state?.terminated?.reason && !s.state.running)?.state?.terminated?.reason;

  switch (phase) {
    case 'Succeeded':
      return { ...base, state: 'succeeded', reason: terminated ?? pod.status?.reason ?? 'Completed' };
    case 'Failed':
      return { ...base, state: 'failed', reason: pod.status?.reason ?? terminated ?? 'Error' };
    case 'Pending':
      return { ...base, state: 'pending', reason: waiting ?? pod.status?.reason ?? 'Pending' };
    case 'Running':
      if (waiting) return { ...base, state: 'notReady', reason: waiting };
      return { ...base, state: ready === total && total > 0 ? 'running' : 'notReady', reason: 'Running' };
    default:
      return { ...base, state: 'pending', reason: pod.status?.reason ?? phase };
  }
}

function initContainerReason(pod: V1Pod): string | undefined {
  const specs = pod.spec?.initContainers ?? [];
  const statuses = pod.status?.initContainerStatuses ?? [];
  for (let i = 0; i < statuses.length; i++) {
    const s = statuses[i];
    if (s.state?.terminated?.exitCode === 0) continue;
    if (s.state?.terminated) return `Init:${s.state.terminated.reason ?? 'Error'}`;
    if (s.state?.waiting?.reason && s.state.waiting.reason !== 'PodInitializing') return `Init:${s.state.waiting.reason}`;
    return `Init:${i}/${specs.length || statuses.length}`;
  }
  return undefined;
}

/** Every container of the pod: init containers first, then the app containers, then ephemeral ones. */
export function summarizeContainers(pod: V1Pod): ContainerSummary[] {
  const spec = pod.spec;
  const status = pod.status;
  const groups: Array<[ContainerKind, Array<{ name: string; image?: string }>, V1ContainerStatus[]]> = [
    ['init', spec?.initContainers ?? [], status?.initContainerStatuses ?? []],
    ['container', spec?.containers ?? [], status?.containerStatuses ?? []],
    ['ephemeral', spec?.ephemeralContainers ?? [], status?.ephemeralContainerStatuses ?? []],
  ];
  const result: ContainerSummary[] = [];
  for (const [kind, containers, statuses] of groups) {
    for (const c of containers) {
      const s = statuses.find((x) => x.name === c.name);
      const st = s?.state;
      result.push({
        name: c.name,
        kind,
        image: c.image ?? s?.image ?? '',
        state: st?.running ? 'running' : st?.waiting ? 'waiting' : st?.terminated ? 'terminated' : 'unknown',
        reason: st?.waiting?.reason ?? st?.terminated?.reason,
        ready: s?.ready ?? false,
        restarts: s?.restartCount ?? 0,
        exitCode: st?.terminated?.exitCode,
      });
    }
  }
  return result;
}

/** Age as kubectl prints it: 45s, 12m, 5h, 3d, 2y (with a second unit while small). */
export function formatAge(ms: number | undefined): string {
  if (ms === undefined) return '<unknown>';
  const s = Math.floor(ms / 1000);
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return h % 24 ? `${d}d${h % 24}h` : `${d}d`;
  if (d < 365 * 2) return `${d}d`;
  const y = Math.floor(d / 365);
  return d % 365 && y < 8 ? `${y}y${d % 365}d` : `${y}y`;
}

/** The node OS a pod runs on, as far as the pod itself says (used for shell choice). */
export function podNodeOS(pod: V1Pod): string | undefined {
  return pod.spec?.nodeSelector?.['kubernetes.io/os'] ?? pod.metadata?.labels?.['kubernetes.io/os'];
}
