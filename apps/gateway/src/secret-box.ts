import { createCipheriv, createDecipheriv, createHash, randomBytes, scryptSync } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The file in the data dir that holds the generated secrets key when TEMPS_SECRETS_KEY is not set. */
export const SECRETS_KEY_FILE = 'secrets.key';

/**
 * AES-256-GCM for secrets kept in events (provider API keys). A ciphertext names the key it was made
 * with (a short digest), so a server started with another key says so instead of failing obscurely,
 * and it is bound to its context (project and provider): a ciphertext copied to another project does
 * not decrypt.
 */
export class SecretBox {
  readonly keyId: string;

  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('the secrets key must be 32 bytes');
    this.keyId = createHash('sha256').update(key).digest('hex').slice(0, 8);
  }

  encrypt(plain: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `v1:${this.keyId}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  decrypt(sealed: string, context: string): string {
    const [version, keyId, data] = sealed.split(':');
    if (version !== 'v1' || !keyId || !data) throw new Error('not a secret sealed by this server');
    if (keyId !== this.keyId) {
      throw new Error(`this secret was encrypted with another secrets key (${keyId}, this server has ${this.keyId}): start with the same TEMPS_SECRETS_KEY or ${SECRETS_KEY_FILE}, or set the key again`);
    }
    const raw = Buffer.from(data, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }
}

export interface LoadedSecretsKey {
  box: SecretBox;
  /** Where the key came from; `created`: the key file was made now (said once, at this start). */
  source: 'env' | 'file';
  path?: string;
  created: boolean;
}

/** 64 hex digits or base64 of 32 bytes are used as they are; any other passphrase goes through scrypt. */
function keyFromText(text: string): Buffer {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  const b64 = Buffer.from(t, 'base64');
  if (b64.length === 32 && /^[A-Za-z0-9+/_-]{43}=?$/.test(t)) return b64;
  if (t.length < 16) throw new Error('TEMPS_SECRETS_KEY is too short: use at least 16 characters (e.g. "openssl rand -hex 32")');
  return scryptSync(t, 'temps-secrets-v1', 32);
}

/**
 * The server's secrets key: TEMPS_SECRETS_KEY, else `secrets.key` in the data dir, generated at the first
 * start with mode 0600. Every process sharing an event store must use the same key.
 */
export function loadSecretsKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): LoadedSecretsKey {
  if (env.TEMPS_SECRETS_KEY) return { box: new SecretBox(keyFromText(env.TEMPS_SECRETS_KEY)), source: 'env', created: false };
  const path = join(dataDir, SECRETS_KEY_FILE);
  if (existsSync(path)) {
    const mode = statSync(path).mode & 0o777;
    if (mode & 0o077) chmodSync(path, 0o600); // readable by others: tighten it
    return { box: new SecretBox(keyFromText(readFileSync(path, 'utf8'))), source: 'file', path, created: false };
  }
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  try {
    writeFileSync(path, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // another process of this data dir made it first
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadSecretsKey(dataDir, env);
    throw err;
  }
  return { box: new SecretBox(key), source: 'file', path, created: true };
}
