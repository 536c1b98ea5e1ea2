// Scenario 8: the extension itself. The release bundle and VSIX are built into the run's
// scratch directory (the shared dist/ is left alone), then a child Node process loads the
// bundle with a stand-in `vscode` module and runs `activate`.
import { cp, mkdir, stat, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchContext } from './context.ts';
import type { Scenario } from './model.ts';
import { runMeasured } from './proc.ts';

interface Built {
  bundle: string;
  bundleKiB: number;
  vsixKiB: number;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** The release build, by `scripts/build.mjs --production` itself, into the stage's dist/. */
async function buildRelease(ctx: BenchContext, stage: string): Promise<string> {
  const outdir = join(stage, 'dist');
  await runMeasured(ctx.node, [join(ctx.root, 'scripts', 'build.mjs'), '--production', '--outdir', outdir], { cwd: ctx.root, timeoutMs: 120_000 });
  return join(outdir, 'extension.js');
}

async function packageVsix(ctx: BenchContext, stage: string): Promise<string> {
  for (const name of ['package.json', '.vscodeignore', 'README.md', 'CHANGELOG.md', 'LICENSE']) {
    if (await exists(join(ctx.root, name))) await cp(join(ctx.root, name), join(stage, name));
  }
  await cp(join(ctx.root, 'media'), join(stage, 'media'), { recursive: true });
  // The manifest's scripts would run on `vsce package` (vscode:prepublish); the bundle is built already.
  const manifest = JSON.parse(await readFile(join(stage, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  delete manifest.scripts;
  await writeFile(join(stage, 'package.json'), JSON.stringify(manifest, null, 2));
  const out = join(stage, 'kube-exec.vsix');
  const vsce = join(ctx.root, 'node_modules', '@vscode', 'vsce', 'vsce');
  // The flags of scripts/package.mjs (`npm run package`), so the size is the shipped VSIX's.
  await runMeasured(ctx.node, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '--out', out], {
    cwd: stage,
    timeoutMs: 120_000,
  });
  return out;
}

interface ActivateOutput {
  loadMs: number;
  activateMs: number;
  heapMiB: number;
  heapAddedMiB: number;
  commands: number;
  unmodelled: string[];
}

export function extensionItself(): Scenario<BenchContext> {
  let built: Built | undefined;
  return {
    id: '8',
    title: 'The extension itself',
    method:
      'Release bundle (esbuild, minified) and VSIX (`vsce package`) sizes; then a fresh Node process per round loads the bundle with a stand-in `vscode` module and runs `activate` against the kubesim kubeconfig. Load + activate is timed inside that process (Node start excluded: the extension host is already up); heap used after activation, after garbage collection, is that of the whole process (Node itself and the stand-in module included; loading the bundle adds so little that the difference drowns in what garbage collection happens to free).',
    metrics: [
      { key: 'totalMs', label: 'load + activate', unit: 'ms', better: 'lower' },
      { key: 'loadMs', label: 'require(bundle)', unit: 'ms', better: 'lower' },
      { key: 'activateMs', label: 'activate()', unit: 'ms', better: 'lower' },
      { key: 'heapMiB', label: 'heap used after activation (whole process)', unit: 'MiB', better: 'lower' },
      { key: 'bundleKiB', label: 'bundle size', unit: 'KiB', better: 'lower' },
      { key: 'vsixKiB', label: 'VSIX size', unit: 'KiB', better: 'lower' },
    ],
    rounds: 7,
    warmup: 1,
    async setup(ctx) {
      const stage = join(ctx.tmp, 'vsix-stage');
      await mkdir(stage, { recursive: true });
      const bundle = await buildRelease(ctx, stage);
      const vsix = await packageVsix(ctx, stage);
      built = { bundle, bundleKiB: (await stat(bundle)).size / 1024, vsixKiB: (await stat(vsix)).size / 1024 };
    },
    variants: [
      {
        key: 'ext',
        label: 'Kube Exec extension',
        side: 'ours',
        run: async (ctx) => {
          const storage = join(ctx.tmp, 'ext-storage');
          await mkdir(storage, { recursive: true });
          const dts = join(ctx.root, 'node_modules', '@types', 'vscode', 'index.d.ts');
          const r = await runMeasured(ctx.node, ['--expose-gc', ctx.children.activate, built!.bundle, storage, dts], {
            captureStdout: true,
            env: { ...process.env, KUBECONFIG: ctx.kubeconfig },
          });
          const out = JSON.parse(r.stdout.toString('utf8')) as ActivateOutput;
          if (out.commands === 0) throw new Error('activate registered no commands: the stand-in vscode module is not being used');
          return {
            totalMs: out.loadMs + out.activateMs,
            loadMs: out.loadMs,
            activateMs: out.activateMs,
            heapMiB: out.heapMiB,
            bundleKiB: built!.bundleKiB,
            vsixKiB: built!.vsixKiB,
          };
        },
      },
    ],
    checks: [
      { label: 'load + activate < 50 ms', metric: 'totalMs', ours: 'ext', kind: 'absolute', op: '<', limit: 50 },
      { label: 'VSIX < 2 MiB', metric: 'vsixKiB', ours: 'ext', kind: 'absolute', op: '<', limit: 2048 },
    ],
  };
}
