import type { ApiKeyCreatedData, DeploymentTokenCreatedData, ProjectCreatedData, ProjectDeletedData, Role } from './events';
import type { ProjectRetentionSetData } from './retention';

export interface ApiKeyView {
  keyId: string;
  name: string;
  role: Role;
  prefix: string;
  projectIds?: string[];
  createdAt: string;
  revokedAt?: string;
}

export interface DeploymentTokenView {
  tokenId: string;
  projectId: string;
  environmentId: string;
  deploymentId: string;
  prefix: string;
  createdAt: string;
  revokedAt?: string;
}

type Hashed<T> = T & { secretHash: string };

/** Projects, API keys and deployment tokens, folded from the `access` stream. Auth reads only this. */
export interface AccessState {
  projects: Map<string, ProjectCreatedData>;
  /** Ids of deleted projects: not given again, so a new project never shows an old one's rows. */
  deletedProjects: Set<string>;
  keysByHash: Map<string, Hashed<ApiKeyView>>;
  keysById: Map<string, Hashed<ApiKeyView>>;
  deploymentTokensByHash: Map<string, Hashed<DeploymentTokenView>>;
  deploymentTokensById: Map<string, Hashed<DeploymentTokenView>>;
  /** Each project's own retention in days (ProjectRetentionSet); absent: the server default. */
  retentionDays: Map<string, number>;
}

export const emptyAccessState = (): AccessState => ({
  projects: new Map(),
  deletedProjects: new Set(),
  keysByHash: new Map(),
  keysById: new Map(),
  deploymentTokensByHash: new Map(),
  deploymentTokensById: new Map(),
  retentionDays: new Map(),
});

