// Reads kubeconfig files the way kubectl does, without kubectl: KUBECONFIG (or ~/.kube/config),
// first definition of a name wins, paths relative to the file that holds them. Unlike
// client-node's loadFromDefault it never blocks the extension host (fs/promises), keeps going
// when one file is broken (reporting it), and never writes anything back. It loads neither
// client-node nor a full YAML parser for a common file: this runs when the extension activates.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { ContextConfig } from './contextConfig.ts';
import { asRecord, entryProblem, readEntries, type KubeconfigEntries } from './kubeconfigEntries.ts';
import { parseYamlDocument } from './yaml.ts';

export interface ContextInfo {
  name: string;
  cluster: string;
  user: string;
  /** The context's namespace, or 'default' when it names none (as kubectl does). */
  namespace: string;
  /** True when the context sets a namespace itself. */
  namespaceExplicit: boolean;
  /** The API server URL of the context's cluster; undefined when that cluster is not defined. */
  server?: string;
  current: boolean;
}

export interface KubeconfigProblem {
  file: string;
  /** A full sentence that names the file and says what is wrong with it. */
  message: string;
}

export interface LoadedKubeconfig {
  /** Every file merged into one config; its current context is the kubeconfig's current-context. */
  entries: KubeconfigEntries;
  /** In file order, then in the order each file lists them. */
  contexts: ContextInfo[];
  currentContext?: string;
  /** Files that exist, in load order (including ones that had problems): what to watch for changes. */
  files: string[];
  problems: KubeconfigProblem[];
}

/** The kubeconfig files kubectl would read: $KUBECONFIG split on the path delimiter, else ~/.kube/config. */
export function kubeconfigPaths(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string[] {
  const list = env.KUBECONFIG;
  if (list) {
    const files = [...new Set(list.split(path.delimiter).filter((entry) => entry.length > 0))];
    if (files.length > 0) return files;
  }
  return [path.join(home, '.kube', 'config')];
}

type FileResult = { kind: 'missing' } | { kind: 'failed'; problem: KubeconfigProblem; exists?: false } | { kind: 'loaded'; parsed: KubeconfigEntries; problems: KubeconfigProblem[] };

/**
 * Loads and merges kubeconfig files. `files` replaces the KUBECONFIG/default list (missing ones
 * are skipped silently, as kubectl does); `extraFiles` are files the user configured
 * explicitly, read after those, and a missing one is reported as a problem.
 */
export async function loadKubeconfig(options: { files?: string[]; extraFiles?: string[] } = {}): Promise<LoadedKubeconfig> {
  const base = options.files ?? kubeconfigPaths();
  const explicit = new Set(options.extraFiles ?? []);
  const order = [...new Set([...base, ...(options.extraFiles ?? [])])];
  // Read in parallel, merge in order: the order is what decides who wins.
  const results = await Promise.all(order.map((file) => readKubeconfigFile(file, explicit.has(file) && !base.includes(file))));

  const files: string[] = [];
  const problems: KubeconfigProblem[] = [];
  const clusters = new Map<string, KubeconfigEntries['clusters'][number]>();
  const users = new Map<string, KubeconfigEntries['users'][number]>();
  const contexts = new Map<string, KubeconfigEntries['contexts'][number]>();
  const contextOrigin = new Map<string, string>();
  let currentContext: string | undefined;

  results.forEach((result, i) => {
    const file = order[i];
    if (result.kind === 'missing') return;
    if (result.kind !== 'failed' || result.exists !== false) files.push(file);
    if (result.kind === 'failed') {
      problems.push(result.problem);
      return;
    }
    problems.push(...result.problems);
    const { parsed } = result;
    for (const c of parsed.clusters) if (!clusters.has(c.name)) clusters.set(c.name, c);
    for (const u of parsed.users) if (!users.has(u.name)) users.set(u.name, u);
    for (const c of parsed.contexts) {
      if (!contexts.has(c.name)) {
        contexts.set(c.name, c);
        contextOrigin.set(c.name, file);
      }
    }
    if (currentContext === undefined && parsed.currentContext) currentContext = parsed.currentContext;
  });

  const entries: KubeconfigEntries = { clusters: [...clusters.values()], users: [...users.values()], contexts: [...contexts.values()], currentContext };

  const infos: ContextInfo[] = [];
  for (const ctx of contexts.values()) {
    const cluster = clusters.get(ctx.cluster);
    const file = contextOrigin.get(ctx.name) ?? '';
    if (!cluster) {
      problems.push({ file, message: `Context "${ctx.name}" in ${file} refers to cluster "${ctx.cluster}", which no kubeconfig file defines.` });
    }
    if (ctx.user && !users.has(ctx.user)) {
      problems.push({ file, message: `Context "${ctx.name}" in ${file} refers to user "${ctx.user}", which no kubeconfig file defines.` });
    }
    infos.push({
      name: ctx.name,
      cluster: ctx.cluster,
      user: ctx.user ?? '',
      namespace: ctx.namespace || 'default',
      namespaceExplicit: !!ctx.namespace,
      server: cluster?.server,
      current: ctx.name === currentContext,
    });
  }
  if (currentContext !== undefined && !contexts.has(currentContext)) {
    problems.push({ file: files[0] ?? '', message: `The current context "${currentContext}" is not defined in any kubeconfig file.` });
  }

  return { entries, contexts: infos, currentContext, files, problems };
}

async function readKubeconfigFile(file: string, mustExist: boolean): Promise<FileResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if ((code === 'ENOENT' || code === 'ENOTDIR') && !mustExist) return { kind: 'missing' };
    const why = code === 'ENOENT' || code === 'ENOTDIR' ? 'the file does not exist' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (err as Error).message;
    const exists = code === 'ENOENT' || code === 'ENOTDIR' ? false : undefined;
    return { kind: 'failed', problem: { file, message: `Cannot read kubeconfig ${file}: ${why}.` }, exists };
  }

  let doc: unknown;
  try {
    doc = await parseYamlDocument(text);
  } catch (err) {
    return { kind: 'failed', problem: { file, message: `Cannot parse kubeconfig ${file}: ${(err as Error).message}.` } };
  }
  if (doc === undefined || doc === null) return { kind: 'loaded', parsed: { clusters: [], users: [], contexts: [] }, problems: [] };
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    return { kind: 'failed', problem: { file, message: `Cannot use kubeconfig ${file}: it is not a kubeconfig (expected a mapping with clusters, users and contexts).` } };
  }
  const raw = doc as Record<string, unknown>;
  for (const section of ['clusters', 'users', 'contexts']) {
    if (raw[section] !== undefined && raw[section] !== null && !Array.isArray(raw[section])) {
      return { kind: 'failed', problem: { file, message: `Cannot use kubeconfig ${file}: "${section}" must be a list.` } };
    }
  }
  if (raw['current-context'] !== undefined && raw['current-context'] !== null && typeof raw['current-context'] !== 'string') {
    return { kind: 'failed', problem: { file, message: `Cannot use kubeconfig ${file}: "current-context" must be a string.` } };
  }

  resolveRelativePaths(raw, path.dirname(path.resolve(file)));

  // Entries are checked as client-node checks them (a cluster needs a server, ...). Report the
  // first invalid one, then keep the valid ones so one typo does not hide a whole file.
  const { entries, firstInvalid } = readEntries(raw, file);
  const problems: KubeconfigProblem[] = [];
  if (firstInvalid) problems.push({ file, message: `Kubeconfig ${file} has an invalid entry, which was skipped: ${firstInvalid}.` });
  for (const entry of [...entries.clusters, ...entries.users]) {
    // The tree names the file in the problem's row already.
    const problem = entryProblem(entry, false);
    if (problem) problems.push({ file, message: problem });
  }
  return { kind: 'loaded', parsed: entries, problems };
}

