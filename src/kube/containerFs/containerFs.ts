// A container's files, reached over exec: stat, list, read, write, create, delete, rename,
// copy. Every operation is one exec of a small sh script (scripts.ts). Transfers stream: a
// read hands out chunks as they arrive (or fills one array of the announced size), a write
// feeds stdin chunk by chunk and waits whenever the socket is behind.
import { PassThrough, type Writable } from 'node:stream';
import type { ExecTarget } from '../exec/session.ts';
import { adviceFor, classifyFailure, ContainerFsError, type ContainerFsErrorCode } from './errors.ts';
import { normalizeContainerPath } from './location.ts';
import { ContentBuffer, parseDirectory, parseStat, SizeHeader, type ContainerFileStat, type DirectoryEntry } from './parse.ts';
import { ScriptRunner, type RunnerOptions, type RunOutcome } from './runner.ts';
import * as scripts from './scripts.ts';

export type { ContainerFileStat, DirectoryEntry, EntryKind } from './parse.ts';
export { ContainerFsError, type ContainerFsErrorCode } from './errors.ts';

/** Short operations (stat, list, mkdir...) give up after this; transfers rely on keepalive. */
const SHORT_TIMEOUT_MS = 60_000;
/** Writes are fed to stdin in slices of this size (views of the caller's array, not copies). */
const WRITE_SLICE = 256 * 1024;

export interface ContainerFsOptions extends RunnerOptions {
  target: Required<ExecTarget>;
}

export interface WriteOptions {
  create: boolean;
  overwrite: boolean;
  signal?: AbortSignal;
}

type Bytes = Uint8Array;

export class ContainerFs {
  readonly target: Required<ExecTarget>;
  private readonly runner: ScriptRunner;

  constructor(options: ContainerFsOptions) {
    this.target = options.target;
    this.runner = new ScriptRunner(options);
  }

  /** "web-0/app", for messages. */
  get label(): string {
    return `${this.target.pod}/${this.target.container}`;
  }

  async stat(path: string, signal?: AbortSignal): Promise<ContainerFileStat> {
    const p = normalizeContainerPath(path);
    const out = await this.run('look up', p, { script: scripts.STAT, args: [p], signal, timeoutMs: SHORT_TIMEOUT_MS });
    return parseStat(out.stdout.toString('utf8'));
  }

  async readDirectory(path: string, signal?: AbortSignal): Promise<DirectoryEntry[]> {
    const p = normalizeContainerPath(path);
    const out = await this.run('list', p, { script: scripts.READ_DIRECTORY, args: [p], signal, timeoutMs: SHORT_TIMEOUT_MS });
    return parseDirectory(out.stdout);
  }

  /**
   * The whole file, as the editor's API requires; allocated once at the size the container
   * announces, so the bytes are never held twice.
   */
  async readFile(path: string, signal?: AbortSignal): Promise<Bytes> {
    let content: ContentBuffer | undefined;
    await this.readStream(path, (chunk) => content!.append(chunk), {
      signal,
      onSize: (size) => (content = new ContentBuffer(size)),
    });
    return content!.result();
  }

  /**
   * Streams a file: `onSize` first (null when the container cannot tell), then every chunk in
   * order. Reading pauses while a returned promise is pending, which holds the remote side back.
   */
  async readStream(
    path: string,
    onChunk: (chunk: Buffer) => void | Promise<void>,
    options: { signal?: AbortSignal; onSize?: (size: number | null) => void } = {},
  ): Promise<void> {
    const p = normalizeContainerPath(path);
    const header = new SizeHeader();
    let sizeAnnounced = false;
    await this.run('read', p, {
      script: scripts.READ_FILE,
      args: [p],
      signal: options.signal,
      stdout: async (stdout) => {
        for await (const chunk of stdout) {
          const content = header.push(chunk as Buffer);
          if (content === undefined) continue;
          if (!sizeAnnounced) {
            sizeAnnounced = true;
            options.onSize?.(header.size ?? null);
          }
          if (content.length > 0) await onChunk(content);
        }
        // The script failed before the header (missing file): the error comes from its status.
        if (!sizeAnnounced) options.onSize?.(null);
      },
    });
  }

  async writeFile(path: string, content: Bytes, options: WriteOptions): Promise<void> {
    await this.writeStream(path, content.length, slices(content), options);
  }

