// A VS Code Pseudoterminal bound to one exec session in a container. It is a small state
// machine: connecting -> open -> ended -> closed. Ended, the outcome stays on screen and only a
// key pressed on its own acts (endedKeys.ts): Enter opens a new shell, D starts a debug
// container, Ctrl+D closes. Bytes from the container pass through untouched (decoded as UTF-8
// across frames); only the extension's own messages get `\r\n` line ends and colours.
import type * as vscode from 'vscode';
import type { ExecResult, TerminalSize } from '../kube/exec/session.ts';
import { NoShellError } from '../kube/exec/shell.ts';
import { CTRL_D, ENTER, type EndAction } from './endedKeys.ts';
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

/** Keystrokes typed while connecting are kept (up to this many bytes) and sent once open. */
const MAX_EARLY_INPUT = 4096;

export class ShellTerminal implements vscode.Pseudoterminal {
  private readonly io = new TerminalIo();
  readonly onDidWrite = this.io.onDidWrite;
  readonly onDidClose = this.io.onDidClose;

  private readonly connector: ShellConnector;
  private state: 'idle' | 'connecting' | 'open' | 'ended' | 'closed' = 'idle';
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
        this.end(`${RED}${err.message}${RESET}\n${YELLOW}A debug container can bring a shell and tools into this pod.${RESET}`, `${YELLOW}Press D to start one, Ctrl+D to close.${RESET}`, [this.startDebugContainer, this.closeKey]);
        this.connector.debugContainer('offer');
      } else {
        this.end(`${RED}${errorText(err)}${RESET}`, `${DIM}Press Ctrl+D to close.${RESET}`, [this.closeKey]);
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
        this.end(`\n${YELLOW}The shell exited with code ${result.code}.${RESET}`, `${DIM}Press Enter to open a new shell, Ctrl+D to close.${RESET}`, [this.newShell, this.closeKey]);
        return;
      case 'error':
        this.end(`\n${RED}${result.message}${RESET}`, `${DIM}Press Ctrl+D to close.${RESET}`, [this.closeKey]);
        return;
      case 'connectionLost':
        this.end(`\n${YELLOW}Connection lost: ${result.message}${RESET}`, `${DIM}Press Enter to reconnect, Ctrl+D to close.${RESET}`, [this.newShell, this.closeKey]);
        return;
    }
  }

  /** Shows the outcome now, and `prompt` (what `actions` do) once the user stops typing. */
  private end(outcome: string, prompt: string, actions: readonly EndAction[]): void {
    this.state = 'ended';
    this.io.line(`\r\x1b[2K${outcome}`);
    this.io.ended(prompt, actions);
  }

  // The outcome is on screen already; a code here would make VS Code announce it again.
  private readonly closeKey: EndAction = { keys: [CTRL_D], run: () => this.close() };

  private readonly newShell: EndAction = { keys: [ENTER], run: () => void this.connect() };

  /**
   * The terminal stays, so that focus does not move to another terminal (and what is typed
   * there) while the debug container starts; its own terminal takes focus once it runs.
   */
  private readonly startDebugContainer: EndAction = {
    keys: ['d', 'D'],
    run: () => {
      this.connector.debugContainer('start');
      this.end(`${DIM}Starting a debug container: its terminal opens when it runs.${RESET}`, `${DIM}Press Ctrl+D to close.${RESET}`, [this.closeKey]);
    },
  };

  handleInput(data: string): void {
    switch (this.state) {
      case 'open':
        this.io.session?.stdin.write(Buffer.from(data, 'utf8'));
        return;
      case 'connecting':
        if (this.early.length + data.length <= MAX_EARLY_INPUT) this.early += data;
        return;
      case 'ended':
        this.io.endedInput(data);
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
