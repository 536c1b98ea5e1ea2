// What the extension's Pseudoterminals (shells, saved commands, logs) have in common: their
// write and close events, the colours of the extension's own lines, a container's output
// decoded as UTF-8 with characters split across chunks kept whole, and what keys do once the
// session has ended. vscode is imported for its types only: the terminals run under node:test.
import type * as vscode from 'vscode';
import type { Readable, Writable } from 'node:stream';
import type { ExecResult, TerminalSize } from '../kube/exec/session.ts';
import { Emitter } from './emitter.ts';
import { EndedKeys, type EndAction } from './endedKeys.ts';

export const RED = '\x1b[31m';
export const GREEN = '\x1b[32m';
export const YELLOW = '\x1b[33m';
export const DIM = '\x1b[2m';
export const RESET = '\x1b[0m';

/** The part of an exec session a terminal uses; unit tests hand in a fake. */
export interface TerminalSession {
  readonly stdout: Readable;
  readonly stdin: Writable;
  readonly result: Promise<ExecResult>;
  resize(size: TerminalSize): void;
  close(): void;
}

export class TerminalIo {
  /** The terminal's size, kept up to date; sessions start with it. */
  size: TerminalSize = { columns: 80, rows: 24 };
  private current: TerminalSession | undefined;

  /** The session shown, while one runs: it follows the terminal's size and ends when it closes. */
  get session(): TerminalSession | undefined {
    return this.current;
  }

  /**
   * A session that opened is given the terminal's size as it is now: VS Code may have resized the
   * terminal while the session was connecting, after its start size was taken.
   */
  set session(session: TerminalSession | undefined) {
    this.current = session;
    session?.resize(this.size);
  }
  private readonly writeEmitter = new Emitter<string>();
  private readonly closeEmitter = new Emitter<number | void>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private closed = false;
  /** While the session has ended: which keys act (see endedKeys.ts). */
  private endedKeys: EndedKeys | undefined;

  /** Text as it is, such as a container's output. Nothing is written once closed. */
  write(text: string): void {
    if (text && !this.closed) this.writeEmitter.fire(text);
  }

  /** The extension's own line (or lines): `\n` becomes `\r\n`, as a terminal needs. */
  line(text: string): void {
    this.write(`${text.replace(/\r?\n/g, '\r\n')}\r\n`);
  }

  /**
   * Writes what `stream` emits as UTF-8 text. Returns the function that writes what is left of
   * a character cut off at the end, for when the stream is done.
   */
  follow(stream: Readable): () => void {
    const decoder = new TextDecoder('utf-8');
    stream.on('data', (chunk: Buffer) => this.write(decoder.decode(chunk, { stream: true })));
    return () => this.write(decoder.decode());
  }

  /** VS Code's `open` and `setDimensions` report the size here. */
  resize(dimensions: vscode.TerminalDimensions | undefined): void {
    if (!dimensions) return;
    this.size = { columns: dimensions.columns, rows: dimensions.rows };
    this.session?.resize(this.size);
  }

  /**
   * The session has ended, its outcome written: the terminal stays open, and from now on a key
   * only acts when it is one of `actions` pressed on its own (endedKeys.ts says why). `prompt`,
   * the line naming those keys, shows once input pauses. Called again, it replaces the actions.
   */
  ended(prompt: string, actions: readonly EndAction[]): void {
    this.endedKeys?.dispose();
    this.endedKeys = this.closed ? undefined : new EndedKeys(prompt, actions, (text) => this.line(text));
  }

  /** A key typed after ended(): it goes nowhere unless it deliberately picks an action. */
  endedInput(data: string): void {
    this.endedKeys?.input(data);
  }

  /**
   * Ends the session, if one runs, and tells VS Code the terminal is done (with an exit code to
   * show, or none); nothing is written after.
   */
  close(code?: number): void {
    if (this.closed) return;
    this.closed = true;
    this.endedKeys?.dispose();
    this.endedKeys = undefined;
    const session = this.session;
    this.session = undefined;
    session?.close();
    this.closeEmitter.fire(code);
    this.writeEmitter.dispose();
    this.closeEmitter.dispose();
  }
}
