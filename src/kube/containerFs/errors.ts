// What went wrong with a file operation in a container, as a code the editor can map to its
// own error kinds and a sentence a person can act on.
import type { ExecResult } from '../exec/status.ts';
import { EXIT } from './scripts.ts';

export type ContainerFsErrorCode =
  | 'FileNotFound'
  | 'FileExists'
  | 'FileNotADirectory'
  | 'FileIsADirectory'
  | 'DirectoryNotEmpty'
  | 'NoPermissions'
  | 'ReadOnlyFileSystem'
  | 'NoSpace'
  /** The container lacks a program the operation needs (no shell at all, or no `tar`...). */
  | 'ToolMissing'
  /** The upload stopped before every byte arrived; the target was not changed. */
  | 'Incomplete'
  /** The container could not be reached: connection, API refusal, pod gone, timeout. */
  | 'Unavailable'
  | 'Failed';

export class ContainerFsError extends Error {
  readonly code: ContainerFsErrorCode;
  /** For ToolMissing: the program that is missing. */
  readonly tool?: string;

  constructor(code: ContainerFsErrorCode, message: string, tool?: string) {
    super(message);
    this.name = 'ContainerFsError';
    this.code = code;
    this.tool = tool;
  }
}

/** How a script run ended, as the classifier needs it. */
export interface ScriptFailure {
  result: ExecResult;
  /** What the script wrote on stderr (possibly cut short). */
  stderr: string;
}

export interface Classified {
  code: ContainerFsErrorCode;
  /** The words to put after "cannot <verb> <path>: ". */
  detail: string;
  tool?: string;
}

const EXIT_CODES: Record<number, Classified> = {
  [EXIT.notFound]: { code: 'FileNotFound', detail: 'no such file or directory' },
  [EXIT.exists]: { code: 'FileExists', detail: 'it already exists' },
  [EXIT.notADirectory]: { code: 'FileNotADirectory', detail: 'not a directory' },
  [EXIT.isADirectory]: { code: 'FileIsADirectory', detail: 'it is a directory' },
  [EXIT.notEmpty]: { code: 'DirectoryNotEmpty', detail: 'the directory is not empty' },
  [EXIT.incomplete]: { code: 'Incomplete', detail: 'the upload was cut off before all bytes arrived; the file was left unchanged' },
  [EXIT.permissionDenied]: { code: 'NoPermissions', detail: "permission denied for the container's user" },
  [EXIT.notAFile]: { code: 'Failed', detail: 'it is a FIFO or socket, not a file that can be read' },
};

/** strerror texts (glibc and musl agree on these) that tools print at the end of their message. */
const ERRNO_TEXTS: Array<[RegExp, Classified]> = [
  [/Read-only file system\s*$/i, { code: 'ReadOnlyFileSystem', detail: 'the file system is read-only' }],
  [/(?:Permission denied|Operation not permitted)\s*$/i, { code: 'NoPermissions', detail: "permission denied for the container's user" }],
  [/No such file or directory\s*$/i, { code: 'FileNotFound', detail: 'no such file or directory' }],
  [/Not a directory\s*$/i, { code: 'FileNotADirectory', detail: 'not a directory' }],
  [/Is a directory\s*$/i, { code: 'FileIsADirectory', detail: 'it is a directory' }],
  [/File exists\s*$/i, { code: 'FileExists', detail: 'it already exists' }],
  [/Directory not empty\s*$/i, { code: 'DirectoryNotEmpty', detail: 'the directory is not empty' }],
  [/(?:No space left on device|Disk quota exceeded)\s*$/i, { code: 'NoSpace', detail: 'no space left on the device' }],
];

/**
 * "sh: 1: stat: not found" (dash), "sh: line 1: stat: command not found" (bash),
 * "sh: stat: not found" (busybox), "sh: 3: exec: cat: not found" (dash's exec).
 */
const COMMAND_NOT_FOUND = /(?:^|:\s)([^\s:/]+): (?:command )?not found\s*$/;

/** The runtime could not start the shell itself (distroless image, Windows container). */
const NO_EXECUTABLE = /executable file not found|no such file or directory|cannot find the file specified/i;

export function classifyFailure(failure: ScriptFailure, program = 'sh'): Classified {
  const { result, stderr } = failure;
  if (result.kind === 'connectionLost') return { code: 'Unavailable', detail: result.message };
  if (result.kind === 'error') {
    if (result.reason === 'Closed') return { code: 'Unavailable', detail: 'the operation was cancelled' };
    if (result.httpStatus === 403) return { code: 'NoPermissions', detail: result.message };
    if (result.httpStatus === undefined || result.httpStatus >= 500) {
      // A runtime failure to start our program: that is the one case of "the image lacks it".
      if (NO_EXECUTABLE.test(result.message) && result.message.includes(`"${program}"`)) {
        return { code: 'ToolMissing', detail: `the container has no ${program}`, tool: program };
      }
    }
    return { code: 'Unavailable', detail: result.message };
  }
  const own = EXIT_CODES[result.code];
  if (own) return own;
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  if (result.code === 127 || result.code === 126) {
    for (const line of lines.reverse()) {
      const missing = COMMAND_NOT_FOUND.exec(line);
      if (missing) return { code: 'ToolMissing', detail: `the container has no ${missing[1]} command`, tool: missing[1] };
    }
  }
  // The last line that names an errno is usually the one that made the tool fail.
  for (const line of [...lines].reverse()) {
    for (const [pattern, classified] of ERRNO_TEXTS) if (pattern.test(line)) return classified;
  }
  const said = lines.length > 0 ? `: ${lines.slice(-3).join(' ')}` : '';
  return { code: 'Failed', detail: `the command failed with exit code ${result.code}${said}` };
}

/** Advice that follows the message, by code. */
export function adviceFor(code: ContainerFsErrorCode, container: string, tool?: string): string {
  switch (code) {
    case 'ReadOnlyFileSystem':
      return ' The container mounts it read-only (for example readOnlyRootFilesystem); write to a writable volume such as an emptyDir instead.';
    case 'NoPermissions':
      return ' Files are read and written as the user the container runs as.';
    case 'ToolMissing':
      return (
        ` Kube Exec works on files through ${tool === 'sh' || !tool ? 'a shell (sh)' : `sh and ${tool}`}, which this image does not ship (distroless images have none).` +
        ` Start a debug container in the pod (Kube Exec: Debug Container...) targeting ${container}, then open the debug container's folder /proc/1/root:` +
        ` it shows ${container}'s files, because a debug container shares the target's processes.`
      );
    default:
      return '';
  }
}
