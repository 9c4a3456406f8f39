import type { AccessService } from '@temps/access';

export interface BootstrapResult {
  projectId: string;
  createdProject: boolean;
  /** Present only when a key was created now: the one time its secret is shown. */
  newApiKey?: string;
  bootstrapKeyUsed: boolean;
}

/**
 * First start (no project yet): the project TEMPS_DEFAULT_PROJECT names (default `1`; the seed's snippets send
 * to `2`) and an admin key (or the TEMPS_BOOTSTRAP_API_KEY value). Later starts create nothing.
 */
export async function bootstrapAccess(access: AccessService, bootstrapKey?: string, defaultProject = '1'): Promise<BootstrapResult> {
  const projects = await access.projects();
  let createdProject = projects.length === 0;
  if (createdProject) {
    try {
      await access.createProject(defaultProject, defaultProject === '1' ? 'Default project' : `Project ${defaultProject}`);
    } catch (err) {
      // Processes of other roles start beside this one on the same store: one of them may have made it first.
      if (!(await access.projects()).includes(defaultProject)) throw err;
      createdProject = false;
    }
  }
  const all = createdProject ? [defaultProject] : await access.projects();
  const projectId = all.includes(defaultProject) ? defaultProject : all.join(', ');
  if (bootstrapKey) {
    if (!(await access.hasSecret(bootstrapKey))) await access.createApiKey({ name: 'bootstrap', role: 'admin', secret: bootstrapKey });
    return { projectId, createdProject, bootstrapKeyUsed: true };
  }
  const keys = (await access.listApiKeys()).filter((k) => !k.revokedAt);
  if (keys.length === 0) {
    const { secret } = await access.createApiKey({ name: 'admin', role: 'admin' });
    return { projectId, createdProject, newApiKey: secret, bootstrapKeyUsed: false };
  }
  return { projectId, createdProject, bootstrapKeyUsed: false };
}
