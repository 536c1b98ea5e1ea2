// kubesim's own log, `<dir>/kubesim.log`: what its kubelet and runtime did, one timestamped line
// each (a debug container started, exited, could not start). In a cluster such notes are the
// kubelet's journal and the pod's status; a container's log holds only what its process wrote,
// so kubesim never puts them there.
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';

export class Journal {
  readonly file: string;
  private queue: Promise<void> = Promise.resolve();

  constructor(dir: string) {
    this.file = join(dir, 'kubesim.log');
  }

  note(text: string): void {
    const line = `${new Date().toISOString()} ${text}\n`;
    // In order, and never failing a caller: the journal is for people reading it.
    this.queue = this.queue.then(() => appendFile(this.file, line)).catch(() => undefined);
  }

  /** Waits for the lines noted so far to be written. */
  flushed(): Promise<void> {
    return this.queue;
  }
}
