// Child process for scenario 8: loads a bundle of the extension with the stand-in `vscode`
// module and runs `activate`, the way the extension host would on first use of the view.
// Usage: node --expose-gc bench/activateChild.ts BUNDLE STORAGE_DIR VSCODE_D_TS   (KUBECONFIG from the env)
// Prints one JSON line: { loadMs, activateMs, heapMiB, heapAddedMiB, commands, unmodelled,
// builtinsLoaded, filesLoaded } (the last two: Node built-in modules and files that loading and
// activating brought in, which tells whether the heavy parts stayed unloaded as they should).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { createFakeVscode, fakeExtensionContext, installFakeVscode, vscodeExportNames } from './fakeVscode.ts';

const [bundle, storage, dts] = process.argv.slice(2);
if (!bundle || !storage || !dts) {
  console.error('usage: activateChild.ts BUNDLE STORAGE_DIR VSCODE_D_TS');
  process.exit(2);
}

const exposedGc = (globalThis as { gc?: () => void }).gc;
/** Collects until the heap stops shrinking: one pass can leave garbage that the next frees. */
async function settledHeap(): Promise<number> {
  let used = process.memoryUsage().heapUsed;
  for (let i = 0; i < 5 && exposedGc; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    exposedGc();
    const now = process.memoryUsage().heapUsed;
    if (now >= used - 1024) return now;
    used = now;
  }
  return process.memoryUsage().heapUsed;
}
const fake = createFakeVscode(vscodeExportNames(await readFile(dts, 'utf8')));
installFakeVscode(fake);
const context = fakeExtensionContext(storage);

const requireFn = createRequire(import.meta.url);
const builtinsBefore = new Set(loadedBuiltins());
const filesBefore = new Set(Object.keys(requireFn.cache));
const heapBefore = await settledHeap();
const t0 = performance.now();
const extension = requireFn(bundle) as { activate(ctx: unknown): unknown; deactivate?(): unknown };
const t1 = performance.now();
await extension.activate(context);
const t2 = performance.now();
const heapAfter = await settledHeap();

const result = {
  loadMs: t1 - t0,
  activateMs: t2 - t1,
  heapMiB: heapAfter / 2 ** 20,
  heapAddedMiB: (heapAfter - heapBefore) / 2 ** 20,
  commands: fake.registeredCommands.length,
  unmodelled: [...fake.touched],
  builtinsLoaded: loadedBuiltins().filter((name) => !builtinsBefore.has(name)),
  filesLoaded: Object.keys(requireFn.cache).filter((file) => !filesBefore.has(file)),
};
for (const d of context['subscriptions'] as Array<{ dispose(): unknown }>) d.dispose();
await extension.deactivate?.();
process.stdout.write(`${JSON.stringify(result)}\n`);
// Anything activate left running (file watchers, timers) must not keep the measurement alive.
process.exit(0);

/** Public built-in modules loaded so far ("NativeModule https" in Node's own list). */
function loadedBuiltins(): string[] {
  const list = (process as unknown as { moduleLoadList: string[] }).moduleLoadList;
  return list.filter((entry) => entry.startsWith('NativeModule ') && !entry.includes('internal/')).map((entry) => entry.slice('NativeModule '.length));
}
