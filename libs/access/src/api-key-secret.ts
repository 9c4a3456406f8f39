import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** Secrets are 256 random bits: a plain sha256 is a sound, fast lookup hash for them. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function generateApiKeySecret(): string {
  return `tk_${randomBytes(32).toString('base64url')}`;
}

export function generateDeploymentTokenSecret(): string {
  return `dt_${randomBytes(32).toString('base64url')}`;
}

export const newKeyId = () => randomUUID();

/** `Bearer tk_...` -> `tk_...`; null when absent or not a bearer token. */
export function bearerToken(header: string | string[] | undefined): string | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return null;
  const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(value);
  return match ? match[1]! : null;
}
