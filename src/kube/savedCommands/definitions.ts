// Saved command definitions: what users write (in settings or `.vscode/kube-exec.json`), checked
// entry by entry. A broken entry becomes a problem naming its file, its place and what is wrong;
// the other entries still load. Unknown keys are errors too: a misspelt "confrim": true must not
// silently run without the confirmation its author asked for.
import { compileCommand, TemplateError, type CompiledCommand } from './template.ts';
import { parseLabelSelector, SelectorError, type Requirement } from './labelSelector.ts';

export interface DefinitionOrigin {
  /** Where the definitions came from, as people read it: a file path or "User settings". */
  label: string;
  /** Definitions from the workspace (its files or its settings) run only in a trusted workspace. */
  fromWorkspace: boolean;
  /** The file to open when the user wants to fix a problem. */
  file?: string;
}

export interface SavedCommand {
  /** Unique among loaded commands: origin label and name. */
  id: string;
  name: string;
  /** A string runs with `sh -c`; an array runs as argv, no shell. */
  command: string | string[];
  compiled: CompiledCommand;
  description?: string;
  /** Container name or `*` pattern; unset: the pod's default container. */
  container?: string;
  tty: boolean;
  confirm: boolean;
  labelSelector?: string;
  selector: Requirement[];
  /** Namespace name patterns the command applies to; empty: any. */
  namespaces: string[];
  /** Context name patterns the command applies to; empty: any. */
  contexts: string[];
  origin: DefinitionOrigin;
  /** Position in its list, for messages. */
  index: number;
}

export interface DefinitionProblem {
  origin: DefinitionOrigin;
  /** Position of the entry in its list; undefined for problems with the whole file. */
  index?: number;
  message: string;
}

export interface LoadedDefinitions {
  commands: SavedCommand[];
  problems: DefinitionProblem[];
}

/** The key under which a `.vscode/kube-exec.json` file lists its commands. */
export const FILE_KEY = 'savedCommands';

const KEYS = ['name', 'command', 'description', 'container', 'tty', 'confirm', 'labelSelector', 'namespaces', 'contexts'] as const;

export function problemText(p: DefinitionProblem): string {
  return p.index === undefined ? `${p.origin.label}: ${p.message}` : `${p.origin.label}, ${p.message}`;
}

/** Checks a list of definitions (the value of the setting, or the file's `savedCommands`). */
export function parseDefinitions(value: unknown, origin: DefinitionOrigin, listName = 'kubeExec.savedCommands'): LoadedDefinitions {
  const commands: SavedCommand[] = [];
  const problems: DefinitionProblem[] = [];
  if (value === undefined || value === null) return { commands, problems };
  if (!Array.isArray(value)) {
    problems.push({ origin, message: `${listName} must be a list of commands ([ {...}, ... ]), not ${describeType(value)}.` });
    return { commands, problems };
  }
  const names = new Set<string>();
  value.forEach((entry: unknown, index) => {
    const result = parseEntry(entry, origin, index);
    const where = `${listName}[${index}]${typeof result.name === 'string' && result.name ? ` ("${result.name}")` : ''}`;
    if ('errors' in result) {
      problems.push({ origin, index, message: `${where}: ${result.errors.join(' ')}` });
      return;
    }
    if (names.has(result.command.name)) {
      problems.push({ origin, index, message: `${where}: another command above already has this name; give each command its own name.` });
      return;
    }
    names.add(result.command.name);
    commands.push(result.command);
  });
  return { commands, problems };
}

/** Reads a `.vscode/kube-exec.json` file (comments and trailing commas allowed, as VS Code allows them there). */
export function parseCommandsFile(text: string, origin: DefinitionOrigin): LoadedDefinitions {
  let value: unknown;
  try {
    value = JSON.parse(stripJsonComments(text));
  } catch (err) {
    return { commands: [], problems: [{ origin, message: `not valid JSON: ${err instanceof Error ? err.message : String(err)}.` }] };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { commands: [], problems: [{ origin, message: `must hold an object such as { "${FILE_KEY}": [ ... ] }, not ${describeType(value)}.` }] };
  }
  const problems: DefinitionProblem[] = [];
  const unknown = Object.keys(value).filter((k) => k !== FILE_KEY && k !== '$schema');
  if (unknown.length > 0) problems.push({ origin, message: `unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} (only "${FILE_KEY}" is read).` });
  const loaded = parseDefinitions((value as Record<string, unknown>)[FILE_KEY], origin, FILE_KEY);
  return { commands: loaded.commands, problems: [...problems, ...loaded.problems] };
}

type EntryResult = { name?: unknown; command: SavedCommand } | { name?: unknown; errors: string[] };

