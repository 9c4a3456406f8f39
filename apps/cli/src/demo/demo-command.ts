import { parseArgs } from 'node:util';
import { AccessService } from '@temps/access';
import { openStores } from '@temps/projector';
import { configFromEnv } from '../temps-config';
import { removeDemo, sendDemo } from './send-demo';

export const DEMO_USAGE = 'usage: temps demo [--url http://localhost:8080] | temps demo --remove';

/**
 * `temps demo`: sends the demo traces to a running server's OTLP endpoint (`--url`, default localhost:$PORT) into
 * the demo project, with a key made for the run in the same TEMPS_DATA_DIR. `--remove` deletes the demo project.
 */
export async function demoCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { url: { type: 'string' }, remove: { type: 'boolean', default: false } } });
  const config = configFromEnv();
  const { events, close } = await openStores(config.stores, { reads: false });
  const access = new AccessService(events);
  try {
    if (values.remove) {
      const removed = await removeDemo(access);
      console.log(removed.length ? `removed demo project${removed.length === 1 ? '' : 's'} ${removed.join(', ')} (its events stay in the event log; no key can reach it)` : 'no demo project to remove');
      return;
    }
    const url = (values.url ?? `http://127.0.0.1:${config.port || 8080}`).replace(/\/+$/, '');
    try {
      await fetch(`${url}/healthz`);
    } catch {
      throw new Error(`no temps server answers at ${url}: start one ("npm start") or pass --url`);
    }
    const sent = await sendDemo(access, url);
    console.log(`sent ${sent.traceIds.length} demo traces (${sent.spans} spans) to ${url}/api/otel/v1/traces, project ${sent.projectId}${sent.createdProject ? ' (created now)' : ''}`);
    console.log(`  open ${url}/projects/${sent.projectId}/ai   (remove with: temps demo --remove)`);
  } finally {
    await close();
  }
}
