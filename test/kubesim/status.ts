// metav1.Status bodies exactly as the API server serialises them (apimachinery api/errors).

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: { continue?: string; resourceVersion?: string };
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[]; retryAfterSeconds?: number };
  code: number;
}

export function failure(code: number, reason: string, message: string, details?: Status['details']): Status {
  const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details) s.details = details;
  return s;
}

/**
 * Go's strconv.Quote, which `%q` prints in the API server's messages: `"` and `\` escaped,
 * printable characters (letters, marks, numbers, punctuation, symbols, ASCII space) kept, the rest
 * as \a \b \f \n \r \t \v, \xHH below U+0020 and for U+007F, else \uHHHH or \UHHHHHHHH.
 */
export function goQuote(s: string): string {
  const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (cp === 0x20 || PRINTABLE.test(ch)) out += ch;
    else if (ESCAPES[ch] !== undefined) out += ESCAPES[ch];
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${hex(cp, 2)}`;
    // A lone surrogate cannot come from UTF-8; Go would have printed the replacement character.
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\ufffd';
    else if (cp < 0x10000) out += `\\u${hex(cp, 4)}`;
    else out += `\\U${hex(cp, 8)}`;
  }
  return out + '"';
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
const ESCAPES: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' };

/** `pods "x" not found`; `kind` is the resource (plural), as NewNotFound(qualifiedResource, name). */
/** NewNotFound: a named group qualifies the resource (`deployments.apps "x" not found`) and is in the details. */
export function notFound(resource: string, name: string, group = ''): Status {
  const qualified = group ? `${resource}.${group}` : resource;
  const details: Status['details'] = group ? { name, group, kind: resource } : { name, kind: resource };
  return failure(404, 'NotFound', `${qualified} ${goQuote(name)} not found`, details);
}

export function badRequest(message: string): Status {
  return failure(400, 'BadRequest', message);
}

export function unauthorized(): Status {
  return failure(401, 'Unauthorized', 'Unauthorized');
}

/** NewForbidden: `<resource> "<name>" is forbidden: <why>`, or `<resource> is forbidden: ...` for collections. */
export function forbidden(resource: string, name: string, why: string, group = ''): Status {
  const qualified = resource && group ? `${resource}.${group}` : resource || '';
  let message: string;
  if (!qualified && !name) message = `forbidden: ${why}`;
  else if (!name) message = `${qualified} is forbidden: ${why}`;
  else message = `${qualified} ${goQuote(name)} is forbidden: ${why}`;
  const details: Status['details'] = { kind: resource };
  if (group) details.group = group;
  if (name) details.name = name;
  return failure(403, 'Forbidden', message, qualified || name ? details : {});
}

/** NewResourceExpired: 410 with reason Expired (not Gone), as the watch cache and etcd3 store send. */
export function expired(message: string, continueToken?: string): Status {
  const s = failure(410, 'Expired', message);
  if (continueToken !== undefined) s.metadata.continue = continueToken;
  return s;
}

/** NewInternalError: message prefixed, the error repeated as the single cause. */
export function internalError(err: string): Status {
  return failure(500, 'InternalError', `Internal error occurred: ${err}`, { causes: [{ message: err }] });
}

export function methodNotSupported(resource: string, action: string): Status {
  return failure(405, 'MethodNotAllowed', `${action} is not supported on resources of kind "${resource}"`, { kind: resource });
}

/** The 404 for paths the server does not serve at all. */
export function pathNotFound(): Status {
  return failure(404, 'NotFound', 'the server could not find the requested resource', {});
}
