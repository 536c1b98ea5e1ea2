// The saved-command settings, read with `inspect` so that each value's origin is known: saved
// commands from workspace settings need a trusted workspace like the workspace file does, and a
// workspace may add protected contexts but never remove the user's.
import * as vscode from 'vscode';

const SECTION = 'kubeExec';
export const SAVED_COMMANDS_KEY = 'savedCommands';
const PROTECTED_KEY = 'protectedContexts';
const CONCURRENCY_KEY = 'fanOutConcurrency';
const DEFAULT_CONCURRENCY = 10;
const MAX_CONCURRENCY = 100;

/** Every place the setting is set, user first. */
export function savedCommandValues(): Array<{ label: string; fromWorkspace: boolean; value: unknown }> {
  const values: Array<{ label: string; fromWorkspace: boolean; value: unknown }> = [];
  const root = vscode.workspace.getConfiguration(SECTION).inspect<unknown>(SAVED_COMMANDS_KEY);
  if (root?.globalValue !== undefined) values.push({ label: 'User settings', fromWorkspace: false, value: root.globalValue });
  if (root?.workspaceValue !== undefined) values.push({ label: 'Workspace settings', fromWorkspace: true, value: root.workspaceValue });
  const seen = JSON.stringify(root?.workspaceValue);
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const value = vscode.workspace.getConfiguration(SECTION, folder.uri).inspect<unknown>(SAVED_COMMANDS_KEY)?.workspaceFolderValue;
    // In a single-folder window the folder's settings are the workspace settings.
    if (value !== undefined && JSON.stringify(value) !== seen) values.push({ label: `Folder settings of ${folder.name}`, fromWorkspace: true, value });
  }
  return values;
}

/** Patterns of contexts that need a confirmation: the user's and the workspace's together. */
export function protectedContextPatterns(): string[] {
  const inspected = vscode.workspace.getConfiguration(SECTION).inspect<unknown>(PROTECTED_KEY);
  const all = [inspected?.globalValue, inspected?.workspaceValue, inspected?.workspaceFolderValue].flatMap((v) => (Array.isArray(v) ? v : []));
  return [...new Set(all.filter((p): p is string => typeof p === 'string' && p.trim() !== '').map((p) => p.trim()))];
}

export function fanOutConcurrency(): number {
  const value = vscode.workspace.getConfiguration(SECTION).get<number>(CONCURRENCY_KEY, DEFAULT_CONCURRENCY);
  return Number.isFinite(value) ? Math.min(MAX_CONCURRENCY, Math.max(1, Math.floor(value))) : DEFAULT_CONCURRENCY;
}

export function affectsSavedCommands(e: vscode.ConfigurationChangeEvent): boolean {
  return e.affectsConfiguration(`${SECTION}.${SAVED_COMMANDS_KEY}`);
}
