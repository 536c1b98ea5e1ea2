// The engine (src/kube) must run outside the editor: in the CLI, in tests, in other tools.
// This fails when any file under src/kube imports 'vscode', directly or through a relative
// import of a file elsewhere that does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && /\.(ts|mts|cts|js|mjs|cjs)$/.test(e.name))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/** Every module specifier in a file: static imports, re-exports, import(), require(), import types. */
function specifiers(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

/** "a.ts -> b.ts -> vscode", file paths relative to `base`. */
function showChain(chain: string[], base: string): string {
  return [...chain.slice(0, -1).map((f) => path.relative(base, f)), chain[chain.length - 1]].join(' -> ');
}

function isVscode(spec: string): boolean {
  return spec === 'vscode' || spec.startsWith('vscode/');
}

/**
 * The chains of imports from `engineDir` that reach 'vscode'. Relative imports are followed
 * wherever they lead (that is how a helper outside the engine would drag the editor in).
 */
async function vscodeChains(engineDir: string): Promise<string[][]> {
  const chains: string[][] = [];
  const visited = new Set<string>();
  const visit = async (file: string, trail: string[]): Promise<void> => {
    if (visited.has(file)) return;
    visited.add(file);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return; // an unresolved import is the type checker's business
    }
    for (const spec of specifiers(text)) {
      if (isVscode(spec)) chains.push([...trail, file, spec]);
      else if (spec.startsWith('.')) await visit(path.resolve(path.dirname(file), spec), [...trail, file]);
    }
  };
  for (const file of await sourceFiles(engineDir)) await visit(file, []);
  return chains;
}

test('no file under src/kube imports vscode, directly or through relative imports', async () => {
  const engine = path.join(ROOT, 'src', 'kube');
  const files = await sourceFiles(engine);
  assert.ok(files.length > 0, 'src/kube has source files');
  const chains = await vscodeChains(engine);
  const shown = chains.map((chain) => showChain(chain, ROOT));
  assert.deepEqual(shown, [], `the engine must not import vscode:\n${shown.join('\n')}`);
});

test('the scan catches direct, type-only, dynamic and indirect vscode imports', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'engine-imports-'));
  try {
    await mkdir(path.join(dir, 'kube', 'sub'), { recursive: true });
    await mkdir(path.join(dir, 'editor'), { recursive: true });
    await writeFile(path.join(dir, 'kube', 'clean.ts'), "import * as path from 'node:path';\nexport const x = path.sep;\n");
    await writeFile(path.join(dir, 'kube', 'direct.ts'), "import * as vscode from 'vscode';\nexport const y = vscode;\n");
    await writeFile(path.join(dir, 'kube', 'sub', 'typeOnly.ts'), "import type { Disposable } from 'vscode';\nexport type D = Disposable;\n");
    await writeFile(path.join(dir, 'kube', 'dynamic.ts'), "export const load = () => import('vscode');\n");
    await writeFile(path.join(dir, 'kube', 'indirect.ts'), "export { helper } from '../editor/helper.ts';\n");
    await writeFile(path.join(dir, 'editor', 'helper.ts'), "import { window } from 'vscode';\nexport const helper = window;\n");
    const chains = await vscodeChains(path.join(dir, 'kube'));
    const shown = chains.map((chain) => showChain(chain, dir)).sort();
    assert.deepEqual(shown, [
      'kube/direct.ts -> vscode',
      'kube/dynamic.ts -> vscode',
      'kube/indirect.ts -> editor/helper.ts -> vscode',
      'kube/sub/typeOnly.ts -> vscode',
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
