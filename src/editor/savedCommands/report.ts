// Reports of runs over many pods: a webview per run, and each pod's full output as a read-only
// document (`kube-exec-output:` URIs) opened from it. A run's outputs are kept while its report
// is open and dropped with it.
import * as vscode from 'vscode';
import { formatDuration, outcomeText, reportHtml, type RunSummary } from './reportModel.ts';

export const OUTPUT_SCHEME = 'kube-exec-output';

export class ReportViews implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly runs = new Map<string, RunSummary>();
  private readonly panels = new Set<vscode.WebviewPanel>();
  private readonly registration: vscode.Disposable;
  private next = 1;

  constructor() {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(OUTPUT_SCHEME, this);
  }

  show(summary: RunSummary): vscode.WebviewPanel {
    const runId = `run-${this.next++}`;
    this.runs.set(runId, summary);
    const panel = vscode.window.createWebviewPanel('kubeExec.savedCommandReport', `Report: ${summary.commandName}`, vscode.ViewColumn.Active, {
      enableScripts: true,
      enableFindWidget: true,
      localResourceRoots: [],
    });
    this.panels.add(panel);
    panel.iconPath = new vscode.ThemeIcon('checklist');
    panel.webview.html = reportHtml(summary, { nonce: Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(16))).toString('base64'), cspSource: panel.webview.cspSource });
    const listener = panel.webview.onDidReceiveMessage((message: { type?: unknown; index?: unknown }) => {
      if (message?.type === 'openOutput' && typeof message.index === 'number') void this.openOutput(runId, message.index);
    });
    panel.onDidDispose(() => {
      listener.dispose();
      this.panels.delete(panel);
      this.runs.delete(runId);
    });
    return panel;
  }

  async openOutput(runId: string, index: number): Promise<void> {
    const result = this.runs.get(runId)?.report.results[index];
    if (!result) return;
    const { namespace, pod } = result.target;
    const uri = vscode.Uri.from({ scheme: OUTPUT_SCHEME, path: `/${runId}/${namespace}/${pod}.log`, query: String(index) });
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside });
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const runId = uri.path.split('/')[1];
    const summary = this.runs.get(runId);
    const result = summary?.report.results[Number(uri.query)];
    if (!summary || !result) return 'This output is gone: its report was closed.';
    const t = result.target;
    const header = [
      `# ${summary.commandName} in ${t.namespace}/${t.pod} (container ${t.container}), context ${t.context}`,
      `# ${outcomeText(result)} · ${formatDuration(result.durationMs)} · ${result.output.totalBytes.toLocaleString('en-US')} bytes of output`,
      '',
    ].join('\n');
    return `${header}${result.output.text}`;
  }

  dispose(): void {
    for (const panel of [...this.panels]) panel.dispose();
    this.registration.dispose();
    this.runs.clear();
  }
}
