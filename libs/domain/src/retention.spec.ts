import { emptyAccessState, evolveAccess } from './access-state';
import { hourlyStreamBound, hourlyStreamsBefore, isExpiredHourlyStream, parseRetentionDays, retentionCutoff, retentionDaysOf } from './retention';

describe('retention rules', () => {
  it('a project retention overrides the default; null in the access stream goes back to it; none: kept forever', () => {
    const state = emptyAccessState();
    evolveAccess(state, { type: 'ProjectRetentionSet', data: { projectId: '2', days: 7, setAt: 'x' } });
    expect(retentionDaysOf({ defaultDays: 30, projectDays: state.retentionDays }, '1')).toBe(30);
    expect(retentionDaysOf({ defaultDays: 30, projectDays: state.retentionDays }, '2')).toBe(7);
    evolveAccess(state, { type: 'ProjectRetentionSet', data: { projectId: '2', days: null, setAt: 'y' } });
    expect(retentionDaysOf({ defaultDays: null, projectDays: state.retentionDays }, '2')).toBeNull();
  });

  it('parses whole days in range only, saying what was wrong', () => {
    expect(parseRetentionDays(' 30 ', 'X')).toBe(30);
    for (const bad of ['0', '-1', '1.5', 'abc', '', '36501']) expect(() => parseRetentionDays(bad, 'X')).toThrow(/X must be a whole number of days from 1 to 36500/);
  });

  it('an hourly stream expires when its whole hour lies before the cutoff (the cutoff\'s own hour stays)', () => {
    const cutoff = retentionCutoff(30, Date.parse('2026-12-06T20:15:00Z'));
    expect(cutoff).toBe('2026-11-06T20:15:00.000Z');
    expect(hourlyStreamBound('logs', '1', cutoff)).toBe('logs-1-2026110620');
    expect(isExpiredHourlyStream('logs-1-2026110619', 'logs', '1', cutoff)).toBe(true);
    expect(isExpiredHourlyStream('logs-1-2026110620', 'logs', '1', cutoff)).toBe(false);
    expect(isExpiredHourlyStream('logs-12-2026010100', 'logs', '1', cutoff)).toBe(false);
    expect(isExpiredHourlyStream('logs-1', 'logs', '1', cutoff)).toBe(false);
    expect(hourlyStreamsBefore('metrics', '1', cutoff, 2)).toEqual(['metrics-1-2026110619', 'metrics-1-2026110618']);
  });
});
