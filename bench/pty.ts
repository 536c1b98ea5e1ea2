// kubectl -it under a pseudo-terminal, as a user's terminal emulator runs it.
import { spawn, type IPty } from 'node-pty';
import { performance } from 'node:perf_hooks';

export interface PtyProcess {
  readonly term: IPty;
  /** Milliseconds from spawn to the first output byte (the remote prompt). */
  readonly firstOutput: Promise<number>;
  readonly exited: Promise<number>;
  subscribe(listener: (chunk: string) => void): () => void;
  /** Ends the process: types `exit`, and kills it if it has not gone after `graceMs`. */
  end(graceMs?: number): Promise<void>;
}

export function spawnPty(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): PtyProcess {
  const started = performance.now();
  const term = spawn(file, args, { name: 'xterm', cols: 4000, rows: 24, env: env as Record<string, string> });
  const listeners = new Set<(chunk: string) => void>();
  const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
  const firstOutput = new Promise<number>((resolve, reject) => {
    let seen = false;
    term.onData((chunk) => {
      if (!seen && chunk.length > 0) {
        seen = true;
        resolve(performance.now() - started);
      }
      for (const l of [...listeners]) l(chunk);
    });
    void exited.then((code) => {
      if (!seen) reject(new Error(`${file} ${args.join(' ')} exited with ${code} before printing anything`));
    });
  });
  firstOutput.catch(() => {});
  return {
    term,
    firstOutput,
    exited,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async end(graceMs = 3000) {
      let gone = false;
      void exited.then(() => (gone = true));
      try {
        term.write('\x15exit\r');
      } catch {
        // already gone
      }
      const timer = setTimeout(() => {
        if (!gone) term.kill('SIGKILL');
      }, graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
