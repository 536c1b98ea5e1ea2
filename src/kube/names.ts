// Names that go into API paths, checked before anything is sent, and the paths built from them.
//
// `encodeURIComponent` keeps dots, and URL parsing then resolves `.` and `..` segments: pod ".."
// in namespace "shop" would become a request for `/api/v1/namespaces/exec`, and the user would
// see an unrelated NotFound. kubectl refuses such names before it sends anything, with the
// API machinery's path segment rules (IsValidPathSegmentName), and so do we, in its words. A name
// that passes those but could never name the object (the API server validates namespaces and
// container names as DNS-1123 labels, pod and node names as DNS-1123 subdomains) is refused too,
// with the API server's own wording, since no request with it can give anything but NotFound.

export type NameKind = 'namespace' | 'pod' | 'container' | 'node';

/** A name that cannot be sent; the message is the whole sentence, as kubectl prints it after "error: ". */
export class InvalidNameError extends Error {
  readonly kind: NameKind;
  readonly value: string;

  constructor(kind: NameKind, value: string, problems: readonly string[]) {
    // kubectl prints Go's %v of a []string: the problems in brackets, separated by spaces.
    super(`${kind === 'namespace' ? 'invalid namespace' : kind === 'pod' ? 'invalid resource name' : `invalid ${kind} name`} ${goQuote(value)}: [${problems.join(' ')}]`);
    this.name = 'InvalidNameError';
    this.kind = kind;
    this.value = value;
  }
}

const LABEL_MAX = 63;
const SUBDOMAIN_MAX = 253;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// The API server's messages (k8s.io/apimachinery/pkg/util/validation), word for word.
const LABEL_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

/** The problems of `name` as a path segment: what kubectl itself checks. */
function pathSegmentProblems(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  const problems: string[] = [];
  if (name.includes('/')) problems.push("may not contain '/'");
  if (name.includes('%')) problems.push("may not contain '%'");
  return problems;
}

function dnsProblems(kind: NameKind, name: string): string[] {
  const label = kind === 'namespace' || kind === 'container';
  const max = label ? LABEL_MAX : SUBDOMAIN_MAX;
  const problems: string[] = [];
  if (name.length > max) problems.push(`must be no more than ${max} characters`);
  if (!(label ? LABEL : SUBDOMAIN).test(name)) problems.push(label ? LABEL_MESSAGE : SUBDOMAIN_MESSAGE);
  return problems;
}

/** Throws InvalidNameError unless `name` can name an object of `kind`. */
export function checkName(kind: NameKind, name: string): void {
  if (name === '') throw new InvalidNameError(kind, name, ['may not be empty']);
  const segment = pathSegmentProblems(name);
  if (segment.length > 0) throw new InvalidNameError(kind, name, segment);
  const dns = dnsProblems(kind, name);
  if (dns.length > 0) throw new InvalidNameError(kind, name, dns);
}

/** The message when `name` is not a valid name of `kind`, else undefined. */
export function nameProblem(kind: NameKind, name: string): string | undefined {
  try {
    checkName(kind, name);
    return undefined;
  } catch (err) {
    if (err instanceof InvalidNameError) return err.message;
    throw err;
  }
}

/** Checks the names of an exec, attach, log or port-forward target. */
export function checkTarget(target: { namespace: string; pod: string; container?: string }): void {
  checkName('namespace', target.namespace);
  checkName('pod', target.pod);
  // No container means "the default one"; an empty string is the same thing in the API.
  if (target.container) checkName('container', target.container);
}

/** `/api/v1/namespaces/NS`. */
export function namespacePath(namespace: string): string {
  checkName('namespace', namespace);
  return `/api/v1/namespaces/${namespace}`;
}

/** `/api/v1/namespaces/NS/pods`, or `/api/v1/pods` for all namespaces. */
export function podsPath(namespace: string | undefined): string {
  return namespace === undefined ? '/api/v1/pods' : `${namespacePath(namespace)}/pods`;
}

/** `/api/v1/namespaces/NS/pods/POD[/SUBRESOURCE]`. */
export function podPath(namespace: string, pod: string, subresource?: string): string {
  checkName('pod', pod);
  return `${podsPath(namespace)}/${pod}${subresource ? `/${subresource}` : ''}`;
}

/** `/api/v1/nodes/NODE`. */
export function nodePath(node: string): string {
  checkName('node', node);
  return `/api/v1/nodes/${node}`;
}

/** Go's %q for the names people type: quotes and backslashes escaped, control characters as \xNN. */
function goQuote(value: string): string {
  return JSON.stringify(value).replace(/\\u00([0-9a-f]{2})/g, '\\x$1');
}
