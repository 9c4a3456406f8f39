import { authorize, emptyAccessState, evolveAccess, visibleProjects, type AccessState, type AuthRequest } from './access-state';

function stateWith(): AccessState {
  const s = emptyAccessState();
  const events = [
    { type: 'ProjectCreated', data: { projectId: '1', name: 'one', createdAt: 't' } },
    { type: 'ProjectCreated', data: { projectId: '2', name: 'two', createdAt: 't' } },
    { type: 'ApiKeyCreated', data: { keyId: 'admin', name: 'a', role: 'admin', secretHash: 'h-admin', prefix: 'tk_a', createdAt: 't' } },
    { type: 'ApiKeyCreated', data: { keyId: 'viewer', name: 'v', role: 'viewer', secretHash: 'h-viewer', prefix: 'tk_v', createdAt: 't' } },
    { type: 'ApiKeyCreated', data: { keyId: 'p1', name: 'p', role: 'member', secretHash: 'h-p1', prefix: 'tk_p', projectIds: ['1'], createdAt: 't' } },
    { type: 'ApiKeyCreated', data: { keyId: 'gone', name: 'g', role: 'admin', secretHash: 'h-gone', prefix: 'tk_g', createdAt: 't' } },
    { type: 'ApiKeyRevoked', data: { keyId: 'gone', revokedAt: 't' } },
    { type: 'DeploymentTokenCreated', data: { tokenId: 'd1', projectId: '2', environmentId: 'prod', deploymentId: 'dep-7', secretHash: 'h-dt', prefix: 'dt_x', createdAt: 't' } },
    { type: 'DeploymentTokenCreated', data: { tokenId: 'd2', projectId: '2', environmentId: 'prod', deploymentId: 'dep-8', secretHash: 'h-dt-gone', prefix: 'dt_y', createdAt: 't' } },
    { type: 'DeploymentTokenRevoked', data: { tokenId: 'd2', revokedAt: 't' } },
  ];
  return events.reduce(evolveAccess, s);
}

const tk = (hash: string | null, extra: Partial<AuthRequest> = {}): AuthRequest => ({ secretHash: hash, tokenKind: hash ? 'tk' : null, permission: 'ingest', ...extra });
const dt = (hash: string, extra: Partial<AuthRequest> = {}): AuthRequest => ({ secretHash: hash, tokenKind: 'dt', permission: 'ingest', ...extra });

