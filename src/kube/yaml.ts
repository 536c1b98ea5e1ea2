// A small reader for the YAML that kubeconfig files are made of: block mappings and sequences,
// plain and quoted scalars, `{}`/`[]` and one-line flow lists of scalars, comments. JSON is
// read as JSON. Anything fancier (anchors, tags, block scalars, multi-line scalars, nested
// flow collections) throws UnsupportedYamlError, and the caller falls back to a full YAML
// implementation: this exists so that neither the CLI nor the extension's activation need load
// one for the common file.

export class UnsupportedYamlError extends Error {
  constructor(line: number, what: string) {
    super(`line ${line}: ${what} is not supported by the quick kubeconfig reader`);
    this.name = 'UnsupportedYamlError';
  }
}

/** A document that is not valid YAML. The message gives the reason and where, never the text. */
export class YamlSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'YamlSyntaxError';
  }
}

/**
 * A kubeconfig document. The quick reader below takes the common file; anything else (anchors,
 * block scalars, or a syntax error, whose message js-yaml words best) goes to js-yaml, loaded
 * only then. An empty text is an empty document (undefined), as kubectl treats an empty file.
 */
export async function parseYamlDocument(text: string): Promise<unknown> {
  // js-yaml 5 refuses an empty input.
  if (text.trim() === '') return undefined;
  try {
    return parseYaml(text);
  } catch {
    // Read again by js-yaml.
  }
  const { load } = await import('js-yaml');
  try {
    return load(text);
  } catch (err) {
    throw new YamlSyntaxError(yamlReason(err));
  }
}

// js-yaml's message quotes the offending lines, which may hold a token: keep only the reason and position.
function yamlReason(err: unknown): string {
  const e = err as { reason?: unknown; mark?: { line?: number; column?: number } };
  if (typeof e.reason === 'string') {
    const where = e.mark && typeof e.mark.line === 'number' ? ` (line ${e.mark.line + 1}, column ${(e.mark.column ?? 0) + 1})` : '';
    return `${e.reason}${where}`;
  }
  return 'not valid YAML';
}

export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

interface Line {
  /** 1-based, for messages. */
  number: number;
  indent: number;
  text: string;
}

export function parseYaml(source: string): YamlValue {
  const trimmed = source.replace(/^\uFEFF/, '').trim();
  if (trimmed.startsWith('{')) return JSON.parse(trimmed) as YamlValue;
  const lines = toLines(source);
  if (lines.length === 0) return null;
  const parser = new Parser(lines);
  const value = parser.node(lines[0].indent);
  if (parser.pos < lines.length) {
    const line = lines[parser.pos];
    throw new UnsupportedYamlError(line.number, 'this indentation');
  }
  return value;
}

function toLines(source: string): Line[] {
  const lines: Line[] = [];
  const raw = source.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let i = 0; i < raw.length; i++) {
    const full = raw[i];
    const text = stripComment(full).trimEnd();
    const content = text.trimStart();
    if (content === '') continue;
    if (i === 0 || lines.length === 0) {
      if (content === '---') continue;
      if (content.startsWith('%')) throw new UnsupportedYamlError(i + 1, 'a directive');
    }
    if (content === '---' || content === '...') throw new UnsupportedYamlError(i + 1, 'a second document');
    const indentText = text.slice(0, text.length - content.length);
    if (indentText.includes('\t')) throw new UnsupportedYamlError(i + 1, 'tab indentation');
    lines.push({ number: i + 1, indent: indentText.length, text: content });
  }
  return lines;
}

/** Removes a ` #...` comment that is outside quotes. */
function stripComment(line: string): string {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      if (i === 0 || /[\s:\-[{,]/.test(line[i - 1])) quote = c;
    } else if (c === '#' && (i === 0 || line[i - 1] === ' ' || line[i - 1] === '\t')) {
      return line.slice(0, i);
    }
  }
  return line;
}

class Parser {
  readonly lines: Line[];
  pos = 0;

  constructor(lines: Line[]) {
    this.lines = lines;
  }

  node(indent: number): YamlValue {
    const line = this.lines[this.pos];
    if (!line || line.indent < indent) return null;
    if (isSequenceItem(line.text)) return this.sequence(line.indent);
    if (splitKey(line.text, line.number)) return this.mapping(line.indent);
    this.pos++;
    const value = scalarOrFlow(line.text, line.number);
    const next = this.lines[this.pos];
    if (next && next.indent > indent) throw new UnsupportedYamlError(next.number, 'a multi-line scalar');
    return value;
  }

  mapping(indent: number): YamlValue {
    const result: { [key: string]: YamlValue } = {};
    while (this.pos < this.lines.length) {
      const line = this.lines[this.pos];
      if (line.indent !== indent) break;
      const pair = splitKey(line.text, line.number);
      if (!pair) {
        if (isSequenceItem(line.text)) break;
        throw new UnsupportedYamlError(line.number, 'a line that is neither "key: value" nor "- item"');
      }
      this.pos++;
      const [key, rest] = pair;
      if (Object.hasOwn(result, key)) throw new UnsupportedYamlError(line.number, `the duplicate key "${key}"`);
      if (rest !== '') {
        result[key] = scalarOrFlow(rest, line.number);
        const next = this.lines[this.pos];
        if (next && next.indent > indent) throw new UnsupportedYamlError(next.number, 'a multi-line scalar');
        continue;
      }
      const next = this.lines[this.pos];
      if (next && next.indent > indent) result[key] = this.node(next.indent);
      // go-yaml writes a mapping's block sequence at the key's own indentation.
      else if (next && next.indent === indent && isSequenceItem(next.text)) result[key] = this.sequence(indent);
      else result[key] = null;
    }
    return result;
  }

