// Child process for scenario 8: loads a bundle of the extension with the stand-in `vscode`
// module and runs `activate`, the way the extension host would on first use of the view.
// Usage: node --expose-gc bench/activateChild.ts BUNDLE STORAGE_DIR VSCODE_D_TS   (KUBECONFIG from the env)
// Prints one JSON line: { loadMs, activateMs, heapMiB, heapAddedMiB, commands, unmodelled }.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { createFakeVscode, fakeExtensionContext, installFakeVscode, vscodeExportNames } from './fakeVscode.ts';

const [bundle, storage, dts] = process.argv.slice(2);
if (!bundle || !storage || !dts) {
  console.error('usage: activateChild.ts BUNDLE STORAGE_DIR VSCODE_D_TS');
  process.exit(2);
}

const gc = (globalThis as { gc?: () => void }).gc;
const fake = createFakeVscode(vscodeExportNames(await readFile(dts, 'utf8')));
installFakeVscode(fake);
const context = fakeExtensionContext(storage);

gc?.();
const heapBefore = process.memoryUsage().heapUsed;
const t0 = performance.now();
const extension = createRequire(import.meta.url)(bundle) as { activate(ctx: unknown): unknown; deactivate?(): unknown };
const t1 = performance.now();
await extension.activate(context);
const t2 = performance.now();
gc?.();
const heapAfter = process.memoryUsage().heapUsed;

const result = {
  loadMs: t1 - t0,
  activateMs: t2 - t1,
  heapMiB: heapAfter / 2 ** 20,
  heapAddedMiB: (heapAfter - heapBefore) / 2 ** 20,
  commands: fake.registeredCommands.length,
  unmodelled: [...fake.touched],
};
for (const d of context['subscriptions'] as Array<{ dispose(): unknown }>) d.dispose();
await extension.deactivate?.();
process.stdout.write(`${JSON.stringify(result)}\n`);
// Anything activate left running (file watchers, timers) must not keep the measurement alive.
process.exit(0);
