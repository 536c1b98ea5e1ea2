// Where a container file lives, written into a URI: `kube-exec://<context>/<namespace>/<pod>/<container>/<path>`.
// Pure string work, so the editor and tests share it without VS Code.
//
// The context goes into the URI authority, and VS Code lower-cases an authority when it turns
// a URI into a string (and treats `@` and `:` there as user info and port). Context names are
// free text ("arn:aws:eks:...:cluster/prod", "gke_project_zone_name", "Admin@Prod"), so every
// character outside [a-z0-9.-] is written as `_` plus the hex of its UTF-8 bytes: names that
// are already lower-case DNS-like ("kind-kind", "minikube") stay readable, and the rest still
// survive the round trip exactly.
import { posix } from 'node:path';

export interface ContainerLocation {
  context: string;
  namespace: string;
  pod: string;
  container: string;
  /** Absolute, normalised path inside the container ('/' for the root). */
  path: string;
}

const PLAIN = /[a-z0-9.-]/;

export function encodeContext(context: string): string {
  if (context === '') throw new Error('A kubeconfig context name cannot be empty.');
  let out = '';
  for (const ch of context) {
    if (PLAIN.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) out += `_${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

export function decodeContext(authority: string): string {
  // Browsers and VS Code may percent-encode or lower-case what we wrote; the hex is lower-case already.
  const text = authority.toLowerCase();
  if (!/^(?:[a-z0-9.-]|_[0-9a-f]{2})+$/.test(text)) throw new Error(`"${authority}" is not a context of a kube-exec address.`);
  const bytes: number[] = [];
  for (let i = 0; i < text.length; ) {
    if (text[i] === '_') {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      bytes.push(text.charCodeAt(i));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * An absolute path with `.`/`..`/`//` resolved and no trailing slash. Throws for relative
 * paths and NUL bytes, which no container path can hold.
 */
export function normalizeContainerPath(path: string): string {
  if (path.includes('\0')) throw new Error('A container path cannot contain a NUL character.');
  if (!path.startsWith('/')) throw new Error(`"${path}" is not an absolute path; container paths start with /.`);
  const normal = posix.normalize(path);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

/** The parent folder of a normalised path ('/' for '/' itself). */
export function parentPath(path: string): string {
  return posix.dirname(path);
}

export function baseName(path: string): string {
  return posix.basename(path);
}

function checkSegment(kind: string, value: string): void {
  if (value === '' || value.includes('/')) throw new Error(`"${value}" is not a valid ${kind} name for a kube-exec address.`);
}

/** The URI authority and path for a location. */
export function formatLocation(location: ContainerLocation): { authority: string; path: string } {
  checkSegment('namespace', location.namespace);
  checkSegment('pod', location.pod);
  checkSegment('container', location.container);
  const inside = normalizeContainerPath(location.path);
  return {
    authority: encodeContext(location.context),
    path: `/${location.namespace}/${location.pod}/${location.container}${inside === '/' ? '' : inside}`,
  };
}

/** The location a URI's authority and (decoded) path stand for. */
export function parseLocation(authority: string, uriPath: string): ContainerLocation {
  const match = /^\/([^/]+)\/([^/]+)\/([^/]+)(\/.*)?$/s.exec(uriPath);
  if (!match) {
    throw new Error(`"${uriPath}" is not a kube-exec path; it should look like /<namespace>/<pod>/<container>/<path in the container>.`);
  }
  return {
    context: decodeContext(authority),
    namespace: match[1]!,
    pod: match[2]!,
    container: match[3]!,
    path: normalizeContainerPath(match[4] ?? '/'),
  };
}
