// The fault catalogue's runner: each case is a kubeconfig, exec arguments and a server's
// behaviour, run through our CLI and through kubectl on the same input (each against a fault
// server of its own, so that requests and connections are counted per client), and judged:
// bounded time, kubectl's exit code (or at least a non-zero one), one clear line naming the
// cause, no stack trace or library internals, no secret, no process or socket left behind.
// Where kubectl hangs or answers badly the case says so, and ours is judged on its own.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Pki } from '../kubesim/certs.ts';
import type { Kubesim } from '../kubesim/index.ts';
import { faultPki, startFaultServer, type Behaviour, type FaultServer } from './faultServer.ts';

export const KUBECTL = '/usr/bin/kubectl';

/** Longest any client may run before it is killed (and the case fails, for ours). */
export const HARD_TIMEOUT_MS = 60_000;
/** How long ours may take in a case that is not about hanging (generous: the machine may be busy). */
const DEFAULT_WITHIN_MS = 20_000;

// Recognisable fake credentials: none may ever appear in what our CLI prints.
export const TOKEN = 'fault-token-S3CRET-4b1d9e0c7a';
/** Shaped like a service-account JWT, as real tokens are. */
export const JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImZhdWx0In0.eyJzdWIiOiJmYXVsdC1TM0NSRVQtand0In0.ZmF1bHQtc2lnbmF0dXJlLVMzQ1JFVA';
export const PASSWORD = 'fault-password-S3CRET-91e2';
export const ID_TOKEN = 'fault-id-token-S3CRET-5c7e';
export const PLUGIN_TOKEN = 'fault-plugin-token-S3CRET-0a9f';

/** Names in the default kubeconfig, distinctive enough to look for in messages. */
export const CLUSTER = 'fault-cluster';
export const USER = 'fault-user';
export const CONTEXT = 'fault-context';

export interface Keys extends Pki {
  /** An RSA private key (PEM), which matches none of the EC certificates. */
  rsaKey: string;
}

/** What a case's kubeconfig, files and arguments are made from, per client. */
export interface Ctx {
  /** The server URL (of this client's fault server, or kubesim). */
  url: string;
  /** This client's directory for the case: the kubeconfig and the case's files are here. */
  dir: string;
  kubeconfigPath: string;
  keys: Keys;
}

export interface Expect {
  /** Success: exit 0 and nothing on stderr. */
  ok?: boolean;
  /** Our exit code. Without it: kubectl's when kubectl answered definitely, else any non-zero. */
  code?: number;
  /** Each must match our one line on stderr (a function gets the case's paths and URL). */
  cause?: RegExp[] | ((c: Ctx) => RegExp[]);
  /** None may match it (raw JSON of a status frame, say). */
  notCause?: RegExp[];
  /** Our stdout, exactly. */
  stdout?: string;
  /** Our server got no request at all: the input was refused before anything was sent. */
  noRequest?: boolean;
  /** Our line is kubectl's first line (kubectl refuses the same input before sending). */
  kubectlWording?: boolean;
  /** Ours must be done within this many ms. */
  withinMs?: number;
  /** Ours opened at most this many connections to the server (no follow-up request to a server that never answered). */
  maxConnections?: number;
  /** stderr lines that are not ours: a credential plugin's own stderr, passed through as kubectl does. */
  foreignLines?: RegExp;
  /** A file in the case dir where a credential plugin wrote its PID: that process must be gone. */
  pluginPidFile?: string;
}

