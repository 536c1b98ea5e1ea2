// The question asked before a run in a protected context (or of a command that asks for it):
// it shows the exact command and every pod it will run in, so nobody confirms blind.
import type { CommandTarget } from '../../kube/savedCommands/targets.ts';

/** Pods listed by name in a confirmation; the rest are counted. */
const LISTED = 15;

export interface ConfirmationText {
  message: string;
  detail: string;
}

export function confirmationText(input: {
  commandName: string;
  /** As it runs in the first pod. */
  commandText: string;
  /** True when the command differs per pod (variables such as ${pod}). */
  perPod: boolean;
  targets: readonly CommandTarget[];
  protectedContexts: readonly string[];
  options?: string[];
}): ConfirmationText {
  const { targets } = input;
  const pods = targets.length === 1 ? '1 pod' : `${targets.length} pods`;
  const protectedList = input.protectedContexts.map((c) => `"${c}"`).join(', ');
  const message = input.protectedContexts.length
    ? `${input.protectedContexts.length === 1 ? 'Context' : 'Contexts'} ${protectedList} ${input.protectedContexts.length === 1 ? 'is' : 'are'} protected. Run "${input.commandName}" in ${pods} there?`
    : `Run "${input.commandName}" in ${pods}?`;
  const contexts = new Set(targets.map((t) => t.context));
  const listed = targets.slice(0, LISTED).map((t) => `  ${t.namespace}/${t.pod} (${t.container})${contexts.size > 1 ? ` in ${t.context}` : ''}`);
  if (targets.length > LISTED) listed.push(`  ... and ${targets.length - LISTED} more`);
  const detail = [
    'Command:',
    input.commandText,
    ...(input.perPod && targets.length > 1 ? ['(shown for the first pod; the variables are filled in for each pod)'] : []),
    '',
    `Pods${contexts.size === 1 ? ` in context ${[...contexts][0]}` : ''}:`,
    ...listed,
    ...(input.options?.length ? ['', `Options: ${input.options.join(', ')}`] : []),
    ...(input.protectedContexts.length ? ['', 'Protected by the kubeExec.protectedContexts setting.'] : []),
  ].join('\n');
  return { message, detail };
}
