#!/usr/bin/env node
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SqliteEventStore } from '@temps/event-store';
import { TraceProjectionHandler } from '@temps/projector';
import { SqliteTraceReadStore } from '@temps/read-store';
import { currentPrices, type Role } from '@temps/domain';
import { importPrices, loadPriceTable, parsePriceFile, seedDefaultPrices } from './default-prices';
import { openEmbeddedStores } from './embedded-stores';
import { serve } from './serve';
import { configFromEnv } from './temps-config';

const HELP = `temps: self-hosted AI tracing (OpenTelemetry GenAI) with a live dashboard

Usage:
  temps serve                                         run ingest + projector + dashboard (embedded stores)
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
  temps project create --name NAME [--id ID]          create a project (id: the next free number)
  temps project list
  temps projections status                            each projection's version, position, lag and state

Environment: PORT (8080), HOST (0.0.0.0), TEMPS_DATA_DIR (./data), TEMPS_BOOTSTRAP_API_KEY,
TEMPS_MAX_BODY_BYTES (16777216), TEMPS_MAX_INFLIGHT_REQUESTS (64), TEMPS_MAX_INFLIGHT_BYTES (268435456),
TEMPS_MAX_ATTRIBUTES_PER_ITEM (1024), TEMPS_MAX_ATTRIBUTE_VALUE_BYTES (65536), TEMPS_MAX_ANYVALUE_DEPTH (32),
TEMPS_EVENT_STORE_WRITE_TIMEOUT_MS (2000), TEMPS_PROJECTOR_THREAD (1). See README.md.`;

async function apiKey(args: string[]): Promise<void> {
  const config = configFromEnv();
  const stores = openEmbeddedStores(config.dataDir);
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
  const stores = openEmbeddedStores(configFromEnv().dataDir);
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
  const stores = openEmbeddedStores(configFromEnv().dataDir);
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
  const stores = openEmbeddedStores(configFromEnv().dataDir);
  try {
    if (args[0] === 'list') {
      for (const p of await stores.access.listProjects()) console.log(`${p.projectId.padEnd(6)}  ${p.name}  created ${p.createdAt}`);
      return;
    }
    if (args[0] !== 'create') throw new Error('usage: temps project create --name NAME [--id ID] | temps project list');
    const { values } = parseArgs({ args: args.slice(1), options: { name: { type: 'string' }, id: { type: 'string' } } });
    if (!values.name) throw new Error('usage: temps project create --name NAME [--id ID]');
    const id = await stores.access.createProject(values.id, values.name);
    console.log(id);
    console.error(`created project ${id} "${values.name}": send with X-Temps-Project-Id: ${id}`);
  } finally {
    await stores.close();
  }
}

/** Reads only: safe while `temps serve` runs on the same data dir. */
async function projections(args: string[]): Promise<void> {
  if (args[0] !== 'status') throw new Error('usage: temps projections status');
  const { dataDir } = configFromEnv();
  const eventsPath = join(dataDir, 'events.db');
  if (!existsSync(eventsPath)) throw new Error(`no event store in ${dataDir}: run "temps serve" first (or set TEMPS_DATA_DIR)`);
  const events = SqliteEventStore.open(eventsPath, { readOnly: true });
  const reads = SqliteTraceReadStore.open(join(dataDir, 'read.db'));
  try {
    const name = TraceProjectionHandler.projectionName;
    const [head, position] = await Promise.all([events.headPosition(), reads.checkpoint(name)]);
    // Count what is left to project, up to a cap: the status must stay quick on a big log.
    const CAP = 100_000;
    let behind = 0;
    let oldest: string | null = null;
    for (let after = position ?? undefined; behind < CAP; ) {
      const batch = await events.readAll({ after, limit: 5_000 });
      if (!batch.length) break;
      oldest ??= batch[0]!.created;
      behind += batch.length;
      after = batch[batch.length - 1]!.position;
    }
    const lagSeconds = oldest ? Math.max(0, (Date.now() - Date.parse(oldest)) / 1000) : 0;
    const [, projection, version] = /^(.*)_v(\d+)$/.exec(name) ?? [name, name, '?'];
    const rows = [
      ['PROJECTION', 'VERSION', 'POSITION', 'HEAD', 'BEHIND (events)', 'LAG', 'STATE'],
      [
        projection!,
        version!,
        position === null ? '-' : String(position),
        head < 0n ? '-' : String(head),
        behind >= CAP ? `>${CAP}` : String(behind),
        behind ? `${lagSeconds.toFixed(1)} s` : '0 s',
        position === null && head >= 0n ? 'not started' : behind ? 'catching up' : 'caught up',
      ],
    ];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
  } finally {
    await reads.close();
    await events.close();
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve': {
      const config = configFromEnv();
      // The shipped price table, once per data dir (deterministic ids: later starts add only new defaults).
      const stores = openEmbeddedStores(config.dataDir);
      try {
        await seedDefaultPrices(stores.events);
      } finally {
        await stores.close();
      }
      const server = await serve(config);
      const stop = (signal: string) => {
        console.log(`${signal}: shutting down`);
        server.close().then(() => process.exit(0), () => process.exit(1));
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
      return;
    }
    case 'api-key':
      return apiKey(rest);
    case 'deployment-token':
      return deploymentToken(rest);
    case 'prices':
      return prices(rest);
    case 'projections':
      return projections(rest);
    case 'project':
      return project(rest);
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
