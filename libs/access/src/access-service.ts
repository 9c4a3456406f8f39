import { randomUUID } from 'node:crypto';
import {
  ACCESS_ID_RULE,
  authorize,
  emptyAccessState,
  evolveAccess,
  isAccessId,
  parseRetentionDays,
  Streams,
  type AccessState,
  type ApiKeyCreatedData,
  type ApiKeyView,
  type AuthDecision,
  type DeploymentTokenCreatedData,
  type DeploymentTokenView,
  type Permission,
  type ProjectRetentionSetData,
  type Role,
  type VisibleProjectsDecision,
  visibleProjects,
} from '@temps/domain';
import { WrongExpectedVersionError, type EventStore } from '@temps/event-store';
import { generateApiKeySecret, generateDeploymentTokenSecret, hashSecret, newKeyId } from './api-key-secret';

const ROLES: Role[] = ['admin', 'member', 'viewer'];
/** Re-read the access stream at most this often, so a key made or revoked elsewhere takes effect within a second. */
const REFRESH_MS = 500;
/** A refused request re-reads the stream first, but all refusals together at most this often. */
const RECHECK_MS = 50;

/**
 * Projects and API keys, event-sourced in the `access` stream. Reads a live fold of that stream;
 * writes append events. Another process (the CLI) may append to the same store at any time.
 */
export class AccessService {
  private state: AccessState = emptyAccessState();
  private nextRevision = 0n;
  private lastRefresh = 0;
  /** When (performance.now()) the read that set `lastRefresh` started: it saw every access event appended before then. */
  private lastReadStarted = 0;
  private refreshing: Promise<void> | null = null;
  private recheck: Promise<void> | null = null;
  private readonly changeListeners = new Set<() => void>();

  constructor(private readonly events: EventStore) {}

