import { Writable } from 'node:stream';
import { operationsConfigFromEnv } from './operations-config';
import { createTempsLogger, PinoNestLogger } from './temps-logger';
import { reasonLabel } from './temps-metrics';

describe('operations settings', () => {
  it('given nothing set, then the defaults: metrics on the main port, 30 s lag, 25 s drain, info logs', () => {
    expect(operationsConfigFromEnv({})).toEqual({ metricsPort: null, metricsHost: null, metricsToken: null, readyMaxLagSeconds: 30, shutdownTimeoutMs: 25000, logLevel: 'info' });
  });

  it('given bad values, then a message naming the variable', () => {
    expect(() => operationsConfigFromEnv({ TEMPS_METRICS_PORT: 'x' })).toThrow(/TEMPS_METRICS_PORT must be a port number/);
    expect(() => operationsConfigFromEnv({ TEMPS_METRICS_TOKEN: 'short' })).toThrow(/at least 16 characters/);
    expect(() => operationsConfigFromEnv({ TEMPS_READY_MAX_LAG_SECONDS: '0' })).toThrow(/TEMPS_READY_MAX_LAG_SECONDS/);
    expect(() => operationsConfigFromEnv({ TEMPS_SHUTDOWN_TIMEOUT_MS: '1.5' })).toThrow(/TEMPS_SHUTDOWN_TIMEOUT_MS/);
    expect(() => operationsConfigFromEnv({ TEMPS_LOG_LEVEL: 'loud' })).toThrow(/TEMPS_LOG_LEVEL must be one of/);
  });
});

describe('reason labels', () => {
  it('keep the kind of reason and drop the figures and values after it', () => {
    expect(reasonLabel('too many attributes: 1500 > 1024')).toBe('too many attributes');
    expect(reasonLabel('invalid trace id: must be 16 bytes, got 3')).toBe('invalid trace id');
    expect(reasonLabel('span attribute value nested too deep: more than 32 levels')).toBe('span attribute value nested too deep');
    expect(reasonLabel('limit 64 reached')).toBe('limit N reached');
  });
});

describe('the JSON logger', () => {
  const capture = () => {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(JSON.parse(chunk.toString())), done()) });
    return { lines, stream };
  };

  it('censors credential fields wherever a caller puts them', () => {
    const { lines, stream } = capture();
    createTempsLogger('info', stream).info({ headers: { authorization: 'Bearer tk_secret' }, token: 'dt_secret', nested: { apiKey: 'tk_x' } }, 'hello');
    expect(lines[0]).toMatchObject({ level: 'info', msg: 'hello', headers: { authorization: '[redacted]' }, token: '[redacted]', nested: { apiKey: '[redacted]' } });
    expect(JSON.stringify(lines)).not.toMatch(/tk_secret|dt_secret|tk_x/);
  });

  it("puts Nest's start-up chatter at debug and keeps its warnings and errors", () => {
    const { lines, stream } = capture();
    const nest = new PinoNestLogger(createTempsLogger('info', stream));
    nest.log('Mapped {/api, GET} route', 'RouterExplorer');
    nest.log('projection traces: switched', 'Projector');
    nest.error('boom', 'Error: boom\n    at x', 'ExceptionsHandler');
    expect(lines).toEqual([
      expect.objectContaining({ level: 'info', context: 'Projector', msg: 'projection traces: switched' }),
      expect.objectContaining({ level: 'error', context: 'ExceptionsHandler', stack: 'Error: boom\n    at x', msg: 'boom' }),
    ]);
  });
});
