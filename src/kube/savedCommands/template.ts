// Variables in saved commands (`${pod}`, `${input:Prompt}`, ...) and how their values reach the
// container without ever becoming code.
//
// An argv command gets each value as plain text inside its element: nothing parses it.
// A shell string gets each value single-quoted, and the quotes must fit where the variable
// stands: unquoted -> 'v'; inside "..." -> close, 'v', reopen ("a"'v'"b"); inside '...' the
// same with single quotes. A pod name or an answer such as `$(touch /tmp/x); echo "hi"` stays
// literal text. To know where a variable stands, the script is scanned with the POSIX quoting
// rules. Places where that scan could be wrong, or where the shell expands even quoted text
// (backquotes, `${...}`, `$'...'`, `$((...))`, a here-document, a `case` inside `$(...)`), are
// refused when the definition loads, so a value never lands in a context we only guessed.

export const VARIABLE_NAMES = ['pod', 'namespace', 'container', 'context', 'node'] as const;
export type VariableName = (typeof VARIABLE_NAMES)[number];

export type Quoting = 'none' | 'single' | 'double' | 'comment';

/**
 * Where a variable stands. `opensQuote`/`closesQuote`: right after the opening quote of its
 * '...' or "..." (right before the closing one), so the quote pair around the value can be left
 * out instead of leaving an empty "" behind: "${pod}" runs as 'web-0', not as ""'web-0'"".
 */
interface Placement {
  quoting: Quoting;
  opensQuote?: boolean;
  closesQuote?: boolean;
}

export type Segment =
  | { kind: 'text'; text: string }
  | ({ kind: 'var'; name: VariableName } & Placement)
  | ({ kind: 'input'; prompt: string } & Placement);

export type CompiledCommand =
  | { kind: 'shell'; source: string; segments: Segment[] }
  | { kind: 'argv'; source: string[]; args: Segment[][] };

/** What the variables stand for on one target; `inputs` maps a prompt to the user's answer. */
export interface VariableValues {
  pod: string;
  namespace: string;
  container: string;
  context: string;
  /** The node the pod runs on; empty when it is not scheduled. */
  node: string;
  inputs: ReadonlyMap<string, string>;
}

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

const PLACEHOLDER = /^\$\{(pod|namespace|container|context|node|input:([^}]*))\}/;

/** Shell string commands run as `sh -c SCRIPT`: sh is the one shell every Linux image with a shell has. */
export const SHELL = ['sh', '-c'];

export function compileCommand(command: string | readonly string[]): CompiledCommand {
  if (typeof command === 'string') return { kind: 'shell', source: command, segments: scanShell(command) };
  return { kind: 'argv', source: [...command], args: command.map((arg) => scanPlain(arg)) };
}

/** The distinct `${input:...}` prompts, in order of first use: each is asked once per run. */
export function inputPrompts(compiled: CompiledCommand): string[] {
  const segments = compiled.kind === 'shell' ? compiled.segments : compiled.args.flat();
  const prompts: string[] = [];
  for (const s of segments) if (s.kind === 'input' && !prompts.includes(s.prompt)) prompts.push(s.prompt);
  return prompts;
}

export function usesVariable(compiled: CompiledCommand, name: VariableName): boolean {
  const segments = compiled.kind === 'shell' ? compiled.segments : compiled.args.flat();
  return segments.some((s) => s.kind === 'var' && s.name === name);
}

/** The argv to exec: `sh -c SCRIPT` for a shell string, the substituted array otherwise. */
export function renderCommand(compiled: CompiledCommand, values: VariableValues): string[] {
  if (compiled.kind === 'shell') return [...SHELL, renderShell(compiled.segments, values)];
  return compiled.args.map((segments) => segments.map((s) => (s.kind === 'text' ? s.text : valueOf(s, values))).join(''));
}

/** The script with every value quoted for where it stands. */
export function renderShell(segments: readonly Segment[], values: VariableValues): string {
  let out = '';
  let dropQuote = false;
  for (const s of segments) {
    if (s.kind === 'text') {
      // The closing quote of a string that ended with a variable, already closed before the value.
      out += dropQuote ? s.text.slice(1) : s.text;
      dropQuote = false;
      continue;
    }
    dropQuote = false;
    const value = valueOf(s, values);
    switch (s.quoting) {
      case 'none':
        out += shellQuote(value);
        break;
      case 'double':
      case 'single': {
        const q = s.quoting === 'double' ? '"' : "'";
        // The opening quote is the last character written: the scan saw it right before the variable.
        if (s.opensQuote) out = out.slice(0, -1);
        else out += q;
        out += shellQuote(value);
        if (s.closesQuote) dropQuote = true;
        else out += q;
        break;
      }
      case 'comment':
        // A line break would end the comment and run the rest; the value is only read by people here.
        out += value.replace(/[\r\n]+/g, ' ');
        break;
    }
  }
  return out;
}

