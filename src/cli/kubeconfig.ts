// Kubeconfig for the CLI. A one-shot `exec` must start fast, and client-node costs ~150 ms to
// load (undici, the generated API, auth providers), so the common kubeconfig is read here:
// files merged as kubectl merges them (--kubeconfig, else $KUBECONFIG, else ~/.kube/config;
// first definition of a name wins), CA / client certificate / token / token file / basic auth /
// exec credential plugins / impersonation. YAML beyond what yaml.ts reads goes to js-yaml;
// auth-provider, proxy-url and the like fall back to client-node's KubeConfig (clientNode.ts),
// loaded only then.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import type { ClientOptions } from 'ws';
import type { KubeConfigLike } from '../kube/exec/connect.ts';
import { loadClientNode } from '../kube/clientNode.ts';
import { authProviderProblem, decodeBase64Field } from '../kube/credentials.ts';
import { parseYamlDocument, type YamlValue } from '../kube/yaml.ts';

export interface CliKubeConfig extends KubeConfigLike {
  /** The context's namespace, or "default". */
  readonly namespace: string;
}

export interface LoadOptions {
  kubeconfig?: string;
  context?: string;
  env?: NodeJS.ProcessEnv;
}

/** A kubeconfig feature the quick reader leaves to client-node. */
class NeedsFullLoader extends Error {}

/** A problem with the kubeconfig itself, worded for the person who wrote it. */
export class KubeconfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeconfigError';
  }
}

type Obj = { [key: string]: YamlValue };

interface Named {
  name: string;
  value: Obj;
  /** Directory of the file that defined it: relative paths are relative to it. */
  dir: string;
  /** The file that defined it, named in messages about it. */
  file: string;
  /** "cluster" or "user", for messages. */
  kind: string;
}

export async function loadCliKubeConfig(options: LoadOptions = {}): Promise<CliKubeConfig> {
  const env = options.env ?? process.env;
  const files = kubeconfigFiles(options.kubeconfig, env);
  try {
    return await loadQuick(files, options, env);
  } catch (err) {
    if (err instanceof NeedsFullLoader) return loadFull(files, options);
    throw err;
  }
}

function kubeconfigFiles(explicit: string | undefined, env: NodeJS.ProcessEnv): { paths: string[]; explicit: boolean } {
  if (explicit) return { paths: [explicit], explicit: true };
  const fromEnv = (env.KUBECONFIG ?? '').split(delimiter).filter((p) => p !== '');
  if (fromEnv.length > 0) return { paths: fromEnv, explicit: false };
  return { paths: [join(env.HOME || homedir(), '.kube', 'config')], explicit: false };
}

