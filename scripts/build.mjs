// Bundles the extension and the command-line driver with esbuild.
// `--production` minifies and drops source maps (what the VSIX ships);
// `--watch` rebuilds on change while developing.
import * as esbuild from 'esbuild';
import path from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
// `--outdir DIR` builds elsewhere than dist/ (the benchmark builds the release into its scratch dir).
const outIndex = process.argv.indexOf('--outdir');
const outdir = outIndex > 0 ? process.argv[outIndex + 1] : 'dist';

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  // The oldest extension host we support (VS Code 1.125) runs Node 24.
  target: 'node24',
  // import() of a module left outside the bundle (Node's own, such as node:https) becomes a
  // require(): kept as import(), its first use would start Node's ES module loader in the
  // extension host (or the CLI), some 20 ms, to load what require() loads at once.
  supported: { 'dynamic-import': false },
  minify: production,
  sourcemap: production ? false : 'linked',
  logLevel: 'warning',
  legalComments: 'none',
  // An optional native module of ws that we never use.
  external: ['vscode', 'utf-8-validate'],
  // ws masks what a client sends with bufferutil when it finds it, else byte by byte: give it
  // our word-at-a-time version (src/kube/exec/wsMask.ts says why).
  alias: { bufferutil: './src/kube/exec/wsMask.ts' },
};

// @kubernetes/client-node goes into a file of its own, which src/kube/clientNode.ts imports on
// the first request to a cluster: activating the extension then neither loads nor even parses
// it (it is most of the code). Anything else importing it at run time would undo that.
const clientNodeApart = {
  name: 'client-node-apart',
  setup(build) {
    build.onResolve({ filter: /^@kubernetes\/client-node$/ }, (args) => {
      if (args.kind === 'dynamic-import' && args.importer.endsWith(path.join('src', 'kube', 'clientNode.ts'))) {
        // A plain `require` in a module of the bundle that runs when first imported: CommonJS
        // throughout, as the extension host loads extensions.
        return { path: 'client-node', namespace: 'client-node-apart' };
      }
      return { errors: [{ text: `${path.relative(process.cwd(), args.importer)} imports @kubernetes/client-node at run time; go through src/kube/clientNode.ts (types may be imported with "import type").` }] };
    });
    build.onLoad({ filter: /.*/, namespace: 'client-node-apart' }, () => ({ contents: "module.exports = require('./client-node.js');", loader: 'js' }));
    build.onResolve({ filter: /^\.\/client-node\.js$/, namespace: 'client-node-apart' }, () => ({ path: './client-node.js', external: true }));
  },
};

// Every module that imports `vscode` would otherwise get its own copy of the API object's
// properties (esbuild's CommonJS interop, once per importing module: some 300 properties, 20
// times over, at load). Routed through one module, the copy is made once.
const vscodeOnce = {
  name: 'vscode-once',
  setup(build) {
    build.onResolve({ filter: /^vscode$/ }, (args) =>
      args.namespace === 'vscode-once' ? { path: 'vscode', external: true } : { path: 'vscode', namespace: 'vscode-once' },
    );
    build.onLoad({ filter: /.*/, namespace: 'vscode-once' }, () => ({ contents: "export * from 'vscode';", loader: 'js' }));
  },
};

const builds = [
  { ...common, entryPoints: ['src/extension.ts'], outfile: path.join(outdir, 'extension.js'), plugins: [clientNodeApart, vscodeOnce] },
  // js-yaml is needed only for kubeconfigs beyond the quick reader (src/kube/yaml.ts); inside
  // the bundle every CLI start would parse it (some 6 ms), so the CLI takes it from node_modules.
  {
    ...common,
    entryPoints: ['src/cli.ts'],
    outfile: path.join(outdir, 'cli.js'),
    banner: { js: '#!/usr/bin/env node' },
    plugins: [clientNodeApart],
    external: [...common.external, 'js-yaml'],
  },
  // Only what clientNode.ts hands out, so the rest of client-node is left out.
  // `navigator` there only ever tells a browser from Node; in VS Code's extension host merely
  // reading it logs a PendingMigrationError, so it is made plainly absent.
  {
    ...common,
    stdin: { contents: "export { KubeConfig } from '@kubernetes/client-node';", resolveDir: process.cwd(), sourcefile: 'client-node.js' },
    outfile: path.join(outdir, 'client-node.js'),
    define: { navigator: 'undefined' },
  },
];

if (watch) {
  for (const options of builds) (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
