// Name patterns with `*` wildcards (`app-*`, `*prod*`), as users write them in settings.

/** A predicate that is true when any pattern matches the whole name; no patterns match everything. */
export function globMatcher(patterns: readonly string[]): (name: string) => boolean {
  if (patterns.length === 0) return () => true;
  const regexes = patterns.map((p) => new RegExp(`^${p.split('*').map(escapeRegExp).join('.*')}$`));
  return (name) => regexes.some((r) => r.test(name));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
