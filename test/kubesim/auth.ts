// Authentication and authorization as kube-apiserver does them for kubesim's users: bearer
// tokens and client certificates identify a user; an RBAC-like rule table decides; denials carry
// the exact message of apiserver's forbiddenMessage(). Version 1.35 semantics: a WebSocket
// upgrade to pods/exec|attach|portforward is a GET (authorised as `get`) and then needs `create`
// as well (AuthorizePodWebsocketUpgradeCreatePermission, beta and on by default since 1.35).
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { goQuote } from './status.ts';

export interface User {
  name: string;
  groups: string[];
}

export interface Tokens {
  admin: string;
  dev: string;
  execPlugin: string;
}

export function newTokens(): Tokens {
  const t = () => randomBytes(24).toString('base64url');
  return { admin: t(), dev: t(), execPlugin: t() };
}

export const ANONYMOUS: User = { name: 'system:anonymous', groups: ['system:unauthenticated'] };

/** undefined = credentials were presented and are invalid (401). */
export function authenticate(req: IncomingMessage, tokens: Tokens): User | undefined {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const m = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (!m) return undefined;
    const token = m[1]!.trim();
    if (token === tokens.admin) return { name: 'admin', groups: ['system:masters', 'system:authenticated'] };
    if (token === tokens.dev) return { name: 'dev', groups: ['developers', 'system:authenticated'] };
    if (token === tokens.execPlugin) return { name: 'exec-user', groups: ['system:masters', 'system:authenticated'] };
    return undefined;
  }
  const socket = req.socket as TLSSocket;
  if (socket.authorized) {
    const cert = socket.getPeerCertificate();
    const cn = cert?.subject?.CN;
    if (cn) {
      const o = cert.subject.O;
      const groups = Array.isArray(o) ? o : o ? [o] : [];
      return { name: Array.isArray(cn) ? cn[0]! : cn, groups: [...groups, 'system:authenticated'] };
    }
  }
  return ANONYMOUS;
}

export interface Attributes {
  user: User;
  verb: string;
  /** Resource requests: */
  group?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** Non-resource requests: */
  path?: string;
}

const PUBLIC_PATHS = new Set(['/version', '/version/', '/healthz', '/livez', '/readyz']);
const DISCOVERY = /^\/(api|apis|openapi)(\/|$)|^\/version\/?$/;

/** The RBAC rules of kubesim's users. */
export function authorize(a: Attributes): boolean {
  if (a.user.groups.includes('system:masters') || a.user.name === 'cert-user') return true;
  if (a.path !== undefined) {
    if (PUBLIC_PATHS.has(a.path)) return a.verb === 'get';
    // system:discovery is bound to system:authenticated only.
    return a.verb === 'get' && a.user.groups.includes('system:authenticated') && DISCOVERY.test(a.path);
  }
  if (a.user.name === 'dev') {
    // A namespaced Role in "default": read pods and their subresources (get on pods/* is the
    // common "view plus" mistake that let WebSocket exec through before 1.35).
    return a.namespace === 'default' && !a.group && a.resource === 'pods' && ['get', 'list', 'watch'].includes(a.verb);
  }
  return false;
}

/** apiserver's forbiddenMessage(); its %q quoting matters now that names come percent-decoded. */
export function forbiddenReason(a: Attributes): string {
  const user = goQuote(a.user.name);
  if (a.path !== undefined) return `User ${user} cannot ${a.verb} path ${goQuote(a.path)}`;
  const resource = goQuote(a.subresource ? `${a.resource}/${a.subresource}` : a.resource!);
  if (a.namespace) {
    return `User ${user} cannot ${a.verb} resource ${resource} in API group ${goQuote(a.group ?? '')} in the namespace ${goQuote(a.namespace)}`;
  }
  return `User ${user} cannot ${a.verb} resource ${resource} in API group ${goQuote(a.group ?? '')} at the cluster scope`;
}