function resolveAgainst(dir: string, record: Record<string, unknown>, key: string): void {
  const value = record[key];
  if (typeof value === 'string' && value !== '' && !path.isAbsolute(value)) record[key] = path.resolve(dir, value);
}

/**
 * kubectl resolves certificate-authority, client-certificate, client-key, token-file and an
 * exec command that contains a path separator against the directory of the file that names
 * them (client-go ResolveLocalPaths). token-file is turned into client-node's own
 * `tokenFile` auth provider, which re-reads it like client-go does; as in client-go it takes
 * precedence over a plain token.
 */
function resolveRelativePaths(raw: Record<string, unknown>, dir: string): void {
  for (const entry of (raw.clusters as unknown[] | undefined) ?? []) {
    const cluster = asRecord(asRecord(entry)?.cluster);
    if (cluster) resolveAgainst(dir, cluster, 'certificate-authority');
  }
  for (const entry of (raw.users as unknown[] | undefined) ?? []) {
    const user = asRecord(asRecord(entry)?.user);
    if (!user) continue;
    resolveAgainst(dir, user, 'client-certificate');
    resolveAgainst(dir, user, 'client-key');
    resolveAgainst(dir, user, 'token-file');
    const exec = asRecord(user.exec);
    if (exec && typeof exec.command === 'string' && (exec.command.includes('/') || exec.command.includes(path.sep))) {
      resolveAgainst(dir, exec, 'command');
    }
    const tokenFile = user['token-file'];
    delete user['token-file'];
    if (typeof tokenFile === 'string' && tokenFile !== '' && user['auth-provider'] === undefined) {
      delete user.token;
      user['auth-provider'] = { name: 'tokenFile', config: { tokenFile } };
    }
  }
}

/**
 * The engine's view of one context (see ContextConfig): its own copy of the context, cluster
 * and user, so nothing done through it reaches the loaded config; nothing is ever written to
 * the kubeconfig files.
 */
export function kubeConfigForContext(loaded: LoadedKubeconfig, contextName: string): ContextConfig {
  return new ContextConfig(loaded.entries, contextName);
}
