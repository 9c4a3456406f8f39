import type { AccessService } from '@temps/access';

export interface BootstrapResult {
  projectId: string;
  createdProject: boolean;
  /** Present only when a key was created now: the one time its secret is shown. */
  newApiKey?: string;
  bootstrapKeyUsed: boolean;
}

/** First start: project 1 and an admin key (or the TEMPS_BOOTSTRAP_API_KEY value). */
export async function bootstrapAccess(access: AccessService, bootstrapKey?: string): Promise<BootstrapResult> {
  const projects = await access.projects();
  let createdProject = projects.length === 0;
  if (createdProject) {
    try {
      await access.createProject('1', 'Default project');
    } catch (err) {
      // Processes of other roles start beside this one on the same store: one of them may have made it first.
      if (!(await access.projects()).includes('1')) throw err;
      createdProject = false;
    }
  }
  if (bootstrapKey) {
    if (!(await access.hasSecret(bootstrapKey))) await access.createApiKey({ name: 'bootstrap', role: 'admin', secret: bootstrapKey });
    return { projectId: '1', createdProject, bootstrapKeyUsed: true };
  }
  const keys = (await access.listApiKeys()).filter((k) => !k.revokedAt);
  if (keys.length === 0) {
    const { secret } = await access.createApiKey({ name: 'admin', role: 'admin' });
    return { projectId: '1', createdProject, newApiKey: secret, bootstrapKeyUsed: false };
  }
  return { projectId: '1', createdProject, bootstrapKeyUsed: false };
}
