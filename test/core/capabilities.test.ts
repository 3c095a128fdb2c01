import { describe, expect, it } from 'vitest';
import { capabilitiesOf, compareVersions, parseVersion } from '../../src/core/capabilities.js';

describe('capabilitiesOf', () => {
  // [version, pageParam, name filter, cursor, cap, 1.0.63 features]
  const table: Array<[string, 'limit' | 'page_size', boolean, boolean, boolean, boolean]> = [
    ['0.19.0', 'page_size', false, false, false, false],
    ['0.19.27', 'page_size', false, false, false, false],
    ['0.19.28', 'page_size', true, false, false, false],
    ['0.19.69', 'page_size', true, false, false, false],
    ['0.19.70', 'limit', true, false, false, false],
    ['0.20.5', 'limit', true, false, false, false],
    ['1.0.3', 'limit', true, false, false, false],
    ['1.0.4', 'limit', true, true, false, false],
    ['1.0.15', 'limit', true, true, false, false],
    ['1.0.16', 'limit', true, true, true, false],
    ['1.0.62', 'limit', true, true, true, false],
    ['1.0.63', 'limit', true, true, true, true],
    ['1.0.67', 'limit', true, true, true, true],
    ['v1.0.63', 'limit', true, true, true, true],
    ['1.0.63rc1', 'limit', true, true, true, true],
    ['1.1', 'limit', true, true, true, true],
    ['2.0.0', 'limit', true, true, true, true],
    ['0.9.8', 'page_size', false, false, false, false],
  ];
  it.each(table)('%s', (version, pageParam, nameFilter, cursor, pageCapped, newest) => {
    const caps = capabilitiesOf(version);
    expect(caps).toEqual({
      version,
      known: true,
      pageParam,
      pageCapped,
      cursor,
      nameFilter,
      prefixSuffixPersonFilters: newest,
      projectIdInRows: newest,
      managerScoping: newest,
      eventNamesRoute: newest,
      loginLogsAdminOnly: newest,
    });
  });

  it.each(['', 'unknown', 'dev', 'x1.0'])('an unreadable version %j is taken as the newest', (version) => {
    const caps = capabilitiesOf(version);
    expect(caps.known).toBe(false);
    expect(caps).toEqual({ ...capabilitiesOf('99.0.0'), version, known: false });
  });

  it('compares versions numerically, not as text', () => {
    expect(compareVersions(parseVersion('0.19.100')!, parseVersion('0.19.28')!)).toBeGreaterThan(0);
    expect(compareVersions(parseVersion('1.0.9')!, parseVersion('1.0.10')!)).toBeLessThan(0);
    expect(compareVersions(parseVersion('1.0')!, parseVersion('1.0.0')!)).toBe(0);
  });
});
