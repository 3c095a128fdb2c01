import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openShape } from '../../src/output/shape.js';

describe('the clock of a run', () => {
  const Original = Intl.DateTimeFormat;
  let made = 0;
  beforeEach(() => {
    made = 0;
    // Counts the formatters made, called with or without `new`.
    Intl.DateTimeFormat = new Proxy(Original, {
      construct: (target, args: never[]) => ((made += 1), Reflect.construct(target, args)),
      apply: (target, self, args: never[]) => ((made += 1), Reflect.apply(target, self, args)),
    });
  });
  afterEach(() => {
    Intl.DateTimeFormat = Original;
  });

  it('asks the runtime for its zone name only when a label shows it (JSON output never does)', () => {
    const shape = openShape({ headers: true, utc: false }, {}, { fromMs: 0, toMs: 1 });
    shape.clock.time(0, false);
    expect(made).toBe(0);
    const label = shape.clock.zoneLabel(0);
    shape.clock.zoneLabel(0);
    expect(made).toBe(1);
    const name = new Original().resolvedOptions().timeZone;
    expect(label === 'UTC' || label.endsWith(` ${name}`)).toBe(true);
  });
});
