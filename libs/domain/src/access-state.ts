import type { ApiKeyCreatedData, ProjectCreatedData, Role } from './events';

export interface ApiKeyView {
  keyId: string;
  name: string;
  role: Role;
  prefix: string;
  projectIds?: string[];
  createdAt: string;
  revokedAt?: string;
}

/** Projects and keys, folded from the `access` stream. Auth reads only this. */
export interface AccessState {
  projects: Map<string, ProjectCreatedData>;
  keysByHash: Map<string, ApiKeyView & { secretHash: string }>;
  keysById: Map<string, ApiKeyView & { secretHash: string }>;
}

export const emptyAccessState = (): AccessState => ({ projects: new Map(), keysByHash: new Map(), keysById: new Map() });

export function evolveAccess(state: AccessState, event: { type: string; data: unknown }): AccessState {
  switch (event.type) {
    case 'ProjectCreated': {
      const d = event.data as ProjectCreatedData;
      state.projects.set(d.projectId, d);
      break;
    }
    case 'ApiKeyCreated': {
      const d = event.data as ApiKeyCreatedData;
      const key = { keyId: d.keyId, name: d.name, role: d.role, prefix: d.prefix, projectIds: d.projectIds, createdAt: d.createdAt, secretHash: d.secretHash };
      state.keysByHash.set(d.secretHash, key);
      state.keysById.set(d.keyId, key);
      break;
    }
    case 'ApiKeyRevoked': {
      const d = event.data as { keyId: string; revokedAt: string };
      const key = state.keysById.get(d.keyId);
      if (key) {
        key.revokedAt = d.revokedAt;
        state.keysByHash.delete(key.secretHash);
      }
      break;
    }
  }
  return state;
}

export type Permission = 'ingest' | 'read';

const ROLE_PERMISSIONS: Record<Role, Permission[]> = {
  admin: ['ingest', 'read'],
  member: ['ingest', 'read'],
  viewer: ['read'],
};

export type AuthDecision =
  | { ok: true; keyId: string; role: Role; projectId: string }
  | { ok: false; status: 400 | 401 | 403; message: string };

/** Decides a request from the key's hash, the project it names and what it wants to do. */
export function authorizeApiKey(
  state: AccessState,
  secretHash: string | null,
  projectId: string | null | undefined,
  permission: Permission,
): AuthDecision {
  if (!secretHash) return { ok: false, status: 401, message: 'missing credentials: send "Authorization: Bearer tk_..."' };
  const key = state.keysByHash.get(secretHash);
  if (!key) return { ok: false, status: 401, message: 'unknown or revoked API key' };
  if (!projectId) return { ok: false, status: 400, message: 'missing X-Temps-Project-Id header: an API key (tk_) must name the project it sends to' };
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(projectId)) return { ok: false, status: 400, message: `invalid project id "${projectId.slice(0, 64)}"` };
  if (!state.projects.has(projectId)) return { ok: false, status: 403, message: `project ${projectId} does not exist or is not accessible with this key` };
  if (key.projectIds && !key.projectIds.includes(projectId)) return { ok: false, status: 403, message: `this API key is not allowed to use project ${projectId}` };
  if (!ROLE_PERMISSIONS[key.role].includes(permission)) return { ok: false, status: 403, message: `role ${key.role} may not ${permission}` };
  return { ok: true, keyId: key.keyId, role: key.role, projectId };
}