  sequence(indent: number): YamlValue {
    const result: YamlValue[] = [];
    while (this.pos < this.lines.length) {
      const line = this.lines[this.pos];
      if (line.indent !== indent || !isSequenceItem(line.text)) break;
      const content = line.text.slice(1).trimStart();
      if (content === '') {
        this.pos++;
        const next = this.lines[this.pos];
        result.push(next && next.indent > indent ? this.node(next.indent) : null);
        continue;
      }
      // "- key: value" opens a mapping (or "- - x" a sequence) whose column is the content's.
      const column = indent + (line.text.length - content.length);
      if (isSequenceItem(content) || splitKey(content, line.number)) {
        this.lines[this.pos] = { number: line.number, indent: column, text: content };
        result.push(this.node(column));
        continue;
      }
      this.pos++;
      result.push(scalarOrFlow(content, line.number));
      const next = this.lines[this.pos];
      if (next && next.indent > indent) throw new UnsupportedYamlError(next.number, 'a multi-line scalar');
    }
    return result;
  }
}

function isSequenceItem(text: string): boolean {
  return text === '-' || text.startsWith('- ');
}

/** "key: rest" -> [key, rest]; undefined when the line is not a mapping entry. */
function splitKey(text: string, lineNumber: number): [string, string] | undefined {
  let keyEnd: number;
  let key: string;
  if (text.startsWith('"') || text.startsWith("'")) {
    const end = quotedEnd(text, 0);
    if (end < 0) return undefined;
    keyEnd = end + 1;
    if (text[keyEnd] !== ':' || (keyEnd + 1 < text.length && text[keyEnd + 1] !== ' ')) return undefined;
    key = String(quoted(text.slice(0, keyEnd), lineNumber));
  } else {
    if (text.startsWith('[') || text.startsWith('{')) return undefined;
    const match = /:(?: |$)/.exec(text);
    if (!match) return undefined;
    keyEnd = match.index;
    key = text.slice(0, keyEnd).trimEnd();
    if (key.startsWith('? ') || key === '?') throw new UnsupportedYamlError(lineNumber, 'a complex key');
  }
  return [key, text.slice(keyEnd + 1).trim()];
}

function scalarOrFlow(text: string, lineNumber: number): YamlValue {
  if (text.startsWith('[')) return flowSequence(text, lineNumber);
  if (text.startsWith('{')) {
    if (/^\{\s*\}$/.test(text)) return {};
    throw new UnsupportedYamlError(lineNumber, 'a flow mapping');
  }
  return scalar(text, lineNumber);
}

function flowSequence(text: string, lineNumber: number): YamlValue[] {
  if (!text.endsWith(']')) throw new UnsupportedYamlError(lineNumber, 'a multi-line flow sequence');
  const inner = text.slice(1, -1).trim();
  if (inner === '') return [];
  const items: YamlValue[] = [];
  let start = 0;
  for (let i = 0; i <= inner.length; i++) {
    const c = inner[i];
    if (c === '"' || c === "'") {
      const end = quotedEnd(inner, i);
      if (end < 0) throw new UnsupportedYamlError(lineNumber, 'an unterminated string');
      i = end;
    } else if (c === '[' || c === '{') {
      throw new UnsupportedYamlError(lineNumber, 'a nested flow collection');
    } else if (c === ',' || i === inner.length) {
      const item = inner.slice(start, i).trim();
      if (item !== '' || i < inner.length) items.push(scalar(item, lineNumber));
      start = i + 1;
    }
  }
  return items;
}

function scalar(text: string, lineNumber: number): YamlValue {
  if (text.startsWith('"') || text.startsWith("'")) {
    if (quotedEnd(text, 0) !== text.length - 1) throw new UnsupportedYamlError(lineNumber, 'text after a quoted string');
    return quoted(text, lineNumber);
  }
  const first = text[0];
  if (first === '&' || first === '*' || first === '!') throw new UnsupportedYamlError(lineNumber, 'an anchor, alias or tag');
  if (first === '|' || first === '>') throw new UnsupportedYamlError(lineNumber, 'a block scalar');
  if (first === '@' || first === '`') throw new UnsupportedYamlError(lineNumber, 'a reserved indicator');
  switch (text) {
    case '':
    case '~':
    case 'null':
    case 'Null':
    case 'NULL':
      return null;
    case 'true':
    case 'True':
    case 'TRUE':
      return true;
    case 'false':
    case 'False':
    case 'FALSE':
      return false;
  }
  if (/^[-+]?(0|[1-9][0-9]*)$/.test(text)) return Number(text);
  return text;
}

/** Index of the closing quote of the string opening at `start`, or -1. */
function quotedEnd(text: string, start: number): number {
  const q = text[start];
  for (let i = start + 1; i < text.length; i++) {
    if (q === '"' && text[i] === '\\') {
      i++;
      continue;
    }
    if (text[i] === q) {
      if (q === "'" && text[i + 1] === "'") {
        i++;
        continue;
      }
      return i;
    }
  }
  return -1;
}

function quoted(text: string, lineNumber: number): string {
  if (text.startsWith("'")) return text.slice(1, -1).replaceAll("''", "'");
  try {
    // YAML's double-quoted escapes are a superset of JSON's; the common ones are the same.
    return JSON.parse(text) as string;
  } catch {
    throw new UnsupportedYamlError(lineNumber, 'this escape sequence');
  }
}