export function evolveAccess(state: AccessState, event: { type: string; data: unknown }): AccessState {
  switch (event.type) {
    case 'ProjectCreated': {
      const d = event.data as ProjectCreatedData;
      state.projects.set(d.projectId, d);
      break;
    }
    case 'ProjectDeleted': {
      const d = event.data as ProjectDeletedData;
      state.projects.delete(d.projectId);
      state.deletedProjects.add(d.projectId);
      break;
    }
    case 'ProjectRetentionSet': {
      const d = event.data as ProjectRetentionSetData;
      if (d.days === null) state.retentionDays.delete(d.projectId);
      else state.retentionDays.set(d.projectId, d.days);
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
    case 'DeploymentTokenCreated': {
      const d = event.data as DeploymentTokenCreatedData;
      const token = { ...d };
      state.deploymentTokensByHash.set(d.secretHash, token);
      state.deploymentTokensById.set(d.tokenId, token);
      break;
    }
    case 'DeploymentTokenRevoked': {
      const d = event.data as { tokenId: string; revokedAt: string };
      const token = state.deploymentTokensById.get(d.tokenId);
      if (token) {
        token.revokedAt = d.revokedAt;
        state.deploymentTokensByHash.delete(token.secretHash);
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
  | { ok: true; principal: string; role: Role | 'deployment'; projectId: string; environmentId?: string; deploymentId?: string }
  | { ok: false; status: 400 | 401 | 403; message: string; missingProject?: string };

/** What a request says about where its data goes. */
export interface AuthRequest {
  /** sha256 of the bearer secret, or null when none was sent. */
  secretHash: string | null;
  /** `dt_` or `tk_`, from the secret's prefix. */
  tokenKind: 'tk' | 'dt' | 'unknown' | null;
  /** The `X-Temps-Project-Id` header (or a route's `:projectId` for queries). */
  projectHeader?: string | null;
  /** Ids in the URL path (`/api/otel/v1/{project}/{environment}/{deployment}/traces`). */
  pathIds?: { projectId: string; environmentId: string; deploymentId: string };
  permission: Permission;
}

/**
 * Project, environment and deployment ids: 1-64 letters, digits, '_', '-' or '.', not '.' or '..' (a URL path
 * segment that clients resolve away, so /api/projects/../ would name no project).
 */
export function isAccessId(id: string): boolean {
  return /^[A-Za-z0-9_.-]{1,64}$/.test(id) && id !== '.' && id !== '..';
}

/** What `isAccessId` takes, said in an error message. */
export const ACCESS_ID_RULE = "1-64 letters, digits, '_', '-' or '.' (not '.' or '..')";

/** Decides a request. Messages say what to change: which header, which id, which role. */
export function authorize(state: AccessState, req: AuthRequest): AuthDecision {
  if (!req.secretHash) return { ok: false, status: 401, message: 'missing credentials: send "Authorization: Bearer tk_..." (API key) or "Bearer dt_..." (deployment token)' };

  if (req.tokenKind === 'dt') {
    const token = req.secretHash ? state.deploymentTokensByHash.get(req.secretHash) : undefined;
    if (!token) return { ok: false, status: 401, message: 'unknown or revoked deployment token' };
    if (req.permission !== 'ingest') return { ok: false, status: 403, message: 'a deployment token (dt_) may only send telemetry; use an API key (tk_) to read' };
    if (req.pathIds) {
      const p = req.pathIds;
      if (p.projectId !== token.projectId || p.environmentId !== token.environmentId || p.deploymentId !== token.deploymentId) {
        return {
          ok: false,
          status: 403,
          message: `the ids in the path (${p.projectId}/${p.environmentId}/${p.deploymentId}) do not match this deployment token's scope (${token.projectId}/${token.environmentId}/${token.deploymentId})`,
        };
      }
    }
    if (state.deletedProjects.has(token.projectId)) return { ok: false, status: 403, message: `project ${token.projectId} was deleted` };
    if (req.projectHeader && req.projectHeader !== token.projectId) {
      return { ok: false, status: 403, message: `X-Temps-Project-Id ${req.projectHeader} does not match this deployment token's project ${token.projectId}` };
    }
    return { ok: true, principal: `dt:${token.tokenId}`, role: 'deployment', projectId: token.projectId, environmentId: token.environmentId, deploymentId: token.deploymentId };
  }

  // Lookup by the sha256 of a 256-bit secret: its timing says nothing about any stored secret, so
  // this is as safe as a constant-time comparison (and the only stored form is that digest).
  const key = state.keysByHash.get(req.secretHash);
  if (!key) return { ok: false, status: 401, message: 'unknown or revoked API key' };
  let projectId = req.pathIds?.projectId ?? req.projectHeader ?? null;
  if (req.pathIds && req.projectHeader && req.projectHeader !== req.pathIds.projectId) {
    return { ok: false, status: 400, message: `X-Temps-Project-Id ${req.projectHeader} differs from the project ${req.pathIds.projectId} in the path` };
  }
  if (!projectId) return { ok: false, status: 400, message: 'missing X-Temps-Project-Id header: an API key (tk_) must name the project it sends to' };
  if (!isAccessId(projectId)) return { ok: false, status: 400, message: `invalid project id "${projectId.slice(0, 64)}"` };
  if (state.deletedProjects.has(projectId)) return { ok: false, status: 403, message: `project ${projectId} was deleted` };
  if (!state.projects.has(projectId)) {
    // The key is genuine here: say how to make the project (the seed's snippets send to a project 2).
    return { ok: false, status: 403, missingProject: projectId, message: `project ${projectId} does not exist: create it with "temps project create --id ${projectId} --name NAME" (or start a new data dir with TEMPS_DEFAULT_PROJECT=${projectId})` };
  }
  if (key.projectIds && !key.projectIds.includes(projectId)) return { ok: false, status: 403, message: `this API key is not allowed to use project ${projectId}` };
  if (!ROLE_PERMISSIONS[key.role].includes(req.permission)) {
    return { ok: false, status: 403, message: `an API key with role ${key.role} may not ${req.permission === 'ingest' ? 'send telemetry' : 'read'}` };
  }
  projectId = String(projectId);
  return {
    ok: true,
    principal: `tk:${key.keyId}`,
    role: key.role,
    projectId,
    ...(req.pathIds ? { environmentId: req.pathIds.environmentId, deploymentId: req.pathIds.deploymentId } : {}),
  };
}

/** A project as the project switcher lists it. */
export interface VisibleProject {
  id: string;
  name: string;
}

/** `allProjects`: the key has no project list (it sees every project, those made later too, and what spans them all). */
export type VisibleProjectsDecision = { ok: true; role: Role; projects: VisibleProject[]; allProjects: boolean } | { ok: false; status: 401 | 403; message: string };

/**
 * The projects an API key may read: every project for a key without a project list, else the listed
 * ones that exist. Sorted by id (numerically when both are numbers). Deployment tokens read nothing.
 */
export function visibleProjects(state: AccessState, req: Pick<AuthRequest, 'secretHash' | 'tokenKind'>): VisibleProjectsDecision {
  if (!req.secretHash) return { ok: false, status: 401, message: 'missing credentials: send "Authorization: Bearer tk_..." (API key)' };
  if (req.tokenKind === 'dt') {
    if (!state.deploymentTokensByHash.has(req.secretHash)) return { ok: false, status: 401, message: 'unknown or revoked deployment token' };
    return { ok: false, status: 403, message: 'a deployment token (dt_) may only send telemetry; use an API key (tk_) to read' };
  }
  const key = state.keysByHash.get(req.secretHash);
  if (!key) return { ok: false, status: 401, message: 'unknown or revoked API key' };
  if (!ROLE_PERMISSIONS[key.role].includes('read')) return { ok: false, status: 403, message: `an API key with role ${key.role} may not read` };
  const projects = [...state.projects.values()]
    .filter((p) => !key.projectIds || key.projectIds.includes(p.projectId))
    .map(({ projectId, name }) => ({ id: projectId, name }))
    .sort((a, b) => {
      const x = Number(a.id);
      const y = Number(b.id);
      return Number.isSafeInteger(x) && Number.isSafeInteger(y) ? x - y : a.id.localeCompare(b.id);
    });
  return { ok: true, role: key.role, projects, allProjects: !key.projectIds };
}