async function loadQuick(files: { paths: string[]; explicit: boolean }, options: LoadOptions, env: NodeJS.ProcessEnv): Promise<CliKubeConfig> {
  const clusters = new Map<string, Named>();
  const users = new Map<string, Named>();
  const contexts = new Map<string, Named>();
  let currentContext = '';
  const seen = new Set<string>();
  for (const path of files.paths) {
    if (seen.has(path)) continue;
    seen.add(path);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      // kubectl ignores missing files in $KUBECONFIG, but not a file named on the command line.
      if (files.explicit || (err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new KubeconfigError(`stat ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
      }
      continue;
    }
    const doc = await parseKubeconfig(text, path);
    if (doc === null || doc === undefined) continue;
    if (!isObj(doc)) throw new KubeconfigError(`${path} is not a kubeconfig (expected a mapping at the top).`);
    collect(doc['clusters'], 'cluster', clusters, path);
    collect(doc['users'], 'user', users, path);
    collect(doc['contexts'], 'context', contexts, path);
    if (!currentContext && typeof doc['current-context'] === 'string') currentContext = doc['current-context'];
  }

  const contextName = options.context || currentContext;
  if (!contextName) {
    throw new KubeconfigError('No context: the kubeconfig has no current-context. Pass --context NAME, or set one with kubectl config use-context NAME.');
  }
  const context = contexts.get(contextName);
  if (!context) throw new KubeconfigError(`context was not found for specified context: ${contextName}`);
  const clusterName = str(context.value['cluster']);
  const userName = str(context.value['user']);
  const cluster = clusterName ? clusters.get(clusterName) : undefined;
  if (!cluster) throw new KubeconfigError(`cluster "${clusterName ?? ''}" of context "${contextName}" was not found in the kubeconfig.`);
  const server = str(cluster.value['server']);
  if (!server) throw new KubeconfigError(`cluster "${clusterName}" has no server URL in the kubeconfig.`);
  if (cluster.value['proxy-url']) throw new NeedsFullLoader();
  const user = userName ? users.get(userName) : undefined;
  const providerProblem = user ? authProviderProblem(user.value['auth-provider']) : undefined;
  if (providerProblem) throw new KubeconfigError(providerProblem);
  // kubectl would ask for a user name here; going on without credentials would be a silent fallback.
  if (userName && !user) throw new KubeconfigError(`user "${userName}" of context "${contextName}" was not found in the kubeconfig.`);
  if (cluster.value['insecure-skip-tls-verify'] === true && (cluster.value['certificate-authority'] || cluster.value['certificate-authority-data'])) {
    throw new KubeconfigError(`cluster "${clusterName}": specifying a root certificates file with the insecure flag is not allowed`);
  }
  if (user && (user.value['auth-provider'] || user.value['as-groups'] || user.value['as-uid'] || user.value['as-user-extra'])) {
    throw new NeedsFullLoader();
  }
  const exec = user && isObj(user.value['exec']) ? user.value['exec'] : undefined;
  if (exec && exec['provideClusterInfo'] === true) throw new NeedsFullLoader();

  const namespace = str(context.value['namespace']) || 'default';
  return new QuickKubeConfig(contextName, namespace, server, cluster, user, env);
}

async function parseKubeconfig(text: string, path: string): Promise<YamlValue | undefined> {
  try {
    return (await parseYamlDocument(text)) as YamlValue | undefined;
  } catch (err) {
    throw new KubeconfigError(`Cannot parse kubeconfig ${path}: ${(err as Error).message}`);
  }
}

function collect(list: YamlValue | undefined, field: string, into: Map<string, Named>, file: string): void {
  if (!Array.isArray(list)) return;
  for (const item of list) {
    if (!isObj(item)) continue;
    const name = str(item['name']);
    const value = item[field];
    if (!name || into.has(name)) continue;
    into.set(name, { name, value: isObj(value) ? value : {}, dir: dirname(file), file, kind: field });
  }
}

class QuickKubeConfig implements CliKubeConfig {
  readonly namespace: string;
  private readonly context: string;
  private readonly cluster: { name: string; server: string };
  private readonly clusterEntry: Named;
  private readonly user: Named | undefined;
  private readonly env: NodeJS.ProcessEnv;

  constructor(context: string, namespace: string, server: string, cluster: Named, user: Named | undefined, env: NodeJS.ProcessEnv) {
    this.context = context;
    this.namespace = namespace;
    this.cluster = { name: cluster.name, server };
    this.clusterEntry = cluster;
    this.user = user;
    this.env = env;
  }

  getCurrentContext(): string {
    return this.context;
  }

  getCurrentCluster(): { name: string; server: string } {
    return this.cluster;
  }

  getCurrentUser(): { name: string } | null {
    return this.user ? { name: this.user.name } : null;
  }

  async applyToHTTPSOptions(opts: ClientOptions): Promise<void> {
    const c = this.clusterEntry;
    const u = this.user;
    const headers: Record<string, string> = { ...opts.headers };
    if (c.value['insecure-skip-tls-verify'] === true) opts.rejectUnauthorized = false;
    const serverName = str(c.value['tls-server-name']);
    if (serverName) (opts as { servername?: string }).servername = serverName;
    const ca = await bytes(c, 'certificate-authority');
    if (ca) opts.ca = ca;
    if (u) {
      const cert = await bytes(u, 'client-certificate');
      const key = await bytes(u, 'client-key');
      if (cert) opts.cert = cert;
      if (key) opts.key = key;
      const token = str(u.value['token']) ?? (await tokenFromFile(u));
      if (token) headers['Authorization'] = `Bearer ${token}`;
      const username = str(u.value['username']);
      if (username && !token) headers['Authorization'] = `Basic ${Buffer.from(`${username}:${str(u.value['password']) ?? ''}`).toString('base64')}`;
      const as = str(u.value['as']);
      if (as) headers['Impersonate-User'] = as;
      const exec = u.value['exec'];
      if (isObj(exec)) {
        const credential = await runExecPlugin(exec, u, this.env);
        if (credential.token) headers['Authorization'] = `Bearer ${credential.token}`;
        if (credential.cert) opts.cert = credential.cert;
        if (credential.key) opts.key = credential.key;
      }
    }
    opts.headers = headers;
  }
}

async function bytes(entry: Named, field: string): Promise<Buffer | undefined> {
  const data = str(entry.value[`${field}-data`]);
  if (data) {
    try {
      return decodeBase64Field(data, `${field}-data`, `${entry.kind} "${entry.name}"`, entry.file);
    } catch (err) {
      throw new KubeconfigError((err as Error).message);
    }
  }
  const file = str(entry.value[field]);
  if (!file) return undefined;
  const path = isAbsolute(file) ? file : join(entry.dir, file);
  try {
    return await readFile(path);
  } catch (err) {
    throw new KubeconfigError(`Cannot read ${field} ${path} of "${entry.name}" in the kubeconfig: ${(err as Error).message}`);
  }
}

async function tokenFromFile(user: Named): Promise<string | undefined> {
  const file = str(user.value['tokenFile']);
  if (!file) return undefined;
  const path = isAbsolute(file) ? file : join(user.dir, file);
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (err) {
    throw new KubeconfigError(`Cannot read the tokenFile ${path} of user "${user.name}": ${(err as Error).message}`);
  }
}

/** How long a credential plugin that may not interact may run. */
const PLUGIN_TIMEOUT_MS = 40_000;
/** How long one that may interact (a login in a browser) may run. */
const INTERACTIVE_PLUGIN_TIMEOUT_MS = 180_000;

interface Credential {
  token?: string;
  cert?: Buffer;
  key?: Buffer;
}

/** Runs a client-go credential plugin (ExecCredential) as kubectl does; its stderr is the user's. */
async function runExecPlugin(exec: Obj, user: Named, env: NodeJS.ProcessEnv): Promise<Credential> {
  const command = str(exec['command']);
  if (!command) throw new KubeconfigError(`The exec plugin of user "${user.name}" has no command.`);
  const apiVersion = str(exec['apiVersion']) ?? 'client.authentication.k8s.io/v1';
  const args = Array.isArray(exec['args']) ? exec['args'].map((a) => String(a)) : [];
  const childEnv: NodeJS.ProcessEnv = { ...env };
  if (Array.isArray(exec['env'])) {
    for (const e of exec['env']) if (isObj(e) && str(e['name'])) childEnv[str(e['name'])!] = String(e['value'] ?? '');
  }
  childEnv['KUBERNETES_EXEC_INFO'] = JSON.stringify({ apiVersion, kind: 'ExecCredential', spec: { interactive: false } });
  // A command with a path separator is relative to the kubeconfig file, as in client-go.
  const file = command.includes('/') && !isAbsolute(command) ? join(user.dir, command) : command;
  const { spawn } = await import('node:child_process');
  // client-go gives a plugin all the time it takes, and a hung one hangs kubectl for good. Ours
  // gets a deadline: short when it may not interact, long enough for a login in a browser
  // (kubelogin gives those 3 minutes) when it may.
  const limitMs = exec['interactiveMode'] === 'Never' ? PLUGIN_TIMEOUT_MS : INTERACTIVE_PLUGIN_TIMEOUT_MS;
  const output = await new Promise<string>((resolve, reject) => {
    // In a process group of its own, so that whatever it started goes with it on the deadline.
    const child = spawn(file, args, { env: childEnv, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    const killGroup = (): void => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    process.once('exit', killGroup);
    const timer = setTimeout(() => {
      killGroup();
      reject(new KubeconfigError(`The exec credential plugin "${command}" of user "${user.name}" did not finish within ${limitMs / 1000} s and was stopped.`));
    }, limitMs);
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (out += chunk));
    child.on('error', (err) => {
      clearTimeout(timer);
      process.off('exit', killGroup);
      reject(new KubeconfigError(`The exec credential plugin "${command}" of user "${user.name}" could not run: ${err.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      process.off('exit', killGroup);
      if (code === 0) resolve(out);
      else reject(new KubeconfigError(`The exec credential plugin "${command}" of user "${user.name}" failed with exit code ${code}.`));
    });
  });
  let status: Obj | undefined;
  try {
    const parsed = JSON.parse(output) as YamlValue;
    if (isObj(parsed) && isObj(parsed['status'])) status = parsed['status'];
  } catch {
    status = undefined;
  }
  if (!status) throw new KubeconfigError(`The exec credential plugin "${command}" did not print an ExecCredential with a status.`);
  const credential: Credential = {};
  const token = str(status['token']);
  if (token) credential.token = token;
  const cert = str(status['clientCertificateData']);
  const key = str(status['clientKeyData']);
  if (cert && key) {
    credential.cert = Buffer.from(cert);
    credential.key = Buffer.from(key);
  }
  return credential;
}

/** client-node, for kubeconfigs the quick reader does not cover (loaded only then). */
async function loadFull(files: { paths: string[]; explicit: boolean }, options: LoadOptions): Promise<CliKubeConfig> {
  const { KubeConfig } = await loadClientNode();
  const kc = new KubeConfig();
  if (files.explicit) kc.loadFromFile(files.paths[0]);
  else kc.loadFromDefault();
  if (options.context) {
    if (!kc.getContextObject(options.context)) throw new KubeconfigError(`context was not found for specified context: ${options.context}`);
    kc.setCurrentContext(options.context);
  }
  const namespace = kc.getContextObject(kc.getCurrentContext())?.namespace || 'default';
  return Object.assign(kc, { namespace });
}

function isObj(value: YamlValue | undefined): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: YamlValue | undefined): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}
