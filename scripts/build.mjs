// Bundles the extension and the command-line driver with esbuild.
// `--production` minifies and drops source maps (what the VSIX ships);
// `--watch` rebuilds on change while developing.
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  // The oldest extension host we support (VS Code 1.125) runs Node 24.
  target: 'node24',
  minify: production,
  sourcemap: production ? false : 'linked',
  logLevel: 'warning',
  legalComments: 'none',
  // Optional native/peer modules of dependencies that we never use.
  external: ['vscode', 'bufferutil', 'utf-8-validate'],
};

const builds = [
  { ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js' },
  { ...common, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
];

if (watch) {
  for (const options of builds) (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