function parseEntry(entry: unknown, origin: DefinitionOrigin, index: number): EntryResult {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    return { errors: [`each command must be an object with at least "name" and "command", not ${describeType(entry)}.`] };
  }
  const e = entry as Record<string, unknown>;
  const errors: string[] = [];
  const unknown = Object.keys(e).filter((k) => !(KEYS as readonly string[]).includes(k));
  for (const k of unknown) errors.push(`"${k}" is not a known key (known: ${KEYS.join(', ')}).`);

  const name = typeof e.name === 'string' ? e.name.trim() : '';
  if (name === '') errors.push('"name" is missing or empty.');

  let compiled: CompiledCommand | undefined;
  const command = e.command;
  if (typeof command === 'string' && command.trim() !== '') {
    compiled = compileOrReport(command, errors);
  } else if (Array.isArray(command) && command.length > 0 && command.every((a) => typeof a === 'string') && (command[0] as string) !== '') {
    compiled = compileOrReport(command as string[], errors);
  } else {
    errors.push(
      command === undefined
        ? '"command" is missing: give a string (run by the container\'s sh) or an array such as ["cat", "/etc/os-release"] (run directly).'
        : '"command" must be a non-empty string, or a non-empty array of strings whose first element is the program.',
    );
  }

  const description = optionalString(e, 'description', errors);
  const container = optionalString(e, 'container', errors);
  const tty = optionalBoolean(e, 'tty', errors);
  const confirm = optionalBoolean(e, 'confirm', errors);
  const labelSelector = optionalString(e, 'labelSelector', errors);
  let selector: Requirement[] = [];
  if (labelSelector !== undefined) {
    try {
      selector = parseLabelSelector(labelSelector);
    } catch (err) {
      if (!(err instanceof SelectorError)) throw err;
      errors.push(`"labelSelector": ${err.message}`);
    }
  }
  const namespaces = patternList(e, 'namespaces', errors);
  const contexts = patternList(e, 'contexts', errors);

  if (errors.length > 0 || !compiled) return { name: e.name, errors };
  return {
    name,
    command: {
      id: `${origin.label}#${name}`,
      name,
      command: typeof command === 'string' ? command : [...(command as string[])],
      compiled,
      description,
      container: container?.trim() || undefined,
      tty: tty ?? false,
      confirm: confirm ?? false,
      labelSelector: labelSelector?.trim() || undefined,
      selector,
      namespaces,
      contexts,
      origin,
      index,
    },
  };
}

function compileOrReport(command: string | string[], errors: string[]): CompiledCommand | undefined {
  try {
    return compileCommand(command);
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    errors.push(`"command": ${err.message}`);
    return undefined;
  }
}

function optionalString(e: Record<string, unknown>, key: string, errors: string[]): string | undefined {
  const v = e[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') {
    errors.push(`"${key}" must be a string, not ${describeType(v)}.`);
    return undefined;
  }
  return v;
}

function optionalBoolean(e: Record<string, unknown>, key: string, errors: string[]): boolean | undefined {
  const v = e[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') {
    errors.push(`"${key}" must be true or false, not ${describeType(v)}.`);
    return undefined;
  }
  return v;
}

function patternList(e: Record<string, unknown>, key: string, errors: string[]): string[] {
  const v = e[key];
  if (v === undefined) return [];
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || !list.every((p) => typeof p === 'string' && p.trim() !== '')) {
    errors.push(`"${key}" must be a name pattern such as "app-*", or a list of them.`);
    return [];
  }
  return list.map((p: string) => p.trim());
}

function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `the text "${v.length > 40 ? `${v.slice(0, 40)}...` : v}"`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v === 'number' ? 'the number' : typeof v} ${String(v)}`;
}

/**
 * JSON with comments (// and /* *\/) and trailing commas, as in VS Code's own `.vscode/*.json`
 * files, turned into plain JSON. Comments become spaces, so JSON.parse's positions still point
 * at the right line and column.
 */
export function stripJsonComments(text: string): string {
  return dropTrailingCommas(blankComments(text));
}

/** Runs `other` on every character outside string literals; strings are copied as they are. */
function outsideStrings(text: string, other: (i: number, out: string[]) => number): string {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out.push(text.slice(i, j + 1));
      i = j + 1;
    } else {
      i = other(i, out);
    }
  }
  return out.join('');
}

function blankComments(text: string): string {
  return outsideStrings(text, (i, out) => {
    const c = text[i];
    let stop = i + 1;
    if (c === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      stop = end === -1 ? text.length : end;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      stop = end === -1 ? text.length : end + 2;
    } else {
      out.push(c);
      return stop;
    }
    out.push(text.slice(i, stop).replace(/[^\n]/g, ' '));
    return stop;
  });
}

function dropTrailingCommas(text: string): string {
  return outsideStrings(text, (i, out) => {
    const c = text[i];
    let j = i + 1;
    if (c === ',') while (j < text.length && /\s/.test(text[j])) j += 1;
    out.push(c === ',' && (text[j] === '}' || text[j] === ']') ? ' ' : c);
    return i + 1;
  });
}