export interface Case {
  name: string;
  /** The fault server's behaviour (one server per client), or the shared kubesim. Default {}: a working server. */
  server?: Behaviour | 'kubesim';
  /** The kubeconfig; default a working one. null: no file is written. Ignored for kubesim. */
  kubeconfig?: ((c: Ctx) => string) | null;
  /** Files written into the case dir first; a content starting with "#!" is made executable. */
  files?: (c: Ctx) => Record<string, string>;
  /** Arguments after the command; `--kubeconfig FILE` is put first unless they have their own. */
  args: string[] | ((c: Ctx) => string[]);
  /** Which command: `exec` (default), or `pods` (kubectl: `get pods`). */
  command?: 'exec' | 'pods';
  expect: Expect;
  /** kubectl hangs or answers badly here: why. Ours is then judged on its own. */
  kubectlBad?: string;
  /** How long kubectl gets (default HARD_TIMEOUT_MS); past it, it is called hanging. */
  kubectlBudgetMs?: number;
}

export interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** Killed at its budget. */
  timedOut: boolean;
  /** Processes of its process group (credential plugins, say) still alive after it exited. */
  leftovers: string[];
}

export interface Env {
  /** Our CLI's bundle (built aside with scripts/build.mjs --outdir). */
  cli: string;
  /** Where js-yaml and the like are found, as dist/cli.js finds them in the repository. */
  nodePath: string;
  /** Scratch dir of the whole run. */
  dir: string;
  sim?: Kubesim;
}

let keysPromise: Promise<Keys> | undefined;

export function keys(): Promise<Keys> {
  keysPromise ??= faultPki().then((pki) => ({
    ...pki,
    rsaKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  }));
  return keysPromise;
}

/** A pattern matching `text` literally. */
export const literal = (text: string): RegExp => new RegExp(text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));

/** The server's host:port, literally (messages about a connection must say where). */
export const hostOf = (c: Ctx): RegExp => literal(new URL(c.url).host);

export const b64 = (s: string): string => Buffer.from(s).toString('base64');
/** A YAML scalar: JSON's double-quoted strings are YAML too. */
export const q = (s: string): string => JSON.stringify(s);

export interface KubeconfigParts {
  /** The cluster's server; default the case's URL. null: no server line. */
  server?: string | null;
  /** certificate-authority-data; default the fault CA. null: none. */
  caData?: string | null;
  /** More lines under `cluster:` ("key: value"). */
  cluster?: string[];
  /** Lines under `user:` (default a bearer token). */
  user?: string[];
  contextCluster?: string;
  contextUser?: string;
  namespace?: string;
  /** default CONTEXT; null: no current-context line. */
  currentContext?: string | null;
}

/** A kubeconfig in the style kubectl writes, with the given parts changed. */
export function kubeconfig(c: Ctx, p: KubeconfigParts = {}): string {
  const server = p.server === undefined ? c.url : p.server;
  const ca = p.caData === undefined ? b64(c.keys.caCert) : p.caData;
  const cluster = [
    ...(server === null ? [] : [`server: ${q(server)}`]),
    ...(ca === null ? [] : [`certificate-authority-data: ${ca}`]),
    ...(p.cluster ?? []),
  ];
  const user = p.user ?? [`token: ${q(TOKEN)}`];
  const current = p.currentContext === undefined ? CONTEXT : p.currentContext;
  const block = (lines: string[]): string => (lines.length === 0 ? ' {}' : `\n${lines.map((l) => `    ${l}`).join('\n')}`);
  return `apiVersion: v1
kind: Config
${current === null ? '' : `current-context: ${q(current)}\n`}clusters:
- name: ${CLUSTER}
  cluster:${block(cluster)}
contexts:
- name: ${CONTEXT}
  context:
    cluster: ${q(p.contextCluster ?? CLUSTER)}
    user: ${q(p.contextUser ?? USER)}
    namespace: ${q(p.namespace ?? 'default')}
users:
- name: ${USER}
  user:${block(user)}
`;
}

