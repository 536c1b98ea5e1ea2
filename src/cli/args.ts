// Command-line flags in kubectl's (pflag's) syntax: `-n NS`, `-nNS`, `-n=NS`, `--namespace NS`,
// `--namespace=NS`, bundled booleans (`-it`), and `--` before the remote command.

export interface FlagSpec {
  /** Long name without dashes, e.g. "namespace". */
  long: string;
  short?: string;
  /** Takes a value (otherwise a boolean). */
  value: boolean;
}

export interface ParsedArgs {
  flags: Map<string, string | true>;
  positionals: string[];
  /** Everything after `--`, or undefined when there was no `--`. */
  rest: string[] | undefined;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[]): ParsedArgs {
  const byLong = new Map(specs.map((s) => [s.long, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const flags = new Map<string, string | true>();
  const positionals: string[] = [];
  let rest: string[] | undefined;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      rest = argv.slice(i + 1);
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const spec = byLong.get(name);
      if (!spec) throw new UsageError(`unknown flag: --${name}`);
      if (!spec.value) {
        if (eq >= 0 && !/^(true|false)$/.test(arg.slice(eq + 1))) throw new UsageError(`invalid argument "${arg.slice(eq + 1)}" for "--${name}" flag`);
        if (eq < 0 || arg.slice(eq + 1) === 'true') flags.set(spec.long, true);
        else flags.delete(spec.long);
      } else if (eq >= 0) {
        flags.set(spec.long, arg.slice(eq + 1));
      } else {
        if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: --${name}`);
        flags.set(spec.long, argv[++i]);
      }
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      // A run of short flags; a value flag takes the rest of the run, or the next argument.
      for (let j = 1; j < arg.length; j++) {
        const spec = byShort.get(arg[j]);
        if (!spec) throw new UsageError(`unknown shorthand flag: '${arg[j]}' in ${arg}`);
        if (!spec.value) {
          flags.set(spec.long, true);
          continue;
        }
        let value = arg.slice(j + 1);
        if (value.startsWith('=')) value = value.slice(1);
        if (value === '') {
          if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: '${arg[j]}' in -${arg[j]}`);
          value = argv[++i];
        }
        flags.set(spec.long, value);
        break;
      }
      continue;
    }
    positionals.push(arg);
  }
  return { flags, positionals, rest };
}

export function stringFlag(parsed: ParsedArgs, name: string): string | undefined {
  const value = parsed.flags.get(name);
  return typeof value === 'string' ? value : undefined;
}

export function boolFlag(parsed: ParsedArgs, name: string): boolean {
  return parsed.flags.get(name) === true;
}

/** Flags every command takes, as kubectl spells them. */
export const CONNECTION_FLAGS: readonly FlagSpec[] = [
  { long: 'kubeconfig', value: true },
  { long: 'context', value: true },
  { long: 'namespace', short: 'n', value: true },
];
