// The child processes the runner starts (engine worker, listing, bare client, activation) run
// from an esbuild bundle, as the shipped extension does: running the TypeScript sources
// directly would add Node's type stripper (a WebAssembly compiler) to every RSS number and
// module-loading time to every cold start.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

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
  const building = esbuild.build({
    entryPoints: [join(benchDir, '..', 'src', 'cli.ts')],
    outfile: cli,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    logLevel: 'warning',
    legalComments: 'none',
    external: ['vscode', 'bufferutil', 'utf-8-validate'],
  });
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
        external: ['bufferutil', 'utf-8-validate'],
      });
      out[key] = outfile;
    }),
  ]);
  return out;
}
