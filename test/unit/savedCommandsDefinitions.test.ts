// Loading saved command definitions: good entries load, each broken one is reported with its
// file, its place and what is wrong, and the schema the editor validates with agrees with the loader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { parseCommandsFile, parseDefinitions, problemText, stripJsonComments, type DefinitionOrigin } from '../../src/kube/savedCommands/definitions.ts';

const file: DefinitionOrigin = { label: '/ws/.vscode/kube-exec.json', fromWorkspace: true, file: '/ws/.vscode/kube-exec.json' };
const user: DefinitionOrigin = { label: 'User settings', fromWorkspace: false };

test('a file with good and broken entries loads the good ones and names each broken one', () => {
  const text = `{
    // comments are allowed, as in other .vscode files
    "$schema": "./schema.json",
    "savedCommands": [
      { "name": "Env", "command": "env | sort", "description": "print env", "tty": false },
      { "name": "Stacks", "command": ["jcmd", "1", "Thread.print"], "container": "app*", "labelSelector": "app in (api, web)", "namespaces": "shop-*" },
      { "name": "No command" },
      { "name": "Typo", "command": "true", "confrim": true },
      { "name": "Bad selector", "command": "true", "labelSelector": "tier in web" },
      { "name": "Bad types", "command": "true", "tty": "yes", "namespaces": [1] },
      "just a string",
      { "name": "Unsafe", "command": "echo \`cat \${pod}\`" },
      { "name": "Env", "command": "printenv" },
      { "command": "true" },
      { "name": "Empty argv", "command": [] },
    ],
  }`;
  const { commands, problems } = parseCommandsFile(text, file);
  assert.deepEqual(
    commands.map((c) => c.name),
    ['Env', 'Stacks'],
  );
  const stacks = commands[1];
  assert.deepEqual(stacks.command, ['jcmd', '1', 'Thread.print']);
  assert.equal(stacks.container, 'app*');
  assert.deepEqual(stacks.namespaces, ['shop-*']);
  assert.deepEqual(stacks.selector, [{ key: 'app', op: 'in', values: ['api', 'web'] }]);
  assert.equal(stacks.tty, false);
  assert.equal(stacks.confirm, false);
  assert.equal(stacks.origin, file);

  const texts = problems.map(problemText);
  const expect = [
    /^\/ws\/\.vscode\/kube-exec\.json, savedCommands\[2\] \("No command"\): "command" is missing/,
    /savedCommands\[3\] \("Typo"\): "confrim" is not a known key/,
    /savedCommands\[4\] \("Bad selector"\): "labelSelector": "tier in web" is not a label requirement/,
    /savedCommands\[5\] \("Bad types"\): "tty" must be true or false, not the text "yes"\. "namespaces" must be a name pattern/,
    /savedCommands\[6\]: each command must be an object/,
    /savedCommands\[7\] \("Unsafe"\): "command": \$\{pod\} cannot be used inside backquotes/,
    /savedCommands\[8\] \("Env"\): another command above already has this name/,
    /savedCommands\[9\]: "name" is missing or empty/,
    /savedCommands\[10\] \("Empty argv"\): "command" must be a non-empty string, or a non-empty array/,
  ];
  assert.equal(texts.length, expect.length, texts.join('\n'));
  expect.forEach((re, i) => assert.match(texts[i], re));
  assert.deepEqual(
    problems.map((p) => p.index),
    [2, 3, 4, 5, 6, 7, 8, 9, 10],
  );
});

test('a file that is not JSON, or not the right shape, is one problem for the whole file', () => {
  const broken = parseCommandsFile('{ "savedCommands": [ { "name": "a", } ', file);
  assert.equal(broken.commands.length, 0);
  assert.match(problemText(broken.problems[0]), /^\/ws\/\.vscode\/kube-exec\.json: not valid JSON: /);

  const array = parseCommandsFile('[ { "name": "a", "command": "b" } ]', file);
  assert.match(problemText(array.problems[0]), /must hold an object such as \{ "savedCommands": \[ \.\.\. \] \}, not a list/);

  const extra = parseCommandsFile('{ "commands": [], "savedCommands": [ { "name": "a", "command": "b" } ] }', file);
  assert.equal(extra.commands.length, 1);
  assert.match(problemText(extra.problems[0]), /unknown key "commands" \(only "savedCommands" is read\)/);

  const notList = parseDefinitions({ name: 'x' }, user);
  assert.match(problemText(notList.problems[0]), /^User settings: kubeExec\.savedCommands must be a list of commands/);
  assert.deepEqual(parseDefinitions(undefined, user), { commands: [], problems: [] });
});

test('settings entries are named after the setting', () => {
  const { commands, problems } = parseDefinitions([{ name: 'ok', command: 'true', confirm: true }, { name: 'x', command: 5 }], user);
  assert.equal(commands[0].confirm, true);
  assert.equal(commands[0].origin.fromWorkspace, false);
  assert.match(problemText(problems[0]), /^User settings, kubeExec\.savedCommands\[1\] \("x"\): "command" must be a non-empty string/);
});

test('JSON comments and trailing commas are removed outside strings only', () => {
  const text = '{"a": "x // not a comment, /* nor this */", /* c */ "b": [1, 2,], // end\n "c": ",}" ,}';
  assert.deepEqual(JSON.parse(stripJsonComments(text)), { a: 'x // not a comment, /* nor this */', b: [1, 2], c: ',}' });
});

test('the JSON schema and the setting describe exactly what the loader accepts', async () => {
  const schema = JSON.parse(await readFile(new URL('../../media/schemas/kube-exec.schema.json', import.meta.url), 'utf8'));
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'));
  const entry = schema.definitions.savedCommand;
  assert.deepEqual(entry.required, ['name', 'command']);
  assert.equal(entry.additionalProperties, false);
  // Every key the schema offers loads, and a key outside it is refused.
  const all = { name: 'n', command: 'c', description: 'd', container: 'app', tty: true, confirm: true, labelSelector: 'a=b', namespaces: ['x'], contexts: 'y' };
  assert.deepEqual(Object.keys(entry.properties).sort(), Object.keys(all).sort());
  const loaded = parseDefinitions([all, { ...all, name: 'm', extra: 1 }], user);
  assert.equal(loaded.commands.length, 1);
  assert.equal(loaded.problems.length, 1);

  const setting = pkg.contributes.configuration.properties['kubeExec.savedCommands'];
  assert.equal(setting.type, 'array');
  assert.deepEqual(setting.items, entry, 'package.json must carry the schema file\'s savedCommand definition');
  assert.ok(
    pkg.contributes.jsonValidation.some((v: { fileMatch: string | string[]; url: string }) => [v.fileMatch].flat().includes('.vscode/kube-exec.json') && v.url === './media/schemas/kube-exec.schema.json'),
  );
  assert.deepEqual(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations, ['kubeExec.savedCommands']);
});
