import { parseArgs } from 'node:util';
import { AccessService } from '@temps/access';
import { loadSecretsKey, providerIdOf, PROVIDER_IDS, ProviderCredentials } from '@temps/gateway';
import { openStores } from '@temps/projector';
import { configFromEnv } from './temps-config';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const USAGE = `usage: temps ai-provider set PROVIDER --api-key KEY|- [--base-url URL] [--project ID]   (-: read the key from stdin)
       temps ai-provider list
       temps ai-provider remove PROVIDER [--project ID]
       temps ai-provider capture on|off [--project ID]
PROVIDER: ${PROVIDER_IDS.join(', ')}`;

/** `temps ai-provider ...`: the AI Gateway's provider keys per project (events, key encrypted) and content capture. */
export async function aiProviderCommand(args: string[]): Promise<void> {
  const config = configFromEnv();
  const { events, close } = await openStores(config.stores, { reads: false });
  try {
    const secrets = loadSecretsKey(config.dataDir);
    if (secrets.created) console.error(`generated the secrets key ${secrets.path} (mode 0600): it encrypts provider keys; back it up, or set TEMPS_SECRETS_KEY`);
    const credentials = new ProviderCredentials(events, secrets.box);
    const access = new AccessService(events);
    const [sub, ...rest] = args;
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { 'api-key': { type: 'string' }, 'base-url': { type: 'string' }, project: { type: 'string' } },
    });
    const project = async () => {
      const known = await access.projects();
      if (values.project) {
        if (!known.includes(values.project)) throw new Error(`project ${values.project} does not exist (known: ${known.join(', ') || 'none; run "temps serve" once'})`);
        return values.project;
      }
      if (known.length === 1) return known[0]!;
      throw new Error(`name the project with --project (known: ${known.join(', ') || 'none; run "temps serve" once'})`);
    };
    const provider = () => {
      const id = providerIdOf(positionals[0] ?? '');
      if (!id) throw new Error(`${positionals[0] ? `unknown provider "${positionals[0]}"` : 'name a provider'}\n${USAGE}`);
      return id;
    };
    switch (sub) {
      case 'set': {
        const id = provider();
        if (!values['api-key']) throw new Error(`--api-key is required\n${USAGE}`);
        // `--api-key -` reads it from stdin: kept out of the shell history and the process list
        const apiKey = values['api-key'] === '-' ? (await readStdin()).trim() : values['api-key'];
        const p = await project();
        await credentials.set(p, id, apiKey, values['base-url']);
        console.log(`set ${id} for project ${p}${values['base-url'] ? ` (base URL ${values['base-url']})` : ''}; the key is stored encrypted and never shown again`);
        return;
      }
      case 'remove': {
        const id = provider();
        const p = await project();
        await credentials.remove(p, id);
        console.log(`removed ${id} from project ${p}`);
        return;
      }
      case 'list': {
        const rows = await credentials.list();
        if (!rows.length) console.log('no providers configured (temps ai-provider set PROVIDER --api-key KEY, or TEMPS_AI_<PROVIDER>_API_KEY)');
        for (const r of rows) {
          const where = r.source === 'env' ? 'every project (environment)' : `project ${r.projectId}`;
          console.log(`${r.provider.padEnd(12)}  ${where.padEnd(28)}  ${r.baseUrl ?? '(no base URL)'}${r.setAt ? `  set ${r.setAt}` : ''}`);
        }
        return;
      }
      case 'capture': {
        const on = positionals[0];
        if (on !== 'on' && on !== 'off') throw new Error(`say on or off\n${USAGE}`);
        const p = await project();
        await credentials.setContentCapture(p, on === 'on');
        console.log(`content capture ${on} for the gateway's spans in project ${p}`);
        return;
      }
      default:
        throw new Error(USAGE);
    }
  } finally {
    await close();
  }
}
