// A VS Code Pseudoterminal bound to one exec session in a container. It is a small state
// machine: connecting -> open -> ended (the outcome is shown, a key decides what next) -> closed.
// Bytes from the container pass through untouched (decoded as UTF-8 across frames); only the
// extension's own messages get `\r\n` line ends and colours.
import type * as vscode from 'vscode';
import type { ExecResult, TerminalSize } from '../kube/exec/session.ts';
import { NoShellError } from '../kube/exec/shell.ts';
import { DIM, RED, RESET, TerminalIo, YELLOW, type TerminalSession } from './terminalIo.ts';

export type ShellSessionLike = TerminalSession;

export interface ShellConnector {
  /** Where the shell runs, for the first line of the terminal. */
  readonly description: string;
  /** Opens a shell of the given size; throws NoShellError, or an Error with a message for people. */
  open(size: TerminalSize): Promise<{ session: ShellSessionLike; shell: string }>;
  /** The container has no shell: 'offer' a debug container, or 'start' one (the user pressed D). */
  debugContainer(action: 'offer' | 'start'): void;
}

type Ended = 'exit' | 'error' | 'noShell' | 'connectionLost';

/** Keystrokes typed while connecting are kept (up to this many bytes) and sent once open. */
const MAX_EARLY_INPUT = 4096;

export class ShellTerminal implements vscode.Pseudoterminal {
  private readonly io = new TerminalIo();
  readonly onDidWrite = this.io.onDidWrite;
  readonly onDidClose = this.io.onDidClose;

  private readonly connector: ShellConnector;
  private state: 'idle' | 'connecting' | 'open' | Ended | 'closed' = 'idle';
  private early = '';

  constructor(connector: ShellConnector) {
    this.connector = connector;
  }

  open(dimensions: vscode.TerminalDimensions | undefined): void {
    if (this.state !== 'idle') return;
    this.io.resize(dimensions);
    void this.connect();
  }

  private async connect(): Promise<void> {
    this.state = 'connecting';
    this.io.line(`${DIM}Connecting to ${this.connector.description}...${RESET}`);
    let opened;
    try {
      opened = await this.connector.open(this.io.size);
    } catch (err) {
      if (this.closed()) return;
      if (err instanceof NoShellError) {
        this.end('noShell', `${RED}${err.message}${RESET}\n${YELLOW}A debug container can bring a shell and tools into this pod. Press D to start one, any other key to close.${RESET}`);
        this.connector.debugContainer('offer');
      } else {
        this.end('error', `${RED}${errorText(err)}${RESET}\n${DIM}Press any key to close.${RESET}`);
      }
      return;
    }
    const { session } = opened;
    if (this.closed()) {
      session.close();
      return;
    }
    this.io.session = session;
    this.state = 'open';
    // Clear the "Connecting..." line so the shell's prompt starts clean.
    this.io.write('\r\x1b[2K');
    const flush = this.io.follow(session.stdout);
    if (this.early) {
      session.stdin.write(Buffer.from(this.early, 'utf8'));
      this.early = '';
    }
    const result = await session.result;
    flush();
    if (this.io.session !== session || this.closed()) return;
    this.io.session = undefined;
    this.finish(result);
  }

  /** State can change while a connect awaits (the user may close the terminal meanwhile). */
  private closed(): boolean {
    return this.state === 'closed';
  }

  private finish(result: ExecResult): void {
    switch (result.kind) {
      case 'exit':
        if (result.code === 0) {
          this.close(0);
          return;
        }
        this.end('exit', `\n${YELLOW}The shell exited with code ${result.code}.${RESET} ${DIM}Press Enter to open a new shell, any other key to close.${RESET}`);
        return;
      case 'error':
        this.end('error', `\n${RED}${result.message}${RESET}\n${DIM}Press any key to close.${RESET}`);
        return;
      case 'connectionLost':
        this.end('connectionLost', `\n${YELLOW}Connection lost: ${result.message}${RESET}\n${DIM}Press Enter to reconnect, any other key to close.${RESET}`);
        return;
    }
  }

  private end(state: Ended, text: string): void {
    this.state = state;
    this.io.line(`\r\x1b[2K${text}`);
  }

  handleInput(data: string): void {
    switch (this.state) {
      case 'open':
        this.io.session?.stdin.write(Buffer.from(data, 'utf8'));
        return;
      case 'connecting':
        if (this.early.length + data.length <= MAX_EARLY_INPUT) this.early += data;
        return;
      case 'exit':
      case 'connectionLost':
        if (data === '\r') {
          void this.connect();
        } else {
          this.close();
        }
        return;
      case 'noShell':
        if (data.toLowerCase() === 'd') this.connector.debugContainer('start');
        this.close();
        return;
      case 'error':
        // The outcome is on screen already; a code here would make VS Code announce it again.
        this.close();
        return;
    }
  }

  setDimensions(dimensions: vscode.TerminalDimensions): void {
    this.io.resize(dimensions);
  }

  /** VS Code calls this when the user closes the terminal: the shell in the container must end too. */
  close(code?: number): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.io.close(code);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