/** One shell word that is exactly `value`: single quotes keep everything literal but `'` itself. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** How a command reads for people (confirmations, reports): argv elements quoted where needed. */
export function displayCommand(argv: readonly string[]): string {
  if (argv.length === 3 && argv[0] === SHELL[0] && argv[1] === SHELL[1]) return argv[2];
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : shellQuote(a))).join(' ');
}

function valueOf(s: Extract<Segment, { kind: 'var' | 'input' }>, values: VariableValues): string {
  if (s.kind === 'input') {
    const answer = values.inputs.get(s.prompt);
    if (answer === undefined) throw new TemplateError(`No answer was given for "${s.prompt}".`);
    return answer;
  }
  return values[s.name];
}

function placeholderAt(text: string, i: number): { segment: Extract<Segment, { kind: 'var' | 'input' }>; length: number } | undefined {
  if (text[i] !== '$' || text[i + 1] !== '{') return undefined;
  const m = PLACEHOLDER.exec(text.slice(i, i + 1024));
  if (!m) return undefined;
  if (m[2] !== undefined) {
    const prompt = m[2].trim();
    if (prompt === '') throw new TemplateError('${input:...} needs a prompt text, for example ${input:Which table?}.');
    return { segment: { kind: 'input', prompt, quoting: 'none' }, length: m[0].length };
  }
  return { segment: { kind: 'var', name: m[1] as VariableName, quoting: 'none' }, length: m[0].length };
}

function scanPlain(text: string): Segment[] {
  const segments: Segment[] = [];
  let literal = '';
  for (let i = 0; i < text.length; ) {
    const p = placeholderAt(text, i);
    if (p) {
      if (literal) segments.push({ kind: 'text', text: literal });
      literal = '';
      segments.push(p.segment);
      i += p.length;
    } else {
      literal += text[i];
      i += 1;
    }
  }
  if (literal) segments.push({ kind: 'text', text: literal });
  return segments;
}

/**
 * Where the scanner is. Code frames (`none`, `paren` for `$(...)`, `brace` for a `${...}` that is
 * not ours) scan quotes and substitutions; quoting starts afresh inside `$(...)`. No variable may
 * stand inside a `brace`, `arith`, `backquote` or `ansiC` frame (see UNMODELLED).
 */
type Frame =
  | { kind: 'none' }
  | { kind: 'paren'; depth: number; sawCase: boolean }
  | { kind: 'brace'; depth: number }
  | { kind: 'arith'; depth: number }
  | { kind: 'single'; start: number }
  | { kind: 'double'; start: number }
  | { kind: 'comment' }
  | { kind: 'backquote' }
  | { kind: 'ansiC' };

const WORD_START = /[\s;&|()<>]/;

const UNMODELLED: Partial<Record<Frame['kind'], string>> = {
  brace: 'inside ${...}',
  backquote: 'inside backquotes (use $(...) instead)',
  ansiC: "inside $'...'",
  // The shell expands $(...) inside an arithmetic expression even within single quotes.
  arith: 'inside an arithmetic expression $((...)) or ((...))',
};

