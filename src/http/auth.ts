import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.js';
import { findActiveToken } from '../tokens/repository.js';
import { parseToken, secretMatches } from '../tokens/token.js';
import { AppError } from './errors.js';

export interface RequestWorkspace {
  id: number;
  subdomain: string;
  /** The workspace's data version when the request arrived, before any of its data was read. */
  dataVersion: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    workspace: RequestWorkspace;
  }
}

const invalidToken = () =>
  new AppError(
    'INVALID_AUTH_TOKEN',
    'Invalid authentication token',
    'The bearer token is unknown, revoked or not valid for this workspace',
  );

/** `{sub}.{baseDomain}` → `sub`; any other host (an IP, localhost, the bare domain) → null. */
export function subdomainOf(host: string | undefined, baseDomain: string | null): string | null {
  if (!host || !baseDomain) return null;
  const name = host.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
  const suffix = `.${baseDomain}`;
  if (!name.endsWith(suffix)) return null;
  const sub = name.slice(0, -suffix.length);
  return sub && !sub.includes('.') ? sub : null;
}

/** An onRequest hook: Bearer token → the request's workspace, or 401 in the envelope. */
export function bearerAuth(db: Kysely<Database>, baseDomain: string | null) {
  return async function authenticate(request: FastifyRequest) {
    const header = request.headers.authorization;
    // Any credential after `Bearer ` is a token to judge: a malformed one is invalid, not missing.
    const token = header ? /^Bearer(?:[ ]+(.*))?$/i.exec(header)?.[1]?.trim() : undefined;
    if (!token) {
      throw new AppError('MISSING_AUTH_TOKEN', 'Authentication token is missing', 'Send the header Authorization: Bearer <token>');
    }
    const parsed = parseToken(token);
    if (!parsed) throw invalidToken();
    const owner = await findActiveToken(db, parsed.publicId);
    if (!owner || !secretMatches(parsed.secret, owner.secretHash)) throw invalidToken();
    const hostSubdomain = subdomainOf(request.headers.host, baseDomain);
    if (hostSubdomain !== null && hostSubdomain !== owner.subdomain) throw invalidToken();
    request.workspace = { id: owner.workspaceId, subdomain: owner.subdomain, dataVersion: owner.dataVersion };
  };
}