/** Every secret a case's output must not contain. */
function secrets(k: Keys, extra: string[]): string[] {
  const out = [TOKEN, JWT, PASSWORD, ID_TOKEN, PLUGIN_TOKEN, ...extra];
  for (const pem of [k.clientKey, k.rsaKey, k.serverKey]) {
    // Each base64 line of the key, and a stretch of the base64 of the whole PEM (as in *-data).
    for (const line of pem.split('\n')) if (/^[A-Za-z0-9+/=]{40,}$/.test(line)) out.push(line);
    const data = b64(pem);
    out.push(data.slice(40, 100));
  }
  return out;
}

/** PIDs (with their command) in process group `pgid` that are alive (zombies are dead). */
async function groupMembers(pgid: number): Promise<string[]> {
  const found: string[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = await readFile(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    const close = stat.lastIndexOf(')');
    const [state, , pgrp] = stat.slice(close + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') found.push(`${name} ${stat.slice(stat.indexOf('(') + 1, close)}`);
  }
  return found;
}

function alive(pid: number): Promise<boolean> {
  return readFile(`/proc/${pid}/stat`, 'utf8').then(
    (stat) => stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z',
    () => false,
  );
}

/** Waits until `check` is true, polling, for at most `ms`; returns its last value. */
async function until(check: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Runs a client in a process group of its own with stdin closed, kills the group at `budgetMs`,
 * and reports what it printed, how it ended, and which of its group outlived it.
 */
export function runClient(file: string, argv: string[], env: NodeJS.ProcessEnv, budgetMs: number): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(file, argv, { env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.stdin.on('error', () => undefined);
    child.stdin.end();
    let timedOut = false;
    const killGroup = (): void => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, budgetMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    // 'exit', not 'close': a grandchild holding the pipes open must not hold up the verdict.
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const ms = Date.now() - started;
      void (async () => {
        // What the process left running: given a moment (a killed child is reaped by init).
        let leftovers: string[] = [];
        await until(async () => (leftovers = await groupMembers(child.pid!)).length === 0, 1500);
        if (leftovers.length > 0) killGroup();
        // Output still in the pipe once the process is gone: bounded, as a grandchild the process
        // left behind may hold the pipe open (that is reported as a leftover, not waited for).
        const drained = (s: NodeJS.ReadableStream & { readableEnded: boolean }) =>
          s.readableEnded ? Promise.resolve() : new Promise<void>((r) => { s.once('end', r); s.once('close', r); setTimeout(r, 2000); });
        await Promise.all([drained(child.stdout), drained(child.stderr)]);
        resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ms, timedOut, leftovers });
      })();
    });
  });
}

interface Side {
  ctx: Ctx;
  server: FaultServer | undefined;
  argv: string[];
}

async function prepare(env: Env, c: Case, who: 'ours' | 'kubectl', index: number): Promise<Side> {
  const dir = join(env.dir, `case-${index}`, who);
  await mkdir(join(dir, 'home'), { recursive: true });
  const k = await keys();
  const sim = c.server === 'kubesim' ? env.sim : undefined;
  if (c.server === 'kubesim' && !sim) throw new Error('kubesim is not running');
  const server = c.server === 'kubesim' ? undefined : await startFaultServer(c.server ?? {});
  const kubeconfigPath = sim ? sim.kubeconfigPath : join(dir, 'kubeconfig');
  const ctx: Ctx = { url: sim ? sim.url : server!.url, dir, kubeconfigPath, keys: k };
  for (const [name, content] of Object.entries(c.files?.(ctx) ?? {})) {
    await writeFile(join(dir, name), content, { mode: content.startsWith('#!') ? 0o755 : 0o600 });
  }
  if (!sim && c.kubeconfig !== null) await writeFile(kubeconfigPath, (c.kubeconfig ?? kubeconfig)(ctx), { mode: 0o600 });
  const args = typeof c.args === 'function' ? c.args(ctx) : c.args;
  const own = args.some((a) => a === '--kubeconfig' || a.startsWith('--kubeconfig='));
  return { ctx, server, argv: own ? args : ['--kubeconfig', kubeconfigPath, ...args] };
}

