#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AccessService } from '@temps/access';
import { openStores } from '@temps/projector';
import { currentPrices, parseRetentionDays, type Role } from '@temps/domain';
import { demoCommand } from './demo/demo-command';
import { importPrices, loadPriceTable, parsePriceFile, seedDefaultPrices } from './default-prices';
import { drainOnSignals } from './graceful-shutdown';
import { aiProviderCommand } from './ai-provider-command';
import { projectionsCommand } from './projections-command';
import { serve } from './serve';
import { configFromEnv } from './temps-config';

const HELP = `temps: self-hosted AI tracing (OpenTelemetry GenAI) with a live dashboard

Usage:
  temps serve                                         run ingest + projector + dashboard (embedded stores;
                                                      TEMPS_ROLE=ingest|projector runs one side)
  temps api-key --name NAME --role admin|member|viewer [--project ID]
                                                      create an API key (tk_...), printed once
  temps api-key list                                  list API keys (never their secrets)
  temps api-key revoke KEY_ID                         revoke an API key
  temps deployment-token --project P --environment E --deployment D
                                                      create a deployment token (dt_..., ingest only), printed once
  temps deployment-token list | revoke TOKEN_ID
  temps prices list [--at ISO_TIME]                   model prices in force (USD per million tokens)
  temps prices import FILE                            add dated prices: a JSON array of
                                                      {provider?, model, effectiveFrom, currency: "USD",
                                                       perMillionTokens: {input, cachedInputRead?, cacheWrite?,
                                                       output, reasoning?}, source?}; applies to spans
                                                      projected from now on (re-pricing history is a rebuild)
  temps ai-provider set PROVIDER --api-key KEY [--base-url URL] [--project ID]
                                                      the AI Gateway's key for a provider (openai, anthropic,
                                                      google, xai, mistral, deepseek, groq, azure_openai),
                                                      encrypted at rest; project: the only one if omitted
  temps ai-provider list | remove PROVIDER [--project ID]
  temps ai-provider capture on|off [--project ID]     prompts and answers on the gateway's spans (default off)
  temps project create --name NAME [--id ID]          create a project (id: the next free number)
  temps project list
  temps project retention --project ID --days N|--default   traces older than N days are deleted (see Retention
                                                      in README.md); --default: back to TEMPS_RETENTION_DAYS
  temps projections status                            each projection's version, build, position, lag and state
  temps projections rebuild traces                    build the read models again from the first event, beside
                                                      the serving ones (which switch when it has caught up),
                                                      with a progress bar; e.g. after a price or mapper change
  temps demo [--url URL]                              send sample traces (agent, stream, error, conversation, two
                                                      dialects) through a running server's OTLP endpoint into
                                                      project "demo"
  temps demo --remove                                 delete the demo project
  temps help                                          this text

Examples (from a clone: npx temps ...; same TEMPS_DATA_DIR as the server):
  temps serve                                         PORT=9090 TEMPS_DEFAULT_PROJECT=2 temps serve
  temps api-key --name ci --role member --project 1   temps api-key list; temps api-key revoke KEY_ID
  temps deployment-token --project 1 --environment production --deployment web-42
  temps deployment-token list                         temps deployment-token revoke TOKEN_ID
  temps prices list --at 2026-01-01T00:00:00Z         temps prices import ./my-prices.json
  temps project create --id 2 --name my-ai-app        temps project list
  temps projections status                            temps projections rebuild traces
  temps demo                                          temps demo --url http://localhost:9090; temps demo --remove
  echo $OPENAI_API_KEY | temps ai-provider set openai --api-key - --project 1     temps ai-provider list
  temps project retention --project 1 --days 30       temps project retention --project 1 --default

Environment: PORT (8080), HOST (0.0.0.0), TEMPS_DATA_DIR (./data), TEMPS_BOOTSTRAP_API_KEY,
TEMPS_DEFAULT_PROJECT (1: the project a first start creates),
TEMPS_MAX_BODY_BYTES (16777216), TEMPS_MAX_INFLIGHT_REQUESTS (64), TEMPS_MAX_INFLIGHT_BYTES (67108864) and their
_PER_CREDENTIAL (a quarter) and _PER_PROJECT (half) shares, TEMPS_INGEST_BODY_TIMEOUT_MS (15000),
TEMPS_MAX_ATTRIBUTES_PER_ITEM (1024), TEMPS_MAX_ATTRIBUTE_VALUE_BYTES (65536), TEMPS_MAX_ANYVALUE_DEPTH (32),
TEMPS_EVENT_STORE_WRITE_TIMEOUT_MS (2000), TEMPS_QUERY_TIMEOUT_MS (10000), TEMPS_QUERY_THREADS (half the cores), TEMPS_PROJECTOR_THREAD (1), TEMPS_ROLE (all | ingest | api | projector, comma-combinable),
TEMPS_EVENT_STORE (sqlite | esdb + EVENTSTORE_URL), TEMPS_READ_STORE (sqlite | mongo + MONGO_URL),
TEMPS_DIALECTS (/abs/path/module.js#exportName[,...]: team dialect mappers, see docs/extending.md),
TEMPS_LOG_LEVEL (info), TEMPS_METRICS_TOKEN, TEMPS_METRICS_PORT, TEMPS_READY_MAX_LAG_SECONDS (30),
TEMPS_SHUTDOWN_TIMEOUT_MS (25000): see "Operations" in README.md.
TEMPS_RETENTION_DAYS (none), TEMPS_RETENTION_KEEP_USAGE (true), TEMPS_RETENTION_SWEEP_MINUTES (60): see "Retention".
AI Gateway: TEMPS_SECRETS_KEY, TEMPS_AI_<PROVIDER>_API_KEY and _BASE_URL, TEMPS_AI_TIMEOUT_MS, TEMPS_AI_CAPTURE_CONTENT. See README.md.`;

