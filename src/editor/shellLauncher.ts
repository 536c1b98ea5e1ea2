// Opens shell terminals: one Pseudoterminal per exec session, named pod/container.
import * as vscode from 'vscode';
import type { ClusterSet } from '../kube/clusterSet.ts';
import { openShell } from '../kube/exec/shell.ts';
import { readSettings } from './settings.ts';
import { ShellTerminal, type ShellConnector } from './shellTerminal.ts';

export interface ContainerTarget {
  context: string;
  namespace: string;
  pod: string;
  container: string;
  /** The node's OS when the pod tells it (`kubernetes.io/os`), for the shell choice. */
  nodeOS?: string;
}

export function terminalName(target: ContainerTarget): string {
  return `${target.pod}/${target.container}`;
}

export function shellTerminalOptions(clusters: () => ClusterSet, target: ContainerTarget): vscode.ExtensionTerminalOptions {
  const connector: ShellConnector = {
    description: `${target.namespace}/${target.pod} (container ${target.container}) in context ${target.context}`,
    async open(size) {
      const settings = readSettings();
      // Resolve the context on every (re)connect: the kubeconfig may have changed since.
      const kubeConfig = clusters().kubeConfig(target.context);
      return openShell(
        kubeConfig,
        { namespace: target.namespace, pod: target.pod, container: target.container },
        {
          shells: settings.shells,
          nodeOS: target.nodeOS,
          size,
          keepaliveIntervalMs: settings.keepaliveIntervalMs,
          keepaliveTimeoutMs: settings.keepaliveTimeoutMs,
        },
      );
    },
    debugContainer(action) {
      const start = () => void vscode.commands.executeCommand('kubeExec.debugContainer', target);
      if (action === 'start') {
        start();
        return;
      }
      void vscode.window
        .showWarningMessage(`${terminalName(target)} has no shell. Start a debug container in the pod to get one.`, 'Debug Container...')
        .then((choice) => {
          if (choice) start();
        });
    },
  };
  return {
    name: terminalName(target),
    pty: new ShellTerminal(connector),
    iconPath: new vscode.ThemeIcon('terminal'),
  };
}

export function openShellTerminal(clusters: () => ClusterSet, target: ContainerTarget): vscode.Terminal {
  const terminal = vscode.window.createTerminal(shellTerminalOptions(clusters, target));
  terminal.show();
  return terminal;
}
