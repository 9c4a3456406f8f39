import type { AccessService } from '@temps/access';

export interface BootstrapResult {
  projectId: string;
  createdProject: boolean;
  /** Present only when a key was created now: the one time its secret is shown. */
  newApiKey?: string;
  /** TEMPS_BOOTSTRAP_API_KEY is a live admin key of this store (created now or on an earlier first start). */
  bootstrapKeyUsed: boolean;
  /** TEMPS_BOOTSTRAP_API_KEY is set but not a live key: the store already held keys, so it was not created (e.g. it was revoked). */
  bootstrapKeyIgnored?: boolean;
}

/**
/**
 * First start (no project yet): the project TEMPS_DEFAULT_PROJECT names (default `1`; the seed's snippets send
 * to `2`) and an admin key (or the TEMPS_BOOTSTRAP_API_KEY value). A key is made only while the access stream
 * has never held one: once any key existed (revoked ones included), keys are the CLI's business, so a revoked
 * bootstrap or admin key stays revoked across restarts.
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
  // listApiKeys lists revoked keys too: "never held a key" means an empty list.
  const everHeldKey = (await access.listApiKeys()).length > 0;
  if (bootstrapKey) {
    if (!everHeldKey) await access.createApiKey({ name: 'bootstrap', role: 'admin', secret: bootstrapKey });
    const live = !everHeldKey || (await access.hasSecret(bootstrapKey));
    return { projectId, createdProject, bootstrapKeyUsed: live, ...(live ? {} : { bootstrapKeyIgnored: true }) };
  }
  if (!everHeldKey) {
    const { secret } = await access.createApiKey({ name: 'admin', role: 'admin' });
    return { projectId, createdProject, newApiKey: secret, bootstrapKeyUsed: false };
  }
  return { projectId, createdProject, bootstrapKeyUsed: false };
}
