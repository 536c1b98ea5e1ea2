// `npm run package`: the production bundle, then `vsce package` into dist/kube-exec.vsix, then a
// check of what the VSIX holds, so a loosened .vscodeignore (sources, maps, node_modules) fails
// here instead of shipping.
//
// vsce flags: --no-dependencies because esbuild already bundled every dependency;
// --allow-missing-repository because the project has no public repository URL to name (vsce
// would otherwise stop at a prompt, or warn with none); --no-rewrite-relative-links because
// README images live in media/ inside the VSIX, and with no repository there is no URL to
// rewrite them to.
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const OUT = path.join(ROOT, 'dist', 'kube-exec.vsix');
const VSCE = path.join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');

// Entries of the VSIX beyond vsce's own manifest files. vsce renames README.md to readme.md,
// CHANGELOG.md to changelog.md and LICENSE to LICENSE.txt.
const ALLOWED = [
  /^extension\/package\.json$/,
  /^extension\/dist\/extension\.js$/,
  /^extension\/dist\/client-node\.js$/,
  /^extension\/readme\.md$/i,
  /^extension\/changelog\.md$/i,
  /^extension\/LICENSE(\.txt|\.md)?$/i,
  /^extension\/media\/.+/,
];
const VSCE_OWN = new Set(['[Content_Types].xml', 'extension.vsixmanifest']);

function step(command, args) {
  console.log(`> ${path.relative(ROOT, args[0]) || args[0]} ${args.slice(1).join(' ')}`);
  // stdin closed: vsce must never wait on a question.
  const { status } = spawnSync(command, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (status !== 0) process.exit(status ?? 1);
}

/** Names in a zip file, read from its central directory. */
function zipEntries(zip) {
  const EOCD = 0x06054b50;
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== EOCD) end--;
  if (end < 0) throw new Error('not a zip file (no end of central directory record)');
  const count = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  const names = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(offset) !== 0x02014b50) throw new Error(`bad central directory entry #${i}`);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    names.push(zip.toString('utf8', offset + 46, offset + 46 + nameLength));
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return names;
}

step(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs'), '--production']);
step(process.execPath, [
  VSCE, 'package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '--out', OUT,
]);

const entries = zipEntries(await readFile(OUT));
const unexpected = entries.filter((name) => !VSCE_OWN.has(name) && !ALLOWED.some((pattern) => pattern.test(name)));
if (unexpected.length) {
  console.error(`\n${path.relative(ROOT, OUT)} holds files that must not ship:\n  ${unexpected.join('\n  ')}\n` +
    'Only dist/extension.js, package.json, README, CHANGELOG, LICENSE and media/ belong in it: fix the allowlist in .vscodeignore.');
  process.exit(1);
}
for (const required of ['extension/package.json', 'extension/dist/extension.js']) {
  if (!entries.includes(required)) {
    console.error(`\n${path.relative(ROOT, OUT)} lacks ${required}.`);
    process.exit(1);
  }
}
console.log(`${path.relative(ROOT, OUT)}: ${entries.length} entries, all expected.`);