/** The configured event store (TEMPS_EVENT_STORE) and access over it: what the key, project and price commands change. */
async function openEventStores() {
  const { events, close } = await openStores(configFromEnv().stores, { reads: false });
  return { events, access: new AccessService(events), close };
}

async function apiKey(args: string[]): Promise<void> {
  const stores = await openEventStores();
  try {
    if (args[0] === 'list') {
      const keys = await stores.access.listApiKeys();
      if (!keys.length) console.log('no API keys');
      for (const k of keys) {
        console.log(`${k.keyId}  ${k.prefix}…  ${k.role.padEnd(6)}  ${k.name}  projects=${k.projectIds?.join(',') ?? 'all'}  ${k.revokedAt ? `revoked ${k.revokedAt}` : `created ${k.createdAt}`}`);
      }
      return;
    }
    if (args[0] === 'revoke') {
      if (!args[1]) throw new Error('usage: temps api-key revoke KEY_ID');
      await stores.access.revokeApiKey(args[1]);
      console.log(`revoked ${args[1]}`);
      return;
    }
    const { values } = parseArgs({ args, options: { name: { type: 'string' }, role: { type: 'string', default: 'member' }, project: { type: 'string', multiple: true } } });
    if (!values.name) throw new Error('usage: temps api-key --name NAME --role admin|member|viewer [--project ID]');
    const known = await stores.access.projects();
    for (const p of values.project ?? []) if (!known.includes(p)) throw new Error(`project ${p} does not exist (known: ${known.join(', ') || 'none; run "temps serve" once'})`);
    const { key, secret } = await stores.access.createApiKey({ name: values.name, role: values.role as Role, projectIds: values.project });
    console.log(secret);
    console.error(`created API key ${key.keyId} (${key.role}, projects: ${key.projectIds?.join(',') ?? 'all'}); the secret above is shown once`);
  } finally {
    await stores.close();
  }
}

async function deploymentToken(args: string[]): Promise<void> {
  const stores = await openEventStores();
  try {
    if (args[0] === 'list') {
      const tokens = await stores.access.listDeploymentTokens();
      if (!tokens.length) console.log('no deployment tokens');
      for (const t of tokens) {
        console.log(`${t.tokenId}  ${t.prefix}…  project=${t.projectId} environment=${t.environmentId} deployment=${t.deploymentId}  ${t.revokedAt ? `revoked ${t.revokedAt}` : `created ${t.createdAt}`}`);
      }
      return;
    }
    if (args[0] === 'revoke') {
      if (!args[1]) throw new Error('usage: temps deployment-token revoke TOKEN_ID');
      await stores.access.revokeDeploymentToken(args[1]);
      console.log(`revoked ${args[1]}`);
      return;
    }
    const { values } = parseArgs({ args, options: { project: { type: 'string' }, environment: { type: 'string' }, deployment: { type: 'string' } } });
    if (!values.project || !values.environment || !values.deployment) {
      throw new Error('usage: temps deployment-token --project P --environment E --deployment D');
    }
    const { token, secret } = await stores.access.createDeploymentToken({ projectId: values.project, environmentId: values.environment, deploymentId: values.deployment });
    console.log(secret);
    console.error(`created deployment token ${token.tokenId} for ${token.projectId}/${token.environmentId}/${token.deploymentId}; the secret above is shown once`);
  } finally {
    await stores.close();
  }
}

