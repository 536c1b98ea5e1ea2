// Which pods (and which container in each) a saved command runs in: the command says where it
// applies (contexts, namespace patterns, a label selector) and which container; the pod must be
// running. Pods that cannot take it are returned with the reason, so the user sees why.
import type { V1Pod } from '@kubernetes/client-node';
import { globMatcher } from '../patterns.ts';
import { podNodeOS, summarizeContainers, summarizePod } from '../podSummary.ts';
import { matchesSelector } from './labelSelector.ts';
import type { SavedCommand } from './definitions.ts';

export interface CommandTarget {
  context: string;
  namespace: string;
  pod: string;
  container: string;
  /** The node the pod runs on ('' if unscheduled), for `${node}`. */
  node: string;
  nodeOS?: string;
}

export interface SkippedPod {
  context: string;
  namespace: string;
  pod: string;
  reason: string;
}

export type Applicability = Pick<SavedCommand, 'contexts' | 'namespaces' | 'selector'>;

/** Whether the command is meant for this context and namespace (and this pod's labels, when given). */
export function appliesTo(cmd: Applicability, context: string, namespace: string, pod?: V1Pod): boolean {
  if (!globMatcher(cmd.contexts)(context)) return false;
  if (!globMatcher(cmd.namespaces)(namespace)) return false;
  return pod === undefined || matchesSelector(cmd.selector, pod.metadata?.labels);
}

/**
 * The target in `pod` for `cmd`: the container it names (or the first running one matching its
 * pattern), else the pod's default container, else its first running app container.
 * `container` overrides the choice (the user picked a container node).
 */
export function targetInPod(cmd: Pick<SavedCommand, 'container'>, context: string, pod: V1Pod, container?: string): CommandTarget | SkippedPod {
  const name = pod.metadata?.name ?? '';
  const namespace = pod.metadata?.namespace ?? '';
  const skip = (reason: string): SkippedPod => ({ context, namespace, pod: name, reason });
  const summary = summarizePod(pod);
  if (summary.state === 'terminating') return skip('the pod is terminating');
  const running = summarizeContainers(pod).filter((c) => c.kind !== 'init' && c.state === 'running');
  let chosen: string | undefined;
  if (container !== undefined) {
    chosen = running.find((c) => c.name === container)?.name;
    if (!chosen) return skip(`container ${container} is not running`);
  } else if (cmd.container) {
    const matches = globMatcher([cmd.container]);
    chosen = running.find((c) => matches(c.name))?.name;
    if (!chosen) {
      const any = summarizeContainers(pod).some((c) => matches(c.name));
      return skip(any ? `container ${cmd.container} is not running` : `no container matches "${cmd.container}"`);
    }
  } else {
    const preferred = pod.metadata?.annotations?.['kubectl.kubernetes.io/default-container'];
    chosen = running.find((c) => c.name === preferred)?.name ?? running.find((c) => c.kind === 'container')?.name;
    if (!chosen) return skip(`no container is running (${summary.reason})`);
  }
  return { context, namespace, pod: name, container: chosen, node: pod.spec?.nodeName ?? '', nodeOS: podNodeOS(pod) };
}

export function isSkipped(t: CommandTarget | SkippedPod): t is SkippedPod {
  return 'reason' in t;
}

/** What target discovery needs from a cluster client (ClusterClient has it). */
export interface PodSource {
  readonly namespace: string;
  listNamespaces(signal?: AbortSignal): Promise<{ names: string[] }>;
  listAllPods(namespace: string | undefined, options: { labelSelector?: string; signal?: AbortSignal }): Promise<{ pods: V1Pod[] }>;
}

export interface FindOptions {
  context: string;
  /** Namespaces to look in. Default: those matching the command's patterns, or the context's namespace. */
  namespaces?: string[];
  /** A selector the user added for this run; combined with the command's own. */
  labelSelector?: string;
  signal?: AbortSignal;
}

/** Every running pod the command applies to, in namespace and name order. */
export async function findTargets(
  source: PodSource,
  cmd: Pick<SavedCommand, 'container' | 'namespaces' | 'labelSelector' | 'selector' | 'contexts'>,
  options: FindOptions,
): Promise<{ targets: CommandTarget[]; skipped: SkippedPod[] }> {
  let namespaces = options.namespaces;
  if (!namespaces) {
    if (cmd.namespaces.length === 0) {
      namespaces = [source.namespace];
    } else {
      const matches = globMatcher(cmd.namespaces);
      namespaces = (await source.listNamespaces(options.signal)).names.filter(matches).sort();
    }
  }
  const labelSelector = [cmd.labelSelector, options.labelSelector].filter((s) => s && s.trim()).join(',') || undefined;
  const targets: CommandTarget[] = [];
  const skipped: SkippedPod[] = [];
  for (const namespace of namespaces) {
    const { pods } = await source.listAllPods(namespace, { labelSelector, signal: options.signal });
    pods.sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
    for (const pod of pods) {
      const t = targetInPod(cmd, options.context, pod);
      if (isSkipped(t)) skipped.push(t);
      else targets.push(t);
    }
  }
  return { targets, skipped };
}
