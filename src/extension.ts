// Entry point: wires the editor layer to the engine. Nothing else lives here.
import type * as vscode from 'vscode';

export function activate(_context: vscode.ExtensionContext): void {}

export function deactivate(): void {}