const fmt = (n: number | undefined) => (n === undefined ? '-' : String(n));

async function prices(args: string[]): Promise<void> {
  const stores = await openEventStores();
  try {
    await seedDefaultPrices(stores.events);
    if (args[0] === 'import') {
      const file = args[1];
      if (!file) throw new Error('usage: temps prices import FILE');
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new Error(`cannot read ${file}: ${(err as Error).message}`);
      }
      const entries = parsePriceFile(text, file);
      const { appended, unchanged } = await importPrices(stores.events, entries);
      console.log(`imported ${appended} price${appended === 1 ? '' : 's'}${unchanged ? ` (${unchanged} unchanged)` : ''}; new traces are priced with them, already projected ones after a rebuild`);
      return;
    }
    if (args[0] === 'list') {
      const { values } = parseArgs({ args: args.slice(1), options: { at: { type: 'string' } } });
      const at = values.at ?? new Date().toISOString();
      if (Number.isNaN(Date.parse(at))) throw new Error(`--at must be an ISO time, got "${at}"`);
      const rows = currentPrices(await loadPriceTable(stores.events), at);
      if (!rows.length) {
        console.log('no prices');
        return;
      }
      console.log(['provider', 'model', 'since', 'input', 'cached', 'cache-write', 'output', 'reasoning', 'source'].join('\t'));
      for (const r of rows) {
        const p = r.perMillionTokens;
        console.log([r.provider ?? '*', r.model, r.effectiveFrom, fmt(p.input), fmt(p.cachedInputRead), fmt(p.cacheWrite), fmt(p.output), fmt(p.reasoning), r.source ?? ''].join('\t'));
      }
      return;
    }
    throw new Error('usage: temps prices list [--at ISO_TIME] | temps prices import FILE');
  } finally {
    await stores.close();
  }
}

async function project(args: string[]): Promise<void> {
  const stores = await openEventStores();
  try {
    if (args[0] === 'list') {
      for (const p of await stores.access.listProjects()) console.log(`${p.projectId.padEnd(6)}  ${p.name}  created ${p.createdAt}`);
      return;
    }
    if (args[0] === 'retention') {
      const usage = 'usage: temps project retention --project ID --days N | --default';
      const { values } = parseArgs({ args: args.slice(1), options: { project: { type: 'string' }, days: { type: 'string' }, default: { type: 'boolean' } } });
      if (!values.project || (values.days === undefined) === !values.default) throw new Error(usage);
      const days = values.default ? null : parseRetentionDays(values.days!, '--days');
      await stores.access.setProjectRetention(values.project, days);
      console.error(days === null ? `project ${values.project} follows TEMPS_RETENTION_DAYS again` : `project ${values.project}: traces older than ${days} days are deleted at the server's next retention sweep`);
      return;
    }
    if (args[0] !== 'create') throw new Error('usage: temps project create --name NAME [--id ID] | temps project list | temps project retention --project ID --days N');
    const { values } = parseArgs({ args: args.slice(1), options: { name: { type: 'string' }, id: { type: 'string' } } });
    if (!values.name) throw new Error('usage: temps project create --name NAME [--id ID]');
    const id = await stores.access.createProject(values.id, values.name);
    console.log(id);
    console.error(`created project ${id} "${values.name}": send with X-Temps-Project-Id: ${id}`);
  } finally {
    await stores.close();
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve': {
      const server = await serve(configFromEnv());
      drainOnSignals(() => server.close(), { timeoutMs: server.shutdownTimeoutMs, logger: server.logger });
      return;
    }
    case 'api-key':
      return apiKey(rest);
    case 'deployment-token':
      return deploymentToken(rest);
    case 'prices':
      return prices(rest);
    case 'projections':
      return projectionsCommand(rest);
    case 'project':
      return project(rest);
    case 'demo':
      return demoCommand(rest);
    case 'ai-provider':
      return aiProviderCommand(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(HELP);
      return;
    default:
      throw new Error(`unknown command "${command}"\n\n${HELP}`);
  }
}

main(process.argv.slice(2)).catch((err: Error) => {
  console.error(`temps: ${err.message}`);
  process.exit(1);
});