function clientEnv(env: Env, ctx: Ctx): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, HOME: join(ctx.dir, 'home'), NODE_PATH: env.nodePath };
  // Only what the case says: no kubeconfig from the environment, no discovery cache of another case.
  delete e['KUBECONFIG'];
  delete e['KUBECACHEDIR'];
  return e;
}

const meaningful = (text: string, foreign?: RegExp): string[] =>
  text.split('\n').filter((l) => l.trim() !== '' && !(foreign && foreign.test(l)));

/** What no message of ours may look like: stack frames, JS error dumps, library internals. */
const NOT_A_SENTENCE: Array<[RegExp, string]> = [
  [/^\s+at .+/m, 'a stack frame'],
  // "Error: x", "TypeError [ERR_X]: x", at a line's start or after another message's colon
  // (not "Internal Server Error: " quoted from a proxy's page).
  [/(^|: )([A-Z][A-Za-z]*)?Error( \[[A-Z_]+\])?: /m, 'a JavaScript error dump'],
  [/deps\/openssl|node:internal|node_modules|\.js:\d+/, 'library internals'],
  [/^Node\.js v\d+/m, "Node's crash banner"],
  [/error:[0-9A-F]{8}:/, 'an OpenSSL error code'],
];

/** Runs `c` through both clients and asserts everything the catalogue promises. */
export async function runCase(t: TestContext, env: Env, c: Case, index: number): Promise<void> {
  const [ours, theirs] = await Promise.all([prepare(env, c, 'ours', index), prepare(env, c, 'kubectl', index)]);
  try {
    const [o, k] = await Promise.all([
      runClient(process.execPath, [env.cli, c.command ?? 'exec', ...ours.argv], clientEnv(env, ours.ctx), HARD_TIMEOUT_MS),
      runClient(KUBECTL, [...(c.command === 'pods' ? ['get', 'pods'] : ['exec']), ...theirs.argv], clientEnv(env, theirs.ctx), c.kubectlBudgetMs ?? HARD_TIMEOUT_MS),
    ]);
    const lastLine = (s: string) => meaningful(s).at(-1) ?? '';
    t.diagnostic(`ours: exit ${o.code ?? o.signal} in ${o.ms} ms: ${lastLine(o.stderr).slice(0, 300)}`);
    t.diagnostic(`kubectl: ${k.timedOut ? `still running after ${k.ms} ms (killed)` : `exit ${k.code ?? k.signal} in ${k.ms} ms: ${lastLine(k.stderr).slice(0, 300)}`}`);
    const kubectlDefinite = !k.timedOut && c.kubectlBad === undefined;
    if (c.kubectlBad) t.diagnostic(`kubectl is not the reference here: ${c.kubectlBad}`);
    else if (k.timedOut) t.diagnostic('kubectl is not the reference here: it did not finish in time');
    const extraSecrets = c.server === 'kubesim' && env.sim ? await kubesimSecrets(env.sim) : [];
    const allSecrets = secrets(ours.ctx.keys, extraSecrets);
    const kubectlLeaks = allSecrets.filter((s) => k.stdout.includes(s) || k.stderr.includes(s));
    if (kubectlLeaks.length > 0) t.diagnostic(`kubectl printed a secret: ${kubectlLeaks[0]!.slice(0, 12)}...`);

    const e = c.expect;
    const show = `ours exited ${o.code ?? o.signal} after ${o.ms} ms; stdout ${JSON.stringify(o.stdout.slice(0, 300))}; stderr ${JSON.stringify(o.stderr.slice(0, 1500))}`;

    // Bounded time.
    assert.ok(!o.timedOut, `ours did not finish within ${HARD_TIMEOUT_MS / 1000} s (${show})`);
    const within = e.withinMs ?? DEFAULT_WITHIN_MS;
    assert.ok(o.ms <= within, `ours took ${o.ms} ms, more than ${within} ms (${show})`);

    // Exit code.
    assert.equal(o.signal, null, `ours was killed by ${o.signal} (${show})`);
    if (e.ok) assert.equal(o.code, 0, `ours must succeed (${show})`);
    else assert.notEqual(o.code, 0, `ours must fail (${show})`);
    if (e.code !== undefined) assert.equal(o.code, e.code, `ours' exit code (${show})`);
    if (kubectlDefinite) assert.equal(o.code, k.code, `ours' exit code must be kubectl's ${k.code} (kubectl: ${k.stderr.slice(0, 500)}) (${show})`);

    // One clear line naming the cause (or nothing, on success).
    const lines = meaningful(o.stderr, e.foreignLines);
    if (e.ok) {
      assert.deepEqual(lines, [], `ours must print nothing on stderr (${show})`);
    } else {
      assert.equal(lines.length, 1, `ours must print exactly one line on stderr (${show})`);
      const line = lines[0]!;
      for (const [pattern, what] of NOT_A_SENTENCE) assert.doesNotMatch(o.stderr, pattern, `ours printed ${what} (${show})`);
      assert.ok(line.length <= 1024, `ours' line is ${line.length} characters long (${show})`);
      const cause = typeof e.cause === 'function' ? e.cause(ours.ctx) : (e.cause ?? []);
      for (const pattern of cause) assert.match(line, pattern, `ours' line must name the cause (${show})`);
      for (const pattern of e.notCause ?? []) assert.doesNotMatch(line, pattern, `ours' line (${show})`);
      if (e.kubectlWording) {
        assert.ok(kubectlDefinite, 'kubectl must answer definitely where its wording is the reference');
        assert.equal(line, meaningful(k.stderr)[0], `ours' line must be kubectl's (${show})`);
        // The premise: kubectl refused without asking for the pod.
        assert.deepEqual(theirs.server?.requests.filter((r) => r.path.includes('/pods')) ?? [], [], 'kubectl sent a pod request');
      }
    }
    if (e.stdout !== undefined) assert.equal(o.stdout, e.stdout, `ours' stdout (${show})`);

    // No secret.
    for (const s of allSecrets) {
      assert.ok(!o.stdout.includes(s) && !o.stderr.includes(s), `ours printed a secret (${s.slice(0, 12)}...) (${show})`);
    }

    // Nothing sent for input refused up front.
    if (e.noRequest) {
      assert.deepEqual(ours.server!.requests.map((r) => `${r.method} ${r.url}`), [], `ours sent requests for input it must refuse (${show})`);
    }

    // No process or socket left behind.
    assert.deepEqual(o.leftovers, [], `ours left processes running (${show})`);
    if (e.pluginPidFile) {
      const pid = Number((await readFile(join(ours.ctx.dir, e.pluginPidFile), 'utf8').catch(() => '')).trim());
      if (pid > 0) assert.ok(await until(async () => !(await alive(pid)), 1500), `the credential plugin (pid ${pid}) outlived ours`);
    }
    if (e.maxConnections !== undefined) {
      assert.ok(ours.server!.accepted <= e.maxConnections, `ours opened ${ours.server!.accepted} connections, at most ${e.maxConnections} expected (${show})`);
    }
    if (ours.server) {
      assert.ok(await ours.server.waitAllClosed(3000), `${ours.server.openConnections()} connection(s) to the fault server still open after ours exited`);
    }
  } finally {
    await Promise.all([ours.server?.close(), theirs.server?.close()]);
  }
}

async function kubesimSecrets(sim: Kubesim): Promise<string[]> {
  const text = await readFile(sim.kubeconfigPath, 'utf8');
  const found = [...text.matchAll(/token: "([^"]+)"/g)].map((m) => m[1]!).filter((s) => s.length >= 16);
  const key = /client-key-data: (\S+)/.exec(text)?.[1];
  if (key) found.push(key.slice(40, 100));
  return found;
}
