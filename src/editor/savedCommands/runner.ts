// Running a saved command, from wherever it is asked for: a pod, a container, several selected
// pods or a namespace in the Clusters tree; the palette; the Saved Commands view. The steps are
// always the same: which command, which pods, the `${input:...}` answers, the options, the
// confirmation (protected contexts, or the command asks for one), then one terminal or a
// fan-out with a progress notification and a report.
import * as vscode from 'vscode';
import type { V1Pod } from '@kubernetes/client-node';
import type { ClusterSet } from '../../kube/clusterSet.ts';
import { describeError } from '../../kube/errors.ts';
import { globMatcher } from '../../kube/patterns.ts';
import { ExecSession } from '../../kube/exec/session.ts';
import type { SavedCommand } from '../../kube/savedCommands/definitions.ts';
import { isFailure, runFanOut } from '../../kube/savedCommands/fanOut.ts';
import { execStarter, prepareJobs } from '../../kube/savedCommands/jobs.ts';
import { parseLabelSelector, SelectorError } from '../../kube/savedCommands/labelSelector.ts';
import { appliesTo, findTargets, isSkipped, targetInPod, type CommandTarget, type SkippedPod } from '../../kube/savedCommands/targets.ts';
import { displayCommand, inputPrompts } from '../../kube/savedCommands/template.ts';
import { readSettings } from '../settings.ts';
import { ContainerNode, NamespaceNode, PodNode } from '../tree/nodes.ts';
import { CommandTerminal } from './commandTerminal.ts';
import { confirmationText } from './confirmation.ts';
import type { ReportViews } from './report.ts';
import { fanOutConcurrency, protectedContextPatterns } from './settings.ts';
import type { SavedCommandStore } from './store.ts';

const LIST_TIMEOUT_MS = 30_000;

export interface RunnerDeps {
  store: SavedCommandStore;
  clusters: () => ClusterSet;
  reports: ReportViews;
}

/** Pods chosen in the tree: each with the container picked, when a container node was. */
interface PodPick {
  context: string;
  pod: V1Pod;
  container?: string;
}

interface CommandChoice {
  cmd: SavedCommand;
  /** Shown under the command, e.g. "applies to 2 of 3 selected pods". */
  note?: string;
}

class Cancelled extends Error {}

export class SavedCommandRunner implements vscode.Disposable {
  private readonly deps: RunnerDeps;
  /** Runs in progress, ended when the extension is. */
  private readonly running = new Set<AbortController>();
  private disposed = false;

  constructor(deps: RunnerDeps) {
    this.deps = deps;
  }

  /** Entry point of every "run" command: what was clicked decides the scope. */
  async run(node: unknown, selected: unknown): Promise<void> {
    try {
      const nodes = Array.isArray(selected) && selected.length > 1 ? selected : [node];
      if (nodes.some((n) => n instanceof PodNode || n instanceof ContainerNode || n instanceof NamespaceNode)) {
        await this.runOnTreeNodes(nodes);
      } else {
        await this.runWhereItApplies(isCommandHolder(node) ? node.command : undefined);
      }
    } catch (err) {
      if (err instanceof Cancelled) return;
      throw err;
    }
  }

  // --- scopes ---------------------------------------------------------------------------------

  private async runOnTreeNodes(nodes: unknown[]): Promise<void> {
    const pods: PodPick[] = [];
    const namespaces: NamespaceNode[] = [];
    for (const n of nodes) {
      if (n instanceof PodNode) pods.push({ context: n.context, pod: n.pod });
      else if (n instanceof ContainerNode) pods.push({ context: n.parent.context, pod: n.parent.pod, container: n.container.name });
      else if (n instanceof NamespaceNode) namespaces.push(n);
    }

    let choices: CommandChoice[];
    if (pods.length > 0) {
      choices = this.deps.store.commands.flatMap((cmd) => {
        const n = pods.filter((p) => appliesTo(cmd, p.context, p.pod.metadata?.namespace ?? '', p.pod)).length;
        if (n === 0) return [];
        return [{ cmd, note: pods.length > 1 && n < pods.length ? `applies to ${n} of the ${pods.length} selected pods` : undefined }];
      });
    } else {
      choices = this.deps.store.commands.filter((cmd) => namespaces.some((ns) => appliesTo(cmd, ns.context, ns.name))).map((cmd) => ({ cmd }));
    }
    const scope = pods.length === 1 ? pods[0].pod.metadata?.name : pods.length > 1 ? `${pods.length} pods` : namespaces.map((n) => n.name).join(', ');
    const cmd = await this.pickCommand(`Run a saved command in ${scope}`, choices);

    const targets: CommandTarget[] = [];
    const notRun: SkippedPod[] = [];
    if (pods.length > 0) {
      for (const p of pods) {
        const namespace = p.pod.metadata?.namespace ?? '';
        const name = p.pod.metadata?.name ?? '';
        if (!appliesTo(cmd, p.context, namespace, p.pod)) {
          notRun.push({ context: p.context, namespace, pod: name, reason: `"${cmd.name}" does not apply to it (${appliesToText(cmd)})` });
          continue;
        }
        const t = targetInPod(cmd, p.context, p.pod, p.container);
        if (isSkipped(t)) notRun.push(t);
        else targets.push(t);
      }
    } else {
      for (const ns of namespaces.filter((n) => appliesTo(cmd, n.context, n.name))) {
        const labelSelector = await this.askSelector(cmd, ns);
        const found = await this.find(cmd, ns.context, [ns.name], labelSelector);
        targets.push(...found.targets);
        notRun.push(...found.skipped);
      }
    }
    await this.runOn(cmd, targets, notRun);
  }

