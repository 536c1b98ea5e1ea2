// `kube-exec pods [--kubeconfig F] [--context C] [-n NS | -A]`: the table of `kubectl get pods`
// (NAME READY STATUS RESTARTS AGE, NAMESPACE first with -A), from the same pod summary the
// tree uses. Lists in pages of 500 like kubectl.
import type { V1Pod } from '@kubernetes/client-node';
import { InvalidNameError, podsPath } from '../kube/names.ts';
import { formatAge, summarizePod } from '../kube/podSummary.ts';
import { boolFlag, CONNECTION_FLAGS, parseArgs, stringFlag, UsageError, type FlagSpec } from './args.ts';
import { getJson, KubectlError } from './http.ts';
import { KubeconfigError, loadCliKubeConfig } from './kubeconfig.ts';

const FLAGS: readonly FlagSpec[] = [...CONNECTION_FLAGS, { long: 'all-namespaces', short: 'A', value: false }];

export const PODS_USAGE = `Usage: kube-exec pods [--kubeconfig FILE] [--context NAME] [-n NAMESPACE | -A]
Lists pods like kubectl get pods.
`;

const PAGE = 500;

export async function runPods(argv: readonly string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const fail = (line: string): number => {
    err.write(`${line}\n`);
    return 1;
  };
  let parsed;
  try {
    parsed = parseArgs(argv, FLAGS);
  } catch (e) {
    if (e instanceof UsageError) return fail(`error: ${e.message}\nSee 'kube-exec pods --help' for usage.`);
    throw e;
  }
  if (parsed.positionals.length > 0 || parsed.rest) return fail(`error: unexpected arguments: ${[...parsed.positionals, ...(parsed.rest ?? [])].join(' ')}`);
  let kubeConfig;
  try {
    kubeConfig = await loadCliKubeConfig({ kubeconfig: stringFlag(parsed, 'kubeconfig'), context: stringFlag(parsed, 'context') });
  } catch (e) {
    if (e instanceof KubeconfigError) return fail(`error: ${e.message}`);
    throw e;
  }
  const all = boolFlag(parsed, 'all-namespaces');
  const namespace = stringFlag(parsed, 'namespace') || kubeConfig.namespace;
  let base: string;
  try {
    base = podsPath(all ? undefined : namespace);
  } catch (e) {
    // kubectl get prints this one without its usual "error: ".
    if (e instanceof InvalidNameError) return fail(e.message);
    throw e;
  }

  const pods: V1Pod[] = [];
  let continueToken: string | undefined;
  try {
    do {
      const query = `?limit=${PAGE}${continueToken ? `&continue=${encodeURIComponent(continueToken)}` : ''}`;
      // Raw JSON, not client-node's deserialised objects: timestamps are strings, `continue` is `continue`.
      const page = await getJson<{ items?: V1Pod[]; metadata?: { continue?: string } }>(kubeConfig, base + query);
      pods.push(...(page.items ?? []));
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken);
  } catch (e) {
    if (e instanceof KubectlError) return fail(e.line);
    throw e;
  }

  if (pods.length === 0) {
    err.write(all ? 'No resources found\n' : `No resources found in ${namespace} namespace.\n`);
    return 0;
  }
  const now = Date.now();
  const rows: string[][] = [all ? ['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'] : ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']];
  for (const pod of pods) {
    const summary = summarizePod(pod, now);
    const row = [pod.metadata?.name ?? '', `${summary.ready}/${summary.total}`, summary.reason, restartsCell(pod, summary.restarts, now), formatAge(summary.ageMs)];
    if (all) row.unshift(pod.metadata?.namespace ?? '');
    rows.push(row);
  }
  out.write(formatTable(rows));
  return 0;
}

/** "5" or, once a container has restarted, "5 (88s ago)" from the latest termination. */
function restartsCell(pod: V1Pod, restarts: number, now: number): string {
  let last = 0;
  for (const status of pod.status?.containerStatuses ?? []) {
    const finished = status.lastState?.terminated?.finishedAt;
    if (finished) last = Math.max(last, new Date(finished).getTime());
  }
  return restarts !== 0 && last > 0 ? `${restarts} (${formatAge(Math.max(0, now - last))} ago)` : String(restarts);
}

/** Go's tabwriter as kubectl sets it up: columns padded by 3, at least 6 wide, last one not padded. */
export function formatTable(rows: readonly string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    for (let i = 0; i < row.length - 1; i++) widths[i] = Math.max(widths[i] ?? 0, Math.max(6, row[i].length + 3));
  }
  return rows.map((row) => row.map((cell, i) => (i < row.length - 1 ? cell.padEnd(widths[i]) : cell)).join('') + '\n').join('');
}
