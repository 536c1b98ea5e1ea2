// The extension's settings, read in one place with their defaults and sane bounds.
import * as vscode from 'vscode';

export interface KubeExecSettings {
  /** The shells the user listed; undefined when they listed none (the engine picks by node OS). */
  shells: string[] | undefined;
  keepaliveIntervalMs: number;
  keepaliveTimeoutMs: number;
  kubeconfigFiles: string[];
  namespaceFilter: string[];
}

const SECTION = 'kubeExec';

export function readSettings(): KubeExecSettings {
  const config = vscode.workspace.getConfiguration(SECTION);
  // inspect(), not get(): get() would hand back the manifest's default list, which is for
  // Linux nodes, as if the user had chosen it also for Windows ones.
  const shellsSetting = config.inspect<unknown>('shells');
  const chosen = shellsSetting?.workspaceFolderValue ?? shellsSetting?.workspaceValue ?? shellsSetting?.globalValue;
  const shells = Array.isArray(chosen) ? chosen.filter((s): s is string => typeof s === 'string' && s.trim() !== '') : [];
  const intervalSeconds = Math.max(0, config.get<number>('keepaliveIntervalSeconds', 5));
  return {
    shells: shells.length > 0 ? shells : undefined,
    keepaliveIntervalMs: intervalSeconds * 1000,
    // Three missed intervals, but never less than 15 s: a busy API server may answer late.
    keepaliveTimeoutMs: Math.max(15_000, intervalSeconds * 3000),
    kubeconfigFiles: config.get<string[]>('kubeconfigFiles', []).filter((f) => typeof f === 'string' && f !== ''),
    namespaceFilter: config.get<string[]>('namespaceFilter', []).filter((f) => typeof f === 'string' && f !== ''),
  };
}

export function affectsSettings(event: vscode.ConfigurationChangeEvent, key?: keyof typeof SETTING_KEYS): boolean {
  return event.affectsConfiguration(key ? `${SECTION}.${SETTING_KEYS[key]}` : SECTION);
}

const SETTING_KEYS = {
  shells: 'shells',
  keepalive: 'keepaliveIntervalSeconds',
  kubeconfigFiles: 'kubeconfigFiles',
  namespaceFilter: 'namespaceFilter',
} as const;

export async function addKubeconfigFile(file: string): Promise<void> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const files = config.get<string[]>('kubeconfigFiles', []);
  if (!files.includes(file)) await config.update('kubeconfigFiles', [...files, file], vscode.ConfigurationTarget.Global);
}
