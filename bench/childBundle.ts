// The child processes the runner starts (engine worker, listing, bare client, activation) run
// from an esbuild bundle, as the shipped extension does: running the TypeScript sources
// directly would add Node's type stripper (a WebAssembly compiler) to every RSS number and
// module-loading time to every cold start.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';

const run = promisify(execFile);

export interface ChildScripts {
  /** src/cli.ts, built as `npm run build` builds dist/cli.js (the shared dist/ is left alone). */
  cli: string;
  engineWorker: string;
  listing: string;
  bareWs: string;
  activate: string;
}

const ENTRIES: Record<Exclude<keyof ChildScripts, 'cli'>, string> = {
  engineWorker: 'engineWorker.ts',
  listing: 'listingChild.ts',
  bareWs: 'bareWsChild.ts',
  activate: 'activateChild.ts',
};

export async function bundleChildren(outDir: string): Promise<ChildScripts> {
  const benchDir = fileURLToPath(new URL('.', import.meta.url));
  const out = {} as ChildScripts;
  const cli = join(outDir, 'cli.js');
  // The CLI exactly as `npm run build` makes it (its aliases and split-off files included).
  const building = run(process.execPath, [join(benchDir, '..', 'scripts', 'build.mjs'), '--outdir', outDir], { cwd: join(benchDir, '..') });
  await Promise.all([
    building.then(() => (out.cli = cli)),
    ...(Object.keys(ENTRIES) as Array<keyof typeof ENTRIES>).map(async (key) => {
      const outfile = join(outDir, `${key}.mjs`);
      await esbuild.build({
        entryPoints: [join(benchDir, ENTRIES[key])],
        outfile,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node24',
        logLevel: 'warning',
        // Dependencies that are CommonJS call require(); an ES module has none of its own.
        banner: { js: "import { createRequire as __benchRequire } from 'node:module'; const require = __benchRequire(import.meta.url);" },
        external: ['utf-8-validate'],
        // ws's mask, as scripts/build.mjs gives it to the extension's engine.
        alias: { bufferutil: join(benchDir, '..', 'src', 'kube', 'exec', 'wsMask.ts') },
      });
      out[key] = outfile;
    }),
  ]);
  return out;
}
