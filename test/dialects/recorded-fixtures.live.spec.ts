import { spawnSync } from 'node:child_process';
import { startMockLlmServer, type MockLlmServer } from '../support/mock-llm-server';
import { startOtlpCaptureServer, type OtlpCaptureServer } from '../support/otlp-capture-server';
import { normalizedView, projectOtlpRequests } from '../support/project-otlp-requests';
import { ensurePythonVenv, pythonSkipReason } from '../support/python-venv';
import { readRecordedFixtures, writeRecordedScenario } from '../support/recorded-fixtures';
import { RECORD_SCENARIOS, recordScenario, secretsIn, type RecordScenario } from '../support/record-scenarios';

/**
 * The stored fixtures cannot rot: every scenario is recorded again here from the real client and
 * must normalize to exactly what its stored payload normalizes to, with the same package versions.
 * With TEMPS_RECORD_FIXTURES=1 (`npm run record:fixtures`) the live payloads replace the stored ones.
 */
const RECORD = process.env.TEMPS_RECORD_FIXTURES === '1';
const REQUIRE_PYTHON = process.env.TEMPS_REQUIRE_PYTHON === '1';

const label = (s: RecordScenario) => `${s.client}/${s.scenario}`;

function pythonMissing(): string | undefined {
  const r = spawnSync(process.env.TEMPS_PYTHON || 'python3', ['--version'], { encoding: 'utf8', timeout: 30_000 });
  return r.error || r.status !== 0 ? `${process.env.TEMPS_PYTHON || 'python3'} is not available` : undefined;
}

/** Records one scenario and either stores it (record mode) or checks it against the stored fixture. */
async function recordAndCheck(s: RecordScenario, servers: { capture: OtlpCaptureServer; llm: MockLlmServer }, python?: string) {
  const live = await recordScenario(s, servers, python);
  expect(live.requests.length).toBeGreaterThan(0);
  expect(secretsIn(live.requests)).toEqual([]);
  const projected = projectOtlpRequests(live.requests);
  expect(projected.rejected).toEqual([]);
  expect(projected.spans.length).toBeGreaterThan(0);
  if (RECORD) {
    writeRecordedScenario(s.client, s.language, s.scenario, live.requests, {
      description: s.description,
      captureContent: s.captureContent,
      recordedAt: new Date().toISOString(),
      packages: live.versions,
      runtime: live.runtime,
    });
    return;
  }
  const stored = readRecordedFixtures().find((f) => f.client === s.client && f.scenario === s.scenario);
  if (!stored) throw new Error(`no stored fixture for ${label(s)}: run \`npm run record:fixtures\``);
  // A version bump changes what clients send: re-record, then review the diff of the fixtures.
  expect(live.versions).toEqual(stored.manifest.packages);
  expect(normalizedView(projected)).toEqual(normalizedView(projectOtlpRequests(stored.requests)));
}

function withServers() {
  const servers = {} as { capture: OtlpCaptureServer; llm: MockLlmServer };
  beforeAll(async () => {
    servers.capture = await startOtlpCaptureServer();
    servers.llm = await startMockLlmServer();
  });
  afterAll(async () => {
    await servers.capture?.close();
    await servers.llm?.close();
  });
  return servers;
}

describe('JS clients, recorded live, normalize as their stored fixtures', () => {
  const servers = withServers();
  it.each(RECORD_SCENARIOS.filter((s) => s.language === 'node').map((s) => [label(s), s] as const))('%s', async (_label, s) => {
    await recordAndCheck(s, servers);
  });
});

const pythonScenarios = RECORD_SCENARIOS.filter((s) => s.language === 'python');
const venvs = [...new Map(pythonScenarios.map((s) => [JSON.stringify(s.venv), s.venv!])).values()];
// Decided while jest collects (a running test cannot skip itself): no python3, or PyPI unreachable.
const missing = pythonMissing();
const pythonSkip = missing && !REQUIRE_PYTHON ? `${missing}; set TEMPS_REQUIRE_PYTHON=1 to make this a failure` : venvs.map((v) => pythonSkipReason(v)).find(Boolean);

if (pythonSkip) {
  describe('Python clients, recorded live, normalize as their stored fixtures', () => {
    console.warn(`recorded-fixtures live (Python) skipped: ${pythonSkip}`);
    it.skip(`skipped: ${pythonSkip}`, () => undefined);
  });
} else {
  describe('Python clients, recorded live, normalize as their stored fixtures', () => {
    const servers = withServers();
    const pythons = new Map<string, string>();
    beforeAll(async () => {
      // The first run builds the venvs from PyPI (minutes); later runs reuse them from test/.cache.
      for (const v of venvs) pythons.set(JSON.stringify(v), await ensurePythonVenv(v));
    }, 25 * 60_000);
    it.each(pythonScenarios.map((s) => [label(s), s] as const))('%s', async (_label, s) => {
      await recordAndCheck(s, servers, pythons.get(JSON.stringify(s.venv)));
    }, 120_000);
  });
}
