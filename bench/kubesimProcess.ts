// kubesim in a process of its own, so the server's work never shares an event loop with the
// runner or the engine being measured.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export interface KubesimProcess {
  url: string;
  kubeconfig: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startKubesimProcess(opts: { root: string; node: string; kubeconfig: string; pods: number; bulkNamespaces: number }): Promise<KubesimProcess> {
  const main = join(opts.root, 'test', 'kubesim', 'main.ts');
  const args = [main, '--kubeconfig', opts.kubeconfig, '--pods', String(opts.pods), '--bulk-namespaces', String(opts.bulkNamespaces)];
  const child: ChildProcess = spawn(opts.node, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: opts.root });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => {
    if (stderr.length < 8192) stderr += b.toString('utf8');
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error('kubesim did not start within 60 s')), 60_000);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      const m = /kubesim listening on (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => fail(new Error(`kubesim exited (${code}) before it was ready: ${stderr.trim()}`)));
  });
  // Keep draining its output so kubesim never blocks on a full pipe.
  child.stdout!.resume();
  return {
    url,
    kubeconfig: opts.kubeconfig,
    pid: child.pid!,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