  /**
   * Writes `size` bytes taken from `source` to a file. The target changes only once all of them
   * arrived (see WRITE_FILE); a source that yields a different amount fails with Incomplete.
   */
  async writeStream(path: string, size: number, source: Iterable<Bytes> | AsyncIterable<Bytes>, options: WriteOptions): Promise<void> {
    const p = normalizeContainerPath(path);
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`Invalid file size ${size}.`);
    await this.run('write', p, {
      script: scripts.WRITE_FILE,
      args: [p, String(size), options.create ? '1' : '0', options.overwrite ? '1' : '0'],
      signal: options.signal,
      stdin: (stdin, ended) => feed(stdin, source, ended),
    });
  }

  async createDirectory(path: string, signal?: AbortSignal): Promise<void> {
    const p = normalizeContainerPath(path);
    await this.run('create folder', p, { script: scripts.CREATE_DIRECTORY, args: [p], signal, timeoutMs: SHORT_TIMEOUT_MS });
  }

  async delete(path: string, options: { recursive: boolean; signal?: AbortSignal }): Promise<void> {
    const p = normalizeContainerPath(path);
    if (p === '/') throw new ContainerFsError('NoPermissions', `Refusing to delete the root folder of ${this.label}.`);
    await this.run('delete', p, { script: scripts.DELETE, args: [p, options.recursive ? '1' : '0'], signal: options.signal });
  }

  async rename(from: string, to: string, options: { overwrite: boolean; signal?: AbortSignal }): Promise<void> {
    const [s, d] = [normalizeContainerPath(from), normalizeContainerPath(to)];
    await this.run('rename', s, { script: scripts.RENAME, args: [s, d, options.overwrite ? '1' : '0'], signal: options.signal }, ` to ${d}`);
  }

  /** Copies a file or a whole directory within this container. */
  async copy(from: string, to: string, options: { overwrite: boolean; signal?: AbortSignal }): Promise<void> {
    const [s, d] = [normalizeContainerPath(from), normalizeContainerPath(to)];
    await this.run('copy', s, { script: scripts.COPY, args: [s, d, options.overwrite ? '1' : '0'], signal: options.signal }, ` to ${d}`);
  }

  /** A tar archive of a directory's contents, streamed like readStream. Needs `tar`. */
  async tarOut(path: string, onChunk: (chunk: Buffer) => void | Promise<void>, signal?: AbortSignal): Promise<void> {
    const p = normalizeContainerPath(path);
    await this.run('archive', p, {
      script: scripts.TAR_OUT,
      args: [p],
      signal,
      stdout: async (stdout) => {
        for await (const chunk of stdout) await onChunk(chunk as Buffer);
      },
    });
  }

  /**
   * Creates directory `path` from a tar archive of its contents. Needs `tar` and stdin EOF
   * (API servers with the v5 protocol, Kubernetes 1.30 and later).
   */
  async tarIn(path: string, archive: AsyncIterable<Bytes>, options: { overwrite: boolean; signal?: AbortSignal }): Promise<void> {
    const p = normalizeContainerPath(path);
    await this.run('unpack into', p, {
      script: scripts.TAR_IN,
      args: [p, options.overwrite ? '1' : '0'],
      signal: options.signal,
      stdin: (stdin, ended) => feed(stdin, archive, ended),
    });
  }

  private async run(verb: string, path: string, request: Parameters<ScriptRunner['run']>[0], suffix = ''): Promise<RunOutcome> {
    const out = await this.runner.run(request);
    if (out.result.kind === 'exit' && out.result.code === 0) return out;
    const c = classifyFailure(out);
    throw this.error(c.code, `Cannot ${verb} ${path}${suffix} in ${this.label}: ${c.detail}.${adviceFor(c.code, this.target.container, c.tool)}`, c.tool);
  }

  private error(code: ContainerFsErrorCode, message: string, tool?: string): ContainerFsError {
    return new ContainerFsError(code, message, tool);
  }
}

function* slices(content: Bytes): Iterable<Bytes> {
  for (let start = 0; start < content.length; start += WRITE_SLICE) yield content.subarray(start, start + WRITE_SLICE);
}

/** Writes every chunk, waiting for the socket whenever stdin reports it is full; then EOF. */
async function feed(stdin: Writable, source: Iterable<Bytes> | AsyncIterable<Bytes>, ended: Promise<unknown>): Promise<void> {
  let over = false;
  const finished = ended.then(() => (over = true));
  for await (const chunk of source) {
    // Big chunks go in slices (views), so no more than a slice waits in the socket's queue.
    for (const slice of chunk.length > WRITE_SLICE ? slices(chunk) : [chunk]) {
      // The remote side already gave up (file exists, permission denied...): stop producing.
      if (over) return;
      if (!stdin.write(slice)) {
        await Promise.race([new Promise<void>((resolve) => stdin.once('drain', resolve)), finished]);
      }
    }
  }
  if (!over) stdin.end();
}

/**
 * Copies a file or directory from one container to another (or to another path of the same
 * one), streaming: a file goes through cat and a size-checked write, a directory through tar.
 */
export async function copyBetween(
  source: ContainerFs,
  from: string,
  target: ContainerFs,
  to: string,
  options: { overwrite: boolean; signal?: AbortSignal },
): Promise<void> {
  const stat = await source.stat(from, options.signal);
  if (stat.kind === 'danglingLink' || stat.kind === 'other') {
    throw new ContainerFsError('Failed', `Cannot copy ${from} from ${source.label} to ${target.label}: only files and folders can be copied between containers.`);
  }
  // Either side failing stops the other: a target that refuses (exists, read-only) must not
  // leave the source streaming into a pipe nobody drains.
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const pipe = new PassThrough({ highWaterMark: WRITE_SLICE });
  const push = async (chunk: Buffer): Promise<void> => {
    if (pipe.destroyed) throw new Error('The copy was stopped.');
    if (!pipe.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          pipe.off('drain', done);
          pipe.off('close', done);
          resolve();
        };
        pipe.on('drain', done);
        pipe.on('close', done);
      });
    }
  };
  // When both sides fail, the first failure is the cause and the other its consequence.
  let first: { error: unknown } | undefined;
  const failed = (err: unknown): void => {
    first ??= { error: err };
    stop.abort();
    pipe.destroy();
  };
  const reading = (stat.kind === 'directory' ? source.tarOut(from, push, signal) : source.readStream(from, push, { signal })).then(
    () => void pipe.end(),
    failed,
  );
  const writing = (
    stat.kind === 'directory'
      ? target.tarIn(to, pipe, { overwrite: options.overwrite, signal })
      : target.writeStream(to, stat.size, pipe, { create: true, overwrite: options.overwrite, signal })
  ).catch(failed);
  await Promise.all([reading, writing]);
  if (first) throw first.error;
}
