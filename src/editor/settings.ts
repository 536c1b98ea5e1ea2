// The extension's settings, read in one place with their defaults and sane bounds.
import * as vscode from 'vscode';
import { DEFAULT_DEBUG_IMAGE } from '../kube/debugContainer.ts';

export interface KubeExecSettings {
  /** The shells the user listed; undefined when they listed none (the engine picks by node OS). */
  shells: string[] | undefined;
  keepaliveIntervalMs: number;
  keepaliveTimeoutMs: number;
  kubeconfigFiles: string[];
  namespaceFilter: string[];
  /** The image of debug containers. */
  debugImage: string;
  /** How many last lines Follow Logs shows first. */
  logTailLines: number;
  /** Where the sources are in containers, for the debugger's path mapping; '' when unset (ask). */
  debugRemoteRoot: string;
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
    debugImage: nonEmpty(config.get<unknown>('debugImage')) ?? DEFAULT_DEBUG_IMAGE,
    logTailLines: positiveInteger(config.get<unknown>('logs.tailLines')) ?? 1000,
    debugRemoteRoot: nonEmpty(config.get<unknown>('debug.remoteRoot')) ?? '',
  };
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

function positiveInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : undefined;
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
