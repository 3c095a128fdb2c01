/**
 * An export's position never passes what the server has shown (issue 8, item 1): a future
 * --until is not recorded as read, and a checkpoint whose position is ahead of the server's
 * clock (edited by hand, or the server's clock set back) is said on stderr and read again
 * from the server's clock, without losing or repeating an event.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useExportFixture } from '../helpers/export-fixture.js';
import { idsOfNdjson, secondOfStored, storedIds } from '../helpers/logs.js';

const fx = useExportFixture({ seed: 8, events: 1500, historySpan: 3600 }, 'position');
const positionOf = (): number =>
  Date.parse((JSON.parse(readFileSync(fx.state, 'utf8')) as { position: string }).position) / 1000;

describe('the position an export records', () => {
  it('is not a future --until: the events written before it are exported by the next run', async () => {
    const since = secondOfStored(fx.sandbox.control.log()[500]!);
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const range = ['--since', new Date(since * 1000).toISOString(), '--until', until];
    const first = await fx.exportRun(...range);
    expect(first.code, first.stderr).toBe(0);
    expect(positionOf()).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    const fresh = fx.sandbox.control.generate(7).map((e) => e.id);
    const second = await fx.exportRun(...range);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain('appended 7 new events');
    const ids = idsOfNdjson(readFileSync(fx.out, 'utf8'));
    expect(ids.slice(-7)).toEqual(fresh);
    expect(ids).toEqual(storedIds(fx.sandbox, (e) => secondOfStored(e) >= since));
  });

  it('ahead of the server is said, moved back to its clock, and nothing is lost or repeated', async () => {
    expect((await fx.exportRun()).code).toBe(0);
    // Something exported in the seconds just before the edit, which the next run reads again.
    fx.sandbox.control.generate(4);
    expect((await fx.exportRun()).code).toBe(0);
    const saved = JSON.parse(readFileSync(fx.state, 'utf8')) as Record<string, unknown>;
    const ahead = new Date(Math.floor(Date.now() / 1000) * 1000 + 86_400_000).toISOString().replace('.000Z', 'Z');
    writeFileSync(fx.state, JSON.stringify({ ...saved, position: ahead, recent: [] }));
    const fresh = fx.sandbox.control.generate(5).map((e) => e.id);
    const result = await fx.exportRun();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`the checkpoint's position ${ahead} is ahead of the server's clock`);
    expect(result.stderr).toContain(`skipping the events already in ${fx.out}`);
    expect(result.stderr).toContain('appended 5 new events');
    const ids = idsOfNdjson(readFileSync(fx.out, 'utf8'));
    expect(ids.slice(-5)).toEqual(fresh);
    expect(ids).toEqual(storedIds(fx.sandbox));
    expect(positionOf()).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    // Said once: the position is the server's now.
    const again = await fx.exportRun();
    expect(again.stderr).not.toContain('ahead of the server');
    expect(idsOfNdjson(readFileSync(fx.out, 'utf8'))).toEqual(storedIds(fx.sandbox));
  });
});