  private async runWhereItApplies(preset: SavedCommand | undefined): Promise<void> {
    await this.deps.store.ready();
    const cmd = preset ?? (await this.pickCommand('Run a saved command', this.deps.store.commands.map((c) => ({ cmd: c }))));
    this.ensureAllowed(cmd);
    const set = this.deps.clusters();
    const matches = globMatcher(cmd.contexts);
    const contexts = set.contexts.filter((c) => matches(c.name));
    if (contexts.length === 0) {
      throw new Error(`"${cmd.name}" applies to contexts ${cmd.contexts.join(', ')}, and the kubeconfig has none of them.`);
    }
    let context = contexts[0].name;
    if (contexts.length > 1) {
      const items = [...contexts].sort((a, b) => Number(b.current) - Number(a.current)).map((c) => ({ label: c.name, description: c.current ? 'current' : undefined, detail: c.server }));
      const chosen = await vscode.window.showQuickPick(items, { title: `Run "${cmd.name}" in which context?` });
      if (!chosen) throw new Cancelled();
      context = chosen.label;
    }
    const found = await this.find(cmd, context, undefined, undefined);
    await this.runOn(cmd, found.targets, found.skipped);
  }

  // --- the steps --------------------------------------------------------------------------------

  private async pickCommand(title: string, choices: CommandChoice[]): Promise<SavedCommand> {
    await this.deps.store.ready();
    if (this.deps.store.commands.length === 0) {
      const add = await vscode.window.showInformationMessage(
        'There are no saved commands yet. Add them to .vscode/kube-exec.json or to the kubeExec.savedCommands setting.',
        'Add Saved Command',
      );
      if (add) await vscode.commands.executeCommand('kubeExec.savedCommands.edit');
      throw new Cancelled();
    }
    if (choices.length === 0) {
      void vscode.window.showInformationMessage('No saved command applies here: check their labelSelector, namespaces and contexts.');
      throw new Cancelled();
    }
    type Item = vscode.QuickPickItem & { cmd: SavedCommand };
    const items: Item[] = choices
      .map(({ cmd, note }) => {
        const blocked = this.deps.store.blockedReason(cmd);
        return {
          cmd,
          label: `${blocked ? '$(lock)' : '$(play)'} ${cmd.name}`,
          description: [cmd.description, blocked ? 'disabled in Restricted Mode' : undefined].filter(Boolean).join(' · ') || undefined,
          detail: [commandPreview(cmd), note].filter(Boolean).join(' · '),
        };
      })
      .sort((a, b) => Number(!!this.deps.store.blockedReason(a.cmd)) - Number(!!this.deps.store.blockedReason(b.cmd)));
    const chosen = await vscode.window.showQuickPick(items, { title, matchOnDescription: true, matchOnDetail: true, placeHolder: 'Pick a saved command' });
    if (!chosen) throw new Cancelled();
    this.ensureAllowed(chosen.cmd);
    return chosen.cmd;
  }

  /** Workspace commands in Restricted Mode: say why, offer the way out, go no further. */
  private ensureAllowed(cmd: SavedCommand): void {
    const reason = this.deps.store.blockedReason(cmd);
    if (!reason) return;
    void vscode.window.showWarningMessage(`"${cmd.name}": ${reason}`, 'Manage Workspace Trust').then((choice) => {
      if (choice) void vscode.commands.executeCommand('workbench.trust.manage');
    });
    throw new Cancelled();
  }

