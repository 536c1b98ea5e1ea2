// Variable substitution in saved commands: values must reach the container as literal text,
// never as shell code. Each case is run by a real sh (and bash), not only compared as strings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileCommand, displayCommand, inputPrompts, renderCommand, shellQuote, TemplateError, type VariableValues } from '../../src/kube/savedCommands/template.ts';

function run(argv: string[]): Promise<{ stdout: string; code: number }> {
  return new Promise((resolve, reject) => {
    execFile(argv[0], argv.slice(1), { timeout: 5000 }, (err, stdout) => {
      if (err && typeof err.code !== 'number') reject(err);
      else resolve({ stdout, code: typeof err?.code === 'number' ? err.code : 0 });
    });
  });
}

const shells = ['sh', 'bash'];

function values(hostile: string, inputs: Record<string, string> = {}): VariableValues {
  return { pod: hostile, namespace: 'shop', container: 'app', context: 'kind-dev', node: 'node-1', inputs: new Map(Object.entries(inputs)) };
}

test('hostile values stay literal in every quoting context a script can put them in', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kube-exec-quoting-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const hostile = [
    `$(touch ${dir}/dollar-paren)`,
    `\`touch ${dir}/backquote\``,
    `x; touch ${dir}/semicolon`,
    `it's "quoted" \\ and '$(touch ${dir}/in-quotes)'`,
    `line1\ntouch ${dir}/newline\n# end`,
    `$HOME \${PATH} * ?`,
    `'; touch ${dir}/closing-quote; '`,
    `"; touch ${dir}/closing-dquote; "`,
  ];
  // Each template prints the value between markers; the expected output is computed from the value.
  const templates: Array<[template: string, expected: (v: string) => string]> = [
    ['printf "[%s]" ${pod}', (v) => `[${v}]`],
    ['printf "[%s]" "${pod}"', (v) => `[${v}]`],
    ['printf "[%s]" "pre-${pod}-post"', (v) => `[pre-${v}-post]`],
    ["printf '[%s]' 'pre-${pod}-post'", (v) => `[pre-${v}-post]`],
    ['printf "[%s]" pre-${pod}-post', (v) => `[pre-${v}-post]`],
    ['printf "[%s]" "$(printf "%s" ${pod})"', (v) => `[${v.replace(/\n+$/, '')}]`],
    ['printf "[%s]" "$(printf "%s" "in ${pod}")"', (v) => `[in ${v.replace(/\n+$/, '')}]`],
    ['x=${pod}; printf "[%s]" "$x"', (v) => `[${v}]`],
    ["printf '[%s]' '${pod}'", (v) => `[${v}]`],
    ['printf "[%s]" "${pod}${namespace}" "${pod}""${pod}"', (v) => `[${v}shop][${v}${v}]`],
    ['printf "[%s]" ${input:Answer?}', (v) => `[${v}]`],
    ['printf "[ok]" # comment with ${pod}\nprintf "[after]"', () => '[ok][after]'],
  ];
  // One script per shell and value (the templates one after another, output separated by a
  // marker) keeps this to a few dozen processes.
  const marker = '<<next>>';
  const compiled = templates.map(([template]) => compileCommand(template));
  await Promise.all(
    shells.flatMap((shell) =>
      hostile.map(async (value) => {
        const scripts = compiled.map((c) => renderCommand(c, values(value, { 'Answer?': value }))[2]);
        const { stdout, code } = await run([shell, '-c', scripts.join(`\nprintf '%s' '${marker}'\n`)]);
        assert.equal(code, 0, `${shell} with ${JSON.stringify(value)} failed`);
        const outputs = stdout.split(marker);
        templates.forEach(([template, expected], i) => {
          assert.equal(outputs[i], expected(value), `${shell}: ${template} with ${JSON.stringify(value)}; script: ${scripts[i]}`);
        });
      }),
    ),
  );
  assert.deepEqual(await readdir(dir), [], 'no injected command may have run');
});

test('argv commands get values as plain elements, run directly with no shell', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kube-exec-argv-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const value = `$(touch ${dir}/x); echo 'a' "b"`;
  const argv = renderCommand(compileCommand(['printf', '%s|%s|%s', '${pod}', '--ns=${namespace}', '${input:Table}']), values(value, { Table: value }));
  assert.deepEqual(argv, ['printf', '%s|%s|%s', value, '--ns=shop', value]);
  const { stdout } = await run(argv);
  assert.equal(stdout, `${value}|--ns=shop|${value}`);
  assert.deepEqual(await readdir(dir), []);
});

test('a variable that fills a whole quoted string runs as one plain quoted value', () => {
  const argv = renderCommand(compileCommand(`cat "\${pod}" '\${namespace}' "/etc/\${container}.conf" "a\\"\${pod}"`), values('web-0'));
  assert.equal(argv[2], `cat 'web-0' 'shop' "/etc/"'app'".conf" "a\\""'web-0'`);
});

test('every variable is filled in; other ${...} and escaped ones are left to the shell', async () => {
  const compiled = compileCommand('echo ${pod} ${namespace} ${container} ${context} ${node} ${HOME:+home} \\${pod}');
  const argv = renderCommand(compiled, values('web-0'));
  assert.equal(argv[2], "echo 'web-0' 'shop' 'app' 'kind-dev' 'node-1' ${HOME:+home} \\${pod}");
  const { stdout } = await run(['sh', '-c', argv[2]]);
  assert.equal(stdout, 'web-0 shop app kind-dev node-1 home ${pod}\n');
});

test('each ${input:...} prompt is asked once, in order of first use', () => {
  const compiled = compileCommand('psql -c "select * from ${input:Table?}" && echo ${input:Why?} ${input:Table?}');
  assert.deepEqual(inputPrompts(compiled), ['Table?', 'Why?']);
  assert.deepEqual(inputPrompts(compileCommand(['a', '${input:One}', 'x${input:Two}y', '${input:One}'])), ['One', 'Two']);
  assert.throws(() => renderCommand(compiled, values('p')), /No answer was given for "Table\?"/);
  assert.throws(() => compileCommand('echo ${input: }'), /needs a prompt text/);
});

test('variables where quoting cannot be made safe are refused, saying where', () => {
  const refused: Array<[string, RegExp]> = [
    ['echo `cat ${pod}`', /inside backquotes/],
    ['echo ${X:-${pod}}', /inside \$\{\.\.\.\}/],
    ['echo "${X:-${pod}}"', /inside \$\{\.\.\.\}/],
    ["echo $'${pod}'", /inside \$'\.\.\.'/],
    ['echo $((${pod} + 1))', /arithmetic/],
    ['(( ${pod} ))', /arithmetic/],
    ['cat <<EOF\n${pod}\nEOF', /here-document/],
    ['x=$(case a in a) echo ${pod};; esac)', /case/],
  ];
  for (const [template, message] of refused) {
    assert.throws(() => compileCommand(template), (err: unknown) => err instanceof TemplateError && message.test(err.message), template);
  }
  // The same constructs without a variable in them are fine.
  assert.doesNotThrow(() => compileCommand('echo `date` $((1 + 2)) ${HOME} ${pod}'));
});

test('shellQuote and displayCommand', async () => {
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
  assert.equal((await run(['sh', '-c', `printf %s ${shellQuote("a'b\"c$(x)")}`])).stdout, `a'b"c$(x)`);
  assert.equal(displayCommand(['sh', '-c', 'env | sort']), 'env | sort');
  assert.equal(displayCommand(['cat', '/etc/os-release', 'a b']), "cat /etc/os-release 'a b'");
});