describe('authorize (API keys and deployment tokens)', () => {
  const state = stateWith();

  it('lets an admin key send to and read any existing project named by the header', () => {
    expect(authorize(state, tk('h-admin', { projectHeader: '2' }))).toMatchObject({ ok: true, projectId: '2', role: 'admin' });
    expect(authorize(state, tk('h-admin', { projectHeader: '1', permission: 'read' }))).toMatchObject({ ok: true });
  });

  it('answers 401, 400 and 403 with messages that say what to change', () => {
    expect(authorize(state, tk(null))).toMatchObject({ ok: false, status: 401, message: expect.stringMatching(/Authorization: Bearer/) });
    expect(authorize(state, tk('nope', { projectHeader: '1' }))).toMatchObject({ ok: false, status: 401 });
    expect(authorize(state, tk('h-gone', { projectHeader: '1' }))).toMatchObject({ ok: false, status: 401, message: expect.stringMatching(/revoked/) });
    expect(authorize(state, tk('h-admin'))).toMatchObject({ ok: false, status: 400, message: expect.stringMatching(/X-Temps-Project-Id/) });
    expect(authorize(state, tk('h-admin', { projectHeader: '9' }))).toMatchObject({ ok: false, status: 403 });
    expect(authorize(state, tk('h-p1', { projectHeader: '2' }))).toMatchObject({ ok: false, status: 403, message: expect.stringMatching(/project 2/) });
    expect(authorize(state, tk('h-viewer', { projectHeader: '1' }))).toMatchObject({ ok: false, status: 403, message: expect.stringMatching(/viewer/) });
    expect(authorize(state, tk('h-viewer', { projectHeader: '1', permission: 'read' }))).toMatchObject({ ok: true });
  });

  it('tells a genuine key sending to a project that does not exist yet the command that creates it', () => {
    expect(authorize(state, tk('h-admin', { projectHeader: '9' }))).toEqual({
      ok: false,
      status: 403,
      missingProject: '9',
      message: 'project 9 does not exist: create it with "temps project create --id 9 --name NAME" (or start a new data dir with TEMPS_DEFAULT_PROJECT=9)',
    });
    // An unknown key learns nothing about projects.
    expect(authorize(state, tk('nope', { projectHeader: '9' }))).toEqual({ ok: false, status: 401, message: expect.any(String) });
  });

  it('given a ProjectDeleted event, then no key reaches the project, it leaves the switcher, and its id stays taken', () => {
    const s = evolveAccess(stateWith(), { type: 'ProjectDeleted', data: { projectId: '2', deletedAt: 't' } });
    expect(authorize(s, tk('h-admin', { projectHeader: '2', permission: 'read' }))).toEqual({ ok: false, status: 403, message: 'project 2 was deleted' });
    expect(authorize(s, dt('h-dt'))).toEqual({ ok: false, status: 403, message: 'project 2 was deleted' });
    expect(visibleProjects(s, { secretHash: 'h-admin', tokenKind: 'tk' })).toMatchObject({ ok: true, projects: [{ id: '1', name: 'one' }] });
    expect(s.deletedProjects.has('2')).toBe(true);
  });

  it('infers project, environment and deployment from a deployment token, ingest only', () => {
    expect(authorize(state, dt('h-dt'))).toEqual({ ok: true, principal: 'dt:d1', role: 'deployment', projectId: '2', environmentId: 'prod', deploymentId: 'dep-7' });
    expect(authorize(state, dt('h-dt', { permission: 'read' }))).toMatchObject({ ok: false, status: 403 });
    expect(authorize(state, dt('h-dt-gone'))).toMatchObject({ ok: false, status: 401 });
  });

  it('requires ids in the path to match a deployment token scope (403 otherwise)', () => {
    expect(authorize(state, dt('h-dt', { pathIds: { projectId: '2', environmentId: 'prod', deploymentId: 'dep-7' } }))).toMatchObject({ ok: true });
    expect(authorize(state, dt('h-dt', { pathIds: { projectId: '2', environmentId: 'prod', deploymentId: 'dep-8' } }))).toMatchObject({ ok: false, status: 403, message: expect.stringMatching(/do not match/) });
    expect(authorize(state, dt('h-dt', { pathIds: { projectId: '1', environmentId: 'prod', deploymentId: 'dep-7' } }))).toMatchObject({ ok: false, status: 403 });
  });

  it('takes the project of an API key request from the path ids when given', () => {
    const pathIds = { projectId: '1', environmentId: 'staging', deploymentId: 'd' };
    expect(authorize(state, tk('h-admin', { pathIds }))).toMatchObject({ ok: true, projectId: '1', environmentId: 'staging', deploymentId: 'd' });
    expect(authorize(state, tk('h-admin', { pathIds, projectHeader: '2' }))).toMatchObject({ ok: false, status: 400 });
  });
});

describe('visibleProjects (the project switcher)', () => {
  const state = stateWith();

  it('lists every project for an unscoped key, only its own for a scoped one', () => {
    expect(visibleProjects(state, { secretHash: 'h-admin', tokenKind: 'tk' })).toEqual({
      ok: true,
      role: 'admin',
      projects: [
        { id: '1', name: 'one' },
        { id: '2', name: 'two' },
      ],
      allProjects: true,
    });
    expect(visibleProjects(state, { secretHash: 'h-viewer', tokenKind: 'tk' })).toMatchObject({ ok: true, role: 'viewer' });
    expect(visibleProjects(state, { secretHash: 'h-p1', tokenKind: 'tk' })).toEqual({ ok: true, role: 'member', projects: [{ id: '1', name: 'one' }], allProjects: false });
  });

  it('answers 401 without a key or with a revoked one, 403 for a deployment token', () => {
    expect(visibleProjects(state, { secretHash: null, tokenKind: null })).toMatchObject({ ok: false, status: 401 });
    expect(visibleProjects(state, { secretHash: 'h-gone', tokenKind: 'tk' })).toMatchObject({ ok: false, status: 401 });
    expect(visibleProjects(state, { secretHash: 'h-dt', tokenKind: 'dt' })).toMatchObject({ ok: false, status: 403 });
    expect(visibleProjects(state, { secretHash: 'h-dt-gone', tokenKind: 'dt' })).toMatchObject({ ok: false, status: 401 });
  });
});