  private async askSelector(cmd: SavedCommand, ns: NamespaceNode): Promise<string | undefined> {
    const value = await vscode.window.showInputBox({
      title: `Run "${cmd.name}" in namespace ${ns.name}`,
      prompt: `Which pods? A label selector such as app=web${cmd.labelSelector ? `, on top of the command's own (${cmd.labelSelector})` : ''}. Empty: every running pod it applies to.`,
      value: ns.filter?.labelSelector ?? '',
      validateInput: (text) => {
        try {
          parseLabelSelector(text);
          return undefined;
        } catch (err) {
          return err instanceof SelectorError ? err.message : String(err);
        }
      },
    });
    if (value === undefined) throw new Cancelled();
    return value.trim() || undefined;
  }

  private async find(cmd: SavedCommand, context: string, namespaces: string[] | undefined, labelSelector: string | undefined) {
    const client = this.deps.clusters().client(context);
    try {
      return await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Finding pods for "${cmd.name}"` }, () =>
        findTargets(client, cmd, { context, namespaces, labelSelector, signal: AbortSignal.timeout(LIST_TIMEOUT_MS) }),
      );
    } catch (err) {
      throw new Error(`Finding the pods for "${cmd.name}" in context ${context} failed: ${describeError(err, client.server)}`);
    }
  }

  private async runOn(cmd: SavedCommand, found: CommandTarget[], notRun: SkippedPod[]): Promise<void> {
    if (found.length === 0) {
      const why = notRun.slice(0, 5).map((s) => `${s.pod}: ${s.reason}`).join('; ');
      throw new Error(`"${cmd.name}" has no running pod to run in${why ? ` (${why}${notRun.length > 5 ? '; ...' : ''})` : ''}.`);
    }
    let targets = found;
    if (cmd.tty && targets.length > 1) {
      const chosen = await vscode.window.showQuickPick(
        targets.map((t) => ({ label: t.pod, description: `${t.namespace} · ${t.container}`, target: t })),
        { title: `"${cmd.name}" is interactive: it runs in one pod at a time. Which one?` },
      );
      if (!chosen) throw new Cancelled();
      targets = [chosen.target];
    }

    const inputs = new Map<string, string>();
    for (const prompt of inputPrompts(cmd.compiled)) {
      const answer = await vscode.window.showInputBox({ title: cmd.name, prompt, ignoreFocusOut: true });
      if (answer === undefined) throw new Cancelled();
      inputs.set(prompt, answer);
    }
    const { jobs, unfit } = prepareJobs(cmd, targets, inputs);
    notRun.push(...unfit);
    if (jobs.length === 0) throw new Error(`"${cmd.name}" cannot run in ${unfit.map((u) => u.pod).join(', ')}: ${unfit[0]?.reason}.`);

    let stopOnFailure = false;
    let canaryFirst = false;
    if (jobs.length > 1) {
      const stop = { label: 'Stop at the first failure', description: 'pods not started yet are skipped' };
      const canary = { label: 'Run in one pod first, then the rest', description: `${jobs[0].target.pod} first; the rest only if it succeeds` };
      const picked = await vscode.window.showQuickPick([stop, canary], {
        title: `Run "${cmd.name}" in ${jobs.length} pods`,
        placeHolder: 'Options (none needed): press Enter to run',
        canPickMany: true,
        ignoreFocusOut: true,
      });
      if (!picked) throw new Cancelled();
      stopOnFailure = picked.includes(stop);
      canaryFirst = picked.includes(canary);
    }

    const commandText = displayCommand(jobs[0].argv);
    const patterns = protectedContextPatterns();
    const isProtected = patterns.length > 0 ? globMatcher(patterns) : () => false;
    const protectedContexts = [...new Set(jobs.map((j) => j.target.context))].filter(isProtected);
    if (cmd.confirm || protectedContexts.length > 0) {
      const options = [stopOnFailure ? 'stop at the first failure' : '', canaryFirst ? `${jobs[0].target.pod} first` : ''].filter(Boolean);
      const perPod = jobs.some((j) => displayCommand(j.argv) !== commandText);
      const text = confirmationText({ commandName: cmd.name, commandText, perPod, targets: jobs.map((j) => j.target), protectedContexts, options });
      const run = await vscode.window.showWarningMessage(text.message, { modal: true, detail: text.detail }, 'Run');
      if (run !== 'Run') throw new Cancelled();
    }

    if (jobs.length === 1) {
      if (notRun.length > 0) {
        void vscode.window.showInformationMessage(`"${cmd.name}" runs only in ${jobs[0].target.pod}. Not in ${notRun.map((s) => `${s.pod} (${s.reason})`).join(', ')}.`);
      }
      this.openTerminal(cmd, jobs[0].target, jobs[0].argv);
      return;
    }
    await this.fanOut(cmd, jobs, notRun, { stopOnFailure, canaryFirst, commandText });
  }

  private openTerminal(cmd: SavedCommand, target: CommandTarget, argv: string[]): void {
    const settings = readSettings();
    const clusters = this.deps.clusters;
    const pty = new CommandTerminal({
      banner: `$ ${displayCommand(argv)}\n  in ${target.namespace}/${target.pod} (container ${target.container}), context ${target.context}`,
      interactive: cmd.tty,
      start: (size) =>
        ExecSession.start(clusters().kubeConfig(target.context), {
          namespace: target.namespace,
          pod: target.pod,
          container: target.container,
          command: argv,
          stdin: cmd.tty,
          tty: true,
          size,
          keepaliveIntervalMs: settings.keepaliveIntervalMs,
          keepaliveTimeoutMs: settings.keepaliveTimeoutMs,
        }),
    });
    const terminal = vscode.window.createTerminal({ name: `${cmd.name} · ${target.pod}`, pty, iconPath: new vscode.ThemeIcon('play') });
    terminal.show();
  }

  private async fanOut(
    cmd: SavedCommand,
    jobs: ReturnType<typeof prepareJobs>['jobs'],
    notRun: SkippedPod[],
    opts: { stopOnFailure: boolean; canaryFirst: boolean; commandText: string },
  ): Promise<void> {
    const settings = readSettings();
    const concurrency = fanOutConcurrency();
    const clusters = this.deps.clusters;
    const controller = new AbortController();
    this.running.add(controller);
    try {
      const report = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Running "${cmd.name}" in ${jobs.length} pods`, cancellable: true },
        (progress, token) => {
          const cancel = token.onCancellationRequested(() => controller.abort());
          let done = 0;
          let failed = 0;
          progress.report({ message: `0/${jobs.length} done` });
          return runFanOut(jobs, execStarter({ kubeConfig: (context) => clusters().kubeConfig(context), keepaliveIntervalMs: settings.keepaliveIntervalMs, keepaliveTimeoutMs: settings.keepaliveTimeoutMs }), {
            concurrency,
            stopOnFailure: opts.stopOnFailure,
            canaryFirst: opts.canaryFirst,
            signal: controller.signal,
            onResult: (result) => {
              done += 1;
              if (isFailure(result)) failed += 1;
              progress.report({ increment: 100 / jobs.length, message: `${done}/${jobs.length} done${failed ? `, ${failed} failed` : ''}` });
            },
          }).finally(() => cancel.dispose());
        },
      );
      if (this.disposed) return;
      this.deps.reports.show({
        commandName: cmd.name,
        commandText: opts.commandText,
        options: { stopOnFailure: opts.stopOnFailure, canaryFirst: opts.canaryFirst, concurrency },
        report,
        notRun,
      });
    } finally {
      this.running.delete(controller);
    }
  }

  dispose(): void {
    this.disposed = true;
    for (const controller of this.running) controller.abort();
    this.running.clear();
  }
}

/** A Saved Commands view item, or anything else carrying a command. */
function isCommandHolder(value: unknown): value is { command: SavedCommand } {
  const c = (value as { command?: SavedCommand } | undefined)?.command;
  return typeof c === 'object' && c !== null && typeof c.name === 'string' && 'compiled' in c;
}

export function commandPreview(cmd: SavedCommand): string {
  return typeof cmd.command === 'string' ? cmd.command.replace(/\s*\n\s*/g, ' ⏎ ') : displayCommand(cmd.command);
}

export function appliesToText(cmd: SavedCommand): string {
  const parts = [
    cmd.labelSelector ? `labelSelector ${cmd.labelSelector}` : '',
    cmd.namespaces.length ? `namespaces ${cmd.namespaces.join(', ')}` : '',
    cmd.contexts.length ? `contexts ${cmd.contexts.join(', ')}` : '',
  ].filter(Boolean);
  return parts.join('; ') || 'everywhere';
}
