// The Saved Commands view: every definition with where it comes from, the broken ones with what
// is wrong (click to open the file), and in Restricted Mode why the workspace's are disabled.
import * as vscode from 'vscode';
import { problemText, type DefinitionProblem, type SavedCommand } from '../../kube/savedCommands/definitions.ts';
import { appliesToText, commandPreview } from './runner.ts';
import type { SavedCommandStore } from './store.ts';

export class SavedCommandItem {
  readonly command: SavedCommand;
  constructor(command: SavedCommand) {
    this.command = command;
  }
}

class ProblemItem {
  readonly problem: DefinitionProblem;
  constructor(problem: DefinitionProblem) {
    this.problem = problem;
  }
}

class RestrictedItem {
  readonly count: number;
  constructor(count: number) {
    this.count = count;
  }
}

type Item = SavedCommandItem | ProblemItem | RestrictedItem;

export class SavedCommandsView implements vscode.TreeDataProvider<Item>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly store: SavedCommandStore;
  private readonly subscription: vscode.Disposable;

  constructor(store: SavedCommandStore) {
    this.store = store;
    this.subscription = store.onDidChange(() => this.emitter.fire());
  }

  async getChildren(element?: Item): Promise<Item[]> {
    if (element) return [];
    await this.store.ready();
    const items: Item[] = [];
    const blocked = this.store.commands.filter((c) => this.store.blockedReason(c)).length;
    if (blocked > 0) items.push(new RestrictedItem(blocked));
    items.push(...this.store.problems.map((p) => new ProblemItem(p)));
    items.push(...this.store.commands.map((c) => new SavedCommandItem(c)));
    return items;
  }

  getTreeItem(element: Item): vscode.TreeItem {
    if (element instanceof RestrictedItem) {
      const label = `Restricted Mode: ${element.count} workspace command${element.count === 1 ? ' is' : 's are'} disabled`;
      const item = new vscode.TreeItem(label);
      item.iconPath = new vscode.ThemeIcon('shield');
      item.tooltip = 'Commands from .vscode/kube-exec.json and workspace settings run only when you trust this workspace. Click to manage Workspace Trust.';
      item.accessibilityInformation = { label: `${label}. ${item.tooltip}` };
      item.contextValue = 'restricted';
      item.command = { command: 'workbench.trust.manage', title: 'Manage Workspace Trust' };
      return item;
    }
    if (element instanceof ProblemItem) {
      const p = element.problem;
      const item = new vscode.TreeItem(problemText(p));
      item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
      item.tooltip = problemText(p);
      item.contextValue = 'problem';
      item.command = p.origin.file
        ? { command: 'vscode.open', title: 'Open File', arguments: [vscode.Uri.parse(p.origin.file)] }
        : { command: 'workbench.action.openSettings', title: 'Open Settings', arguments: ['kubeExec.savedCommands'] };
      return item;
    }
    const cmd = element.command;
    const blocked = this.store.blockedReason(cmd);
    const item = new vscode.TreeItem(cmd.name);
    item.id = cmd.id;
    item.description = cmd.description ?? commandPreview(cmd);
    item.iconPath = new vscode.ThemeIcon(blocked ? 'lock' : cmd.tty ? 'terminal' : 'play');
    item.contextValue = blocked ? 'savedCommand:restricted' : 'savedCommand';
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${escapeMarkdown(cmd.name)}**${cmd.description ? ` · ${escapeMarkdown(cmd.description)}` : ''}\n\n`);
    md.appendCodeblock(typeof cmd.command === 'string' ? cmd.command : JSON.stringify(cmd.command), typeof cmd.command === 'string' ? 'shellscript' : 'json');
    md.appendMarkdown(`\n\nApplies to: ${escapeMarkdown(appliesToText(cmd))}${cmd.container ? `  \nContainer: ${escapeMarkdown(cmd.container)}` : ''}`);
    md.appendMarkdown(`${cmd.tty ? '  \nInteractive (runs in a terminal, one pod at a time)' : ''}${cmd.confirm ? '  \nAsks before running' : ''}`);
    md.appendMarkdown(`  \nFrom: ${escapeMarkdown(cmd.origin.label)}`);
    if (blocked) md.appendMarkdown(`\n\n$(lock) ${escapeMarkdown(blocked)}`);
    md.supportThemeIcons = true;
    item.tooltip = md;
    return item;
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>$]/g, (ch) => `\\${ch}`);
}