function scanShell(script: string): Segment[] {
  const segments: Segment[] = [];
  const stack: Frame[] = [{ kind: 'none' }];
  let literal = '';
  /** Set once a here-document may start: its body follows rules of its own, so no variable after it. */
  let heredoc = false;
  const flush = (): void => {
    if (literal) segments.push({ kind: 'text', text: literal });
    literal = '';
  };
  const refusal = (): string | undefined => {
    if (heredoc) return 'after a here-document (<<)';
    for (const f of stack) {
      const why = UNMODELLED[f.kind];
      if (why) return why;
      if (f.kind === 'paren' && f.sawCase) return 'inside a "case" within $(...)';
    }
    return undefined;
  };

  for (let i = 0; i < script.length; ) {
    const frame = stack[stack.length - 1];
    const c = script[i];
    const next = script[i + 1];

    const p = c === '$' && next === '{' ? placeholderAt(script, i) : undefined;
    if (p) {
      const why = refusal();
      if (why) {
        const name = p.segment.kind === 'input' ? '${input:...}' : `\${${p.segment.name}}`;
        throw new TemplateError(`${name} cannot be used ${why}: Kube Exec could not quote its value safely there. Move it out, or use an argv array.`);
      }
      flush();
      if (frame.kind === 'single' || frame.kind === 'double') {
        const quote = frame.kind === 'single' ? "'" : '"';
        segments.push({ ...p.segment, quoting: frame.kind, opensQuote: frame.start === i - 1, closesQuote: script[i + p.length] === quote });
      } else {
        segments.push({ ...p.segment, quoting: frame.kind === 'comment' ? 'comment' : 'none' });
      }
      i += p.length;
      continue;
    }

    literal += c;
    i += 1;
    const take = (): void => {
      literal += script[i];
      i += 1;
    };
    switch (frame.kind) {
      case 'single':
        if (c === "'") stack.pop();
        break;
      case 'comment':
        if (c === '\n') stack.pop();
        break;
      case 'backquote':
        if (c === '\\' && next !== undefined) take();
        else if (c === '`') stack.pop();
        break;
      case 'ansiC':
        if (c === '\\' && next !== undefined) take();
        else if (c === "'") stack.pop();
        break;
      case 'double':
        if (c === '\\' && next !== undefined) take();
        else if (c === '"') stack.pop();
        else if (c === '`') stack.push({ kind: 'backquote' });
        else if (c === '$' && next === '(' && script[i + 1] === '(') {
          take();
          take();
          stack.push({ kind: 'arith', depth: 0 });
        } else if (c === '$' && next === '(') {
          take();
          stack.push({ kind: 'paren', depth: 0, sawCase: false });
        } else if (c === '$' && next === '{') {
          take();
          stack.push({ kind: 'brace', depth: 0 });
        }
        break;
      case 'arith':
        if (c === '(') frame.depth += 1;
        else if (c === ')') {
          if (frame.depth > 0) frame.depth -= 1;
          else if (next === ')') {
            take();
            stack.pop();
          }
          // A lone `)` at depth 0 is not how arithmetic ends: stay in it, so nothing after counts as safe.
        }
        break;
      case 'none':
      case 'paren':
      case 'brace': {
        const prev = script[i - 2];
        const atWordStart = prev === undefined || WORD_START.test(prev);
        if (c === '\\' && next !== undefined) take();
        else if (c === "'") stack.push({ kind: 'single', start: i - 1 });
        else if (c === '"') stack.push({ kind: 'double', start: i - 1 });
        else if (c === '`') stack.push({ kind: 'backquote' });
        else if (c === '#' && atWordStart && frame.kind !== 'brace') stack.push({ kind: 'comment' });
        else if ((c === '$' || (c === '(' && atWordStart)) && next === '(' && (c === '(' || script[i + 1] === '(')) {
          // $((...)) or, in bash, the ((...)) command
          take();
          if (c === '$') take();
          stack.push({ kind: 'arith', depth: 0 });
        } else if (c === '$' && next === '(') {
          take();
          stack.push({ kind: 'paren', depth: 0, sawCase: false });
        } else if (c === '$' && next === '{') {
          take();
          stack.push({ kind: 'brace', depth: 0 });
        } else if (c === '$' && next === "'") {
          take();
          stack.push({ kind: 'ansiC' });
        } else if (c === '<' && next === '<') {
          heredoc = true;
        } else if (frame.kind === 'paren') {
          if (c === '(') frame.depth += 1;
          else if (c === ')') {
            // After `case`, a pattern's `)` cannot be told from the closing one: never leave.
            if (frame.depth === 0 && !frame.sawCase) stack.pop();
            else if (frame.depth > 0) frame.depth -= 1;
          } else if (atWordStart && script.startsWith('case', i - 1) && !/[\w-]/.test(script[i + 3] ?? '')) {
            frame.sawCase = true;
          }
        } else if (frame.kind === 'brace') {
          if (c === '{') frame.depth += 1;
          else if (c === '}') {
            if (frame.depth === 0) stack.pop();
            else frame.depth -= 1;
          }
        }
        break;
      }
    }
  }
  flush();
  return segments;
}
