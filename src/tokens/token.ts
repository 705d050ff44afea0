import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * A token reads `prl_<public id>_<secret>`. The public id finds the row; only a SHA-256 of the
 * 32-byte secret is stored, and it is compared in constant time.
 */
const TOKEN = /^prl_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface IssuedToken {
  token: string;
  publicId: string;
  secretHash: string;
}

export const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');

export function issueToken(): IssuedToken {
  const publicId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { token: `prl_${publicId}_${secret}`, publicId, secretHash: hashSecret(secret) };
}

export function parseToken(token: string): { publicId: string; secret: string } | null {
  const match = TOKEN.exec(token);
  return match ? { publicId: match[1]!, secret: match[2]! } : null;
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const given = Buffer.from(hashSecret(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}
