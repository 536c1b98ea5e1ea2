// The clusters, users and contexts of one parsed kubeconfig file, in the shapes client-node's
// KubeConfig holds (its Cluster, User and Context types), checked the way client-node checks
// them. Done here rather than by KubeConfig.loadFromString so that listing contexts when the
// extension activates does not load client-node at all; it is loaded on the first request.
import type { Cluster, Context, User } from '@kubernetes/client-node';
import { authProviderProblem, base64Problem } from './credentials.ts';

export interface KubeconfigEntries {
  clusters: Cluster[];
  users: User[];
  contexts: Context[];
  currentContext?: string;
}

export interface ReadEntries {
  entries: KubeconfigEntries;
  /** What was wrong with the first invalid entry (it and any other invalid one are left out). */
  firstInvalid?: string;
}

type Raw = Record<string, unknown>;

/**
 * Why an entry cannot be used to connect (a *-data field that is not base64), kept on the entry
 * rather than dropping it, so that the context using it says so instead of "no such cluster".
 */
export interface EntryProblem {
  problem?: string;
  /** The file that defined the entry, named when the problem is reported on its own. */
  problemFile?: string;
}

/**
 * The problem of an entry, if readEntries found one (see EntryProblem), naming its file unless
 * `withFile` is false (where the file is named already, as in the tree's row for the file).
 */
export function entryProblem(entry: Cluster | User | null | undefined, withFile = true): string | undefined {
  const e = entry as EntryProblem | null | undefined;
  if (!e?.problem) return undefined;
  return withFile && e.problemFile ? `Kubeconfig ${e.problemFile}: ${e.problem}` : e.problem;
}

function withProblem(problem: string | undefined, file: string | undefined): EntryProblem {
  if (!problem) return {};
  return file ? { problem, problemFile: file } : { problem };
}

function dataProblems(record: Raw | undefined, fields: readonly string[], entry: string): string | undefined {
  for (const key of fields) {
    const value = record?.[key];
    const problem = typeof value === 'string' ? base64Problem(value) : undefined;
    if (problem) return `${key} of ${entry} could not be decoded (${problem}). Fix it in the kubeconfig.`;
  }
  return undefined;
}

/** The value as a YAML mapping, or undefined when it is not one. */
export function asRecord(value: unknown): Raw | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Raw) : undefined;
}

/** A string field as client-node passes it on: whatever the YAML held, undefined when absent. */
function field<T = string>(value: Raw | undefined, key: string): T | undefined {
  const v = value?.[key];
  return v === null || v === undefined ? undefined : (v as T);
}

function toCluster(elt: Raw, i: number, file?: string): Cluster {
  const cluster = asRecord(elt.cluster);
  if (!elt.name) throw new Error(`clusters[${i}].name is missing`);
  if (!cluster) throw new Error(`clusters[${i}].cluster is missing`);
  if (!cluster.server) throw new Error(`clusters[${i}].cluster.server is missing`);
  const insecureWithCa = cluster['insecure-skip-tls-verify'] === true && (cluster['certificate-authority'] || cluster['certificate-authority-data']);
  const problem = insecureWithCa
    ? `cluster "${String(elt.name)}" sets both insecure-skip-tls-verify and a certificate authority; kubectl refuses that too. Keep one of them.`
    : dataProblems(cluster, ['certificate-authority-data'], `cluster "${String(elt.name)}"`);
  return {
    ...withProblem(problem, file),
    name: String(elt.name),
    server: String(cluster.server).replace(/\/$/, ''),
    caData: field(cluster, 'certificate-authority-data'),
    caFile: field(cluster, 'certificate-authority'),
    skipTLSVerify: cluster['insecure-skip-tls-verify'] === true,
    tlsServerName: field(cluster, 'tls-server-name'),
    proxyUrl: field(cluster, 'proxy-url'),
  };
}

function toUser(elt: Raw, i: number, file?: string): User {
  if (!elt.name) throw new Error(`users[${i}].name is missing`);
  const user = asRecord(elt.user);
  const provider = authProviderProblem(user?.['auth-provider']);
  const problem = provider
    ? `user "${String(elt.name)}": ${provider}. Kube Exec knows the azure, gcp and oidc providers; use an exec credential plugin for others.`
    : dataProblems(user, ['client-certificate-data', 'client-key-data'], `user "${String(elt.name)}"`);
  // token-file never gets here: kubeconfig.ts turns it into a tokenFile auth provider first.
  return {
    ...withProblem(problem, file),
    name: String(elt.name),
    authProvider: field(user, 'auth-provider'),
    certData: field(user, 'client-certificate-data'),
    certFile: field(user, 'client-certificate'),
    exec: field(user, 'exec'),
    keyData: field(user, 'client-key-data'),
    keyFile: field(user, 'client-key'),
    token: user?.token ? String(user.token) : undefined,
    username: field(user, 'username'),
    password: field(user, 'password'),
    impersonateUser: field(user, 'as'),
  };
}

function toContext(elt: Raw, i: number): Context {
  const context = asRecord(elt.context);
  if (!elt.name) throw new Error(`contexts[${i}].name is missing`);
  if (!context) throw new Error(`contexts[${i}].context is missing`);
  if (!context.cluster) throw new Error(`contexts[${i}].context.cluster is missing`);
  return {
    name: String(elt.name),
    cluster: String(context.cluster),
    // client-node's type says string; an absent user is undefined there too.
    user: (context.user || undefined) as string,
    namespace: context.namespace ? String(context.namespace) : undefined,
  };
}

/**
 * Reads the three lists of a kubeconfig document (already checked to be lists or absent).
 * Invalid entries are skipped, so one typo does not hide a whole file; the first one found
 * (clusters, then contexts, then users, as client-node checks them) is reported.
 */
export function readEntries(raw: Raw, file?: string): ReadEntries {
  let firstInvalid: string | undefined;
  function convert<T>(list: unknown, make: (elt: Raw, i: number, file?: string) => T): T[] {
    if (!Array.isArray(list)) return [];
    const out: T[] = [];
    list.forEach((elt: unknown, i) => {
      try {
        out.push(make(asRecord(elt) ?? {}, i, file));
      } catch (err) {
        firstInvalid ??= (err as Error).message;
      }
    });
    return out;
  }
  const clusters = convert(raw.clusters, toCluster);
  const contexts = convert(raw.contexts, toContext);
  const users = convert(raw.users, toUser);
  const current = raw['current-context'];
  return {
    entries: { clusters, users, contexts, currentContext: typeof current === 'string' && current !== '' ? current : undefined },
    firstInvalid,
  };
}
