// The filter a user types on a namespace: a label selector (sent to the server, so a
// namespace of thousands of pods only transfers the matching ones) or a name substring.
import type { V1Pod } from '@kubernetes/client-node';

export interface PodFilter {
  /** What the user typed, shown back to them. */
  text: string;
  labelSelector?: string;
  /** Client-side test for name filters. */
  matches?: (pod: V1Pod) => boolean;
}

// `app=web`, `tier!=db`, `env in (a,b)`, `!canary`: operators that never occur in pod names.
const SELECTOR_SYNTAX = /[=!()]|\s(notin|in)\s/;
const SELECTOR_KEY = /^!?[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/;

export function parsePodFilter(input: string): PodFilter | undefined {
  const text = input.trim();
  if (text === '') return undefined;
  if (SELECTOR_SYNTAX.test(text) || (text.includes(',') && text.split(',').every((part) => SELECTOR_KEY.test(part.trim())))) {
    return { text, labelSelector: text };
  }
  const needle = text.toLowerCase();
  return { text, matches: (pod) => (pod.metadata?.name ?? '').toLowerCase().includes(needle) };
}
