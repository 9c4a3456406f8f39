import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSecretsKey, SecretBox, SECRETS_KEY_FILE } from './secret-box';

describe('SecretBox (AES-256-GCM) and the secrets key', () => {
  const box = new SecretBox(Buffer.alloc(32, 7));

  it('round-trips, never shows the plain text, and binds a ciphertext to its context', () => {
    const sealed = box.encrypt('sk-very-secret', 'ai-provider:1:openai');
    expect(sealed).toMatch(/^v1:[0-9a-f]{8}:/);
    expect(sealed).not.toContain('sk-very-secret');
    expect(box.encrypt('sk-very-secret', 'ai-provider:1:openai')).not.toBe(sealed); // a fresh IV each time
    expect(box.decrypt(sealed, 'ai-provider:1:openai')).toBe('sk-very-secret');
    expect(() => box.decrypt(sealed, 'ai-provider:2:openai')).toThrow(); // copied to another project: refused
  });

  it('says when a ciphertext was made with another key', () => {
    const other = new SecretBox(Buffer.alloc(32, 8));
    expect(() => other.decrypt(box.encrypt('x', 'c'), 'c')).toThrow(/another secrets key/);
  });

  it('generates a key file with mode 0600 at the first start, then reuses it; TEMPS_SECRETS_KEY wins', () => {
    const dir = mkdtempSync(join(tmpdir(), 'temps-secrets-'));
    try {
      const first = loadSecretsKey(dir, {});
      expect(first).toMatchObject({ source: 'file', created: true, path: join(dir, SECRETS_KEY_FILE) });
      expect(statSync(join(dir, SECRETS_KEY_FILE)).mode & 0o777).toBe(0o600);
      const second = loadSecretsKey(dir, {});
      expect(second.created).toBe(false);
      expect(second.box.decrypt(first.box.encrypt('k', 'c'), 'c')).toBe('k');

      const hex = readFileSync(join(dir, SECRETS_KEY_FILE), 'utf8').trim();
      expect(loadSecretsKey(dir, { TEMPS_SECRETS_KEY: hex }).box.keyId).toBe(first.box.keyId);
      const passphrase = loadSecretsKey(dir, { TEMPS_SECRETS_KEY: 'a long enough passphrase' });
      expect(passphrase.source).toBe('env');
      expect(passphrase.box.keyId).not.toBe(first.box.keyId);
      expect(() => loadSecretsKey(dir, { TEMPS_SECRETS_KEY: 'short' })).toThrow(/too short/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
