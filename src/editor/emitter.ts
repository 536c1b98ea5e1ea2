// An event emitter whose `event` is a vscode.Event, with no vscode loaded at run time: the
// terminals use it for onDidWrite and onDidClose, so they also run under node:test.
import type * as vscode from 'vscode';

export class Emitter<T> {
  private readonly listeners = new Set<(e: T) => void>();
  private disposed = false;

  /** Subscribes, as vscode.EventEmitter's event does; the result unsubscribes. */
  readonly event: vscode.Event<T> = (listener, thisArgs?: unknown, disposables?: vscode.Disposable[]) => {
    // A wrapper per subscription: the same function subscribed twice is called twice.
    const call = (e: T): void => void listener.call(thisArgs, e);
    if (!this.disposed) this.listeners.add(call);
    const subscription = { dispose: () => void this.listeners.delete(call) };
    disposables?.push(subscription);
    return subscription;
  };

  fire(e: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(e);
      } catch (err) {
        // One failing listener must not keep the event from the others (vscode's emitter
        // behaves the same); the error is still reported, as an uncaught one.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  dispose(): void {
    this.disposed = true;
    this.listeners.clear();
  }
}
