import { randomUUID } from 'node:crypto';
import {
  authorizeApiKey,
  emptyAccessState,
  evolveAccess,
  Streams,
  type AccessState,
  type ApiKeyCreatedData,
  type ApiKeyView,
  type AuthDecision,
  type Permission,
  type Role,
} from '@temps/domain';
import type { EventStore } from '@temps/event-store';
import { generateApiKeySecret, hashSecret, newKeyId } from './api-key-secret';

const ROLES: Role[] = ['admin', 'member', 'viewer'];
/** Re-read the access stream at most this often, so a key made or revoked elsewhere takes effect within a second. */
const REFRESH_MS = 500;

/**
 * Projects and API keys, event-sourced in the `access` stream. Reads a live fold of that stream;
 * writes append events. Another process (the CLI) may append to the same store at any time.
 */
export class AccessService {
  private state: AccessState = emptyAccessState();
  private nextRevision = 0n;
  private lastRefresh = 0;
  private refreshing: Promise<void> | null = null;

  constructor(private readonly events: EventStore) {}

  async refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const events = await this.events.readStream(Streams.access, { fromRevision: this.nextRevision });
        for (const e of events) {
          this.state = evolveAccess(this.state, e);
          this.nextRevision = e.revision + 1n;
        }
        this.lastRefresh = Date.now();
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  async authorize(token: string | null, projectId: string | null | undefined, permission: Permission): Promise<AuthDecision> {
    if (Date.now() - this.lastRefresh > REFRESH_MS) await this.refresh();
    const hash = token ? hashSecret(token) : null;
    let decision = authorizeApiKey(this.state, hash, projectId, permission);
    if (!decision.ok && decision.status === 401 && hash && Date.now() - this.lastRefresh > 50) {
      await this.refresh(); // a key created a moment ago by another process
      decision = authorizeApiKey(this.state, hash, projectId, permission);
    }
    return decision;
  }

  async createProject(projectId: string, name: string): Promise<void> {
    await this.events.append(Streams.access, [
      { id: randomUUID(), type: 'ProjectCreated', data: { projectId, name, createdAt: new Date().toISOString() } },
    ]);
    await this.refresh();
  }

  /** Creates a key; the returned secret is shown once and exists nowhere else. */
  async createApiKey(input: { name: string; role: Role; projectIds?: string[]; secret?: string }): Promise<{ key: ApiKeyView; secret: string }> {
    if (!ROLES.includes(input.role)) throw new Error(`unknown role "${input.role}": use one of ${ROLES.join(', ')}`);
    const secret = input.secret ?? generateApiKeySecret();
    if (!/^tk_[A-Za-z0-9_-]{16,}$/.test(secret)) throw new Error('an API key must look like tk_ followed by at least 16 letters, digits, _ or -');
    const data: ApiKeyCreatedData = {
      keyId: newKeyId(),
      name: input.name,
      role: input.role,
      secretHash: hashSecret(secret),
      prefix: secret.slice(0, 7),
      projectIds: input.projectIds,
      createdAt: new Date().toISOString(),
    };
    await this.events.append(Streams.access, [{ id: randomUUID(), type: 'ApiKeyCreated', data }]);
    await this.refresh();
    const { secretHash: _hash, ...key } = data;
    return { key, secret };
  }

  async listApiKeys(): Promise<ApiKeyView[]> {
    await this.refresh();
    return [...this.state.keysById.values()].map(({ secretHash: _hash, ...key }) => key);
  }

  async revokeApiKey(keyId: string): Promise<void> {
    await this.refresh();
    if (!this.state.keysById.has(keyId)) throw new Error(`no API key with id ${keyId}`);
    await this.events.append(Streams.access, [{ id: randomUUID(), type: 'ApiKeyRevoked', data: { keyId, revokedAt: new Date().toISOString() } }]);
    await this.refresh();
  }

  async projects(): Promise<string[]> {
    await this.refresh();
    return [...this.state.projects.keys()];
  }

  /** Holds the key with this secret (used at start-up for TEMPS_BOOTSTRAP_API_KEY). */
  async hasSecret(secret: string): Promise<boolean> {
    await this.refresh();
    return this.state.keysByHash.has(hashSecret(secret));
  }
}
