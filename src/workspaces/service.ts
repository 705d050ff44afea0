import type { Kysely } from 'kysely';
import { isUniqueViolation } from '../db/dialect.js';
import type { Database, Workspace } from '../db/tables.js';
import { createWorkspace, findWorkspace, SUBDOMAIN } from './repository.js';

/** A request that cannot be carried out as asked; its message is meant for the person who asked. */
export class WorkspaceError extends Error {
  override name = 'WorkspaceError';
}

const MAX_LABEL = 200;

/** Names end up in tables printed on a terminal: one trimmed line of reasonable length. */
export function checkLabel(what: string, value: string): string {
  const label = value.trim();
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (!label || label.length > MAX_LABEL || /[\u0000-\u001f\u007f]/.test(label)) {
    throw new WorkspaceError(`${what} must be 1 to ${MAX_LABEL} printable characters on one line`);
  }
  return label;
}

export async function registerWorkspace(db: Kysely<Database>, subdomain: string, name: string): Promise<Workspace> {
  if (!SUBDOMAIN.test(subdomain)) {
    throw new WorkspaceError(
      `"${subdomain}" is not a valid subdomain: use 1 to 63 lowercase letters, digits and hyphens, not starting or ending with a hyphen`,
    );
  }
  const label = checkLabel('A workspace name', name);
  try {
    // Inserting and catching the conflict, rather than looking first, also settles two concurrent creations.
    return await createWorkspace(db, subdomain, label);
  } catch (error) {
    if (isUniqueViolation(error)) throw new WorkspaceError(`Workspace "${subdomain}" already exists`);
    throw error;
  }
}

export async function requireWorkspace(db: Kysely<Database>, subdomain: string): Promise<Workspace> {
  const workspace = await findWorkspace(db, subdomain);
  if (!workspace) throw new WorkspaceError(`No workspace has the subdomain "${subdomain}"`);
  return workspace;
}