  /**
   * Calls `listener` after each refresh that read new access events (a key or token revoked or made,
   * here or by another process). Returns the unsubscribe function.
   */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  async refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      const started = performance.now();
      try {
        const events = await this.events.readStream(Streams.access, { fromRevision: this.nextRevision });
        for (const e of events) {
          this.state = evolveAccess(this.state, e);
          this.nextRevision = e.revision + 1n;
        }
        this.lastRefresh = Date.now();
        this.lastReadStarted = started;
        if (events.length > 0) for (const listener of this.changeListeners) listener();
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /**
   * Decides a request from its bearer secret, the project it names (header or route) and, for the
   * ids-in-path OTLP routes, the path ids.
   */
  async authorize(
    token: string | null,
    projectHeader: string | null | undefined,
    permission: Permission,
    pathIds?: { projectId: string; environmentId: string; deploymentId: string },
  ): Promise<AuthDecision> {
    const arrived = performance.now();
    if (Date.now() - this.lastRefresh > REFRESH_MS) await this.refresh();
    const secretHash = token ? hashSecret(token) : null;
    const tokenKind = !token ? null : token.startsWith('dt_') ? 'dt' : token.startsWith('tk_') ? 'tk' : 'unknown';
    const request = { secretHash, tokenKind, projectHeader, pathIds, permission } as const;
    let decision = authorize(this.state, request);
    if (!decision.ok && secretHash) {
      // A key, token or project created a moment ago by another process (the CLI): a refusal is re-read first.
      await this.refreshSince(arrived);
      decision = authorize(this.state, request);
    }
    return decision;
  }

  /**
   * Waits for a read of the access stream that started at or after `time`, so a refusal never rests on a read
   * that began before the request came in (a read in flight, or one a few ms old, may predate the CLI's write).
   * Refusals share one such read, at most one every RECHECK_MS: unknown keys cannot make the store busy.
   */
  private async refreshSince(time: number): Promise<void> {
    while (this.lastReadStarted <= time) {
      this.recheck ??= (async () => {
        try {
          await this.refreshing; // a read already in flight may have started too early: let it end first
          const wait = this.lastReadStarted + RECHECK_MS - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          await this.refresh();
        } finally {
          this.recheck = null;
        }
      })();
      await this.recheck;
    }
  }

  /** The projects this bearer secret may read (the dashboard's project switcher). */
  async visibleProjects(token: string | null): Promise<VisibleProjectsDecision> {
    const arrived = performance.now();
    if (Date.now() - this.lastRefresh > REFRESH_MS) await this.refresh();
    const secretHash = token ? hashSecret(token) : null;
    const tokenKind = !token ? null : token.startsWith('dt_') ? 'dt' : token.startsWith('tk_') ? 'tk' : 'unknown';
    let decision = visibleProjects(this.state, { secretHash, tokenKind });
    if (!decision.ok && decision.status === 401 && secretHash) {
      await this.refreshSince(arrived); // a key created a moment ago by another process
      decision = visibleProjects(this.state, { secretHash, tokenKind });
    }
    return decision;
  }

  /**
   * Creates a project; the id defaults to the next free integer. The append expects the access stream
   * at the revision this check saw, so two processes cannot create the same id.
   */
  async createProject(projectId: string | undefined, name: string, options: { demo?: boolean } = {}): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      await this.refresh();
      const used = [...this.state.projects.keys(), ...this.state.deletedProjects];
      const id = projectId ?? String(Math.max(0, ...used.map(Number).filter(Number.isSafeInteger)) + 1);
      if (!isAccessId(id)) throw new Error(`project id must be ${ACCESS_ID_RULE}, got "${id}"`);
      if (this.state.projects.has(id)) throw new Error(`project ${id} already exists`);
      if (this.state.deletedProjects.has(id)) throw new Error(`project ${id} was deleted, and ids are not given again: choose another id`);
      const expected = this.nextRevision === 0n ? 'no_stream' : this.nextRevision - 1n;
      const data = { projectId: id, name, createdAt: new Date().toISOString(), ...(options.demo ? { demo: true } : {}) };
      try {
        await this.events.append(Streams.access, [{ id: randomUUID(), type: 'ProjectCreated', data }], expected);
      } catch (err) {
        if (err instanceof WrongExpectedVersionError && attempt < 3) continue; // someone else wrote meanwhile: check again
        throw err;
      }
      await this.refresh();
      return id;
    }
  }

  async listProjects(): Promise<{ projectId: string; name: string; createdAt: string; demo?: boolean }[]> {
    await this.refresh();
    return [...this.state.projects.values()].map(({ projectId, name, createdAt, demo }) => ({ projectId, name, createdAt, ...(demo ? { demo } : {}) }));
  }

  /** Deletes a project: keys no longer reach it and its id is not given again (its events stay in the log). */
  async deleteProject(projectId: string): Promise<void> {
    await this.refresh();
    if (!this.state.projects.has(projectId)) throw new Error(`project ${projectId} does not exist`);
    await this.events.append(Streams.access, [{ id: randomUUID(), type: 'ProjectDeleted', data: { projectId, deletedAt: new Date().toISOString() } }]);
    await this.refresh();
  }

  /** Sets a project's own retention in days, or (null) returns it to the server default (TEMPS_RETENTION_DAYS). */
  async setProjectRetention(projectId: string, days: number | null): Promise<void> {
    await this.refresh();
    if (!this.state.projects.has(projectId)) throw new Error(`project ${projectId} does not exist`);
    const data: ProjectRetentionSetData = { projectId, days: days === null ? null : parseRetentionDays(String(days), 'retention'), setAt: new Date().toISOString() };
    await this.events.append(Streams.access, [{ id: randomUUID(), type: 'ProjectRetentionSet', data }]);
    await this.refresh();
  }

  /** Each project's own retention in days (projects without one follow the server default). */
  async projectRetention(): Promise<Map<string, number>> {
    await this.refresh();
    return new Map(this.state.retentionDays);
  }

  /** The role of the key with this secret, if it is a live API key (routes that need an admin). */
  async roleOf(token: string | null): Promise<Role | null> {
    const decision = await this.visibleProjects(token);
    return decision.ok ? decision.role : null;
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

  /** Creates a deployment token (ingest only, scoped); the secret is returned once. */
  async createDeploymentToken(input: { projectId: string; environmentId: string; deploymentId: string }): Promise<{ token: DeploymentTokenView; secret: string }> {
    await this.refresh();
    if (!this.state.projects.has(input.projectId)) throw new Error(`project ${input.projectId} does not exist`);
    for (const [name, value] of Object.entries(input)) {
      if (!isAccessId(value)) throw new Error(`${name} must be ${ACCESS_ID_RULE}`);
    }
    const secret = generateDeploymentTokenSecret();
    const data: DeploymentTokenCreatedData = { tokenId: newKeyId(), ...input, secretHash: hashSecret(secret), prefix: secret.slice(0, 7), createdAt: new Date().toISOString() };
    await this.events.append(Streams.access, [{ id: randomUUID(), type: 'DeploymentTokenCreated', data }]);
    await this.refresh();
    const { secretHash: _hash, ...token } = data;
    return { token, secret };
  }

  async listDeploymentTokens(): Promise<DeploymentTokenView[]> {
    await this.refresh();
    return [...this.state.deploymentTokensById.values()].map(({ secretHash: _hash, ...t }) => t);
  }

  async revokeDeploymentToken(tokenId: string): Promise<void> {
    await this.refresh();
    if (!this.state.deploymentTokensById.has(tokenId)) throw new Error(`no deployment token with id ${tokenId}`);
    await this.events.append(Streams.access, [{ id: randomUUID(), type: 'DeploymentTokenRevoked', data: { tokenId, revokedAt: new Date().toISOString() } }]);
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
