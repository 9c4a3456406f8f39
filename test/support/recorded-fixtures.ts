import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './temps-server';

/**
 * OTLP payloads recorded from real clients, stored as sent: `test/fixtures/recorded/<client>/`
 * holds one file per export request (`<scenario>.<n>.<signal>.pb.b64` for protobuf, base64 so git
 * diffs stay text; `<scenario>.<n>.<signal>.json` for OTLP/JSON, the bytes as received) and a
 * `manifest.json` saying how each scenario was recorded. See test/fixtures/recorded/README.md.
 */

export const RECORDED_DIR = join(repoRoot, 'test/fixtures/recorded');

export type Signal = 'traces' | 'logs';
export type Encoding = 'protobuf' | 'json';

export interface RecordedRequest {
  signal: Signal;
  encoding: Encoding;
  /** The path the client posted to (the exporter's endpoint). */
  path: string;
  body: Buffer;
}

export interface ScenarioManifest {
  description: string;
  /** The content capture setting the client ran with (true/false, or the instrumentation's own value). */
  captureContent: boolean | string;
  recordedAt: string;
  /** Package versions that produced the payload. */
  packages: Record<string, string>;
  runtime: string;
  requests: { file: string; signal: Signal; encoding: Encoding; path: string }[];
}

export interface ClientManifest {
  client: string;
  language: 'node' | 'python';
  scenarios: Record<string, ScenarioManifest>;
}

export interface RecordedScenario {
  client: string;
  scenario: string;
  manifest: ScenarioManifest;
  requests: RecordedRequest[];
}

const manifestPath = (client: string) => join(RECORDED_DIR, client, 'manifest.json');

export function readClientManifest(client: string): ClientManifest | null {
  const path = manifestPath(client);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as ClientManifest) : null;
}

/** Every stored scenario of every client, requests in the order they were received. */
export function readRecordedFixtures(): RecordedScenario[] {
  if (!existsSync(RECORDED_DIR)) return [];
  const out: RecordedScenario[] = [];
  for (const client of readdirSync(RECORDED_DIR, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    const manifest = readClientManifest(client);
    if (!manifest) continue;
    for (const [scenario, m] of Object.entries(manifest.scenarios)) {
      const requests = m.requests.map((r) => {
        const stored = readFileSync(join(RECORDED_DIR, client, r.file));
        const body = r.file.endsWith('.b64') ? Buffer.from(stored.toString('ascii'), 'base64') : stored;
        return { signal: r.signal, encoding: r.encoding, path: r.path, body };
      });
      out.push({ client, scenario, manifest: m, requests });
    }
  }
  return out;
}

/** Replaces one scenario's stored requests and its manifest entry. */
export function writeRecordedScenario(
  client: string,
  language: ClientManifest['language'],
  scenario: string,
  requests: RecordedRequest[],
  meta: Omit<ScenarioManifest, 'requests'>,
): void {
  const dir = join(RECORDED_DIR, client);
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dir)) if (f.startsWith(`${scenario}.`) && f !== 'manifest.json') rmSync(join(dir, f));
  const entries = requests.map((r, i) => {
    const file = `${scenario}.${i}.${r.signal}.${r.encoding === 'json' ? 'json' : 'pb.b64'}`;
    writeFileSync(join(dir, file), r.encoding === 'json' ? r.body : `${r.body.toString('base64')}\n`);
    return { file, signal: r.signal, encoding: r.encoding, path: r.path };
  });
  const manifest = readClientManifest(client) ?? { client, language, scenarios: {} };
  manifest.scenarios[scenario] = { ...meta, requests: entries };
  manifest.scenarios = Object.fromEntries(Object.entries(manifest.scenarios).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(manifestPath(client), `${JSON.stringify(manifest, null, 2)}\n`);
}
