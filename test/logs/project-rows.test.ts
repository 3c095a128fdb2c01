/**
 * `--project P` means the events that belong to P: the record's project_id (the row's column,
 * else data.project_id), the same on every path and every version. Zou stores `project:*`
 * rows without the column (emit() gets no project_id for them), so its `project_id` filter
 * misses P's own `project:update`; the tool must find it all the same, in the server's order,
 * with --limit, --reverse, --all, a checkpointed export and --follow.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InterruptedError } from '../../src/errors.js';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox, StoredEvent } from '../../src/sandbox/types.js';
import { botEnv, idsOfNdjson, projectOf, secondOfStored, storedIds, waitFor } from '../helpers/logs.js';
import { runCli, tempConfigDir } from '../helpers/run-cli.js';

describe.each(['0.19.60', '1.0.3', '1.0.62', '1.0.67'])('--project on Zou %s', (version) => {
  let sandbox: Sandbox;
  let config: ReturnType<typeof tempConfigDir>;
  let admin: Record<string, string>;
  let work: string;
  let p: string;
  let q: string;
  let burst: StoredEvent[];

  const logs = (argv: string[]) => runCli(['logs', ...argv], { env: admin });
  const ofP = (e: StoredEvent) => projectOf(e) === p;
  /** Emits P's own project:update (no row project_id) in a second of its own, after every other row. */
  const ownUpdateInNewSecond = async (): Promise<StoredEvent> => {
    const lastSecond = secondOfStored(sandbox.control.log().at(-1)!);
    await waitFor(() => Date.now() >= (lastSecond + 1) * 1000 + 20, 'the next second');
    // The sandbox stamps every row of one event-loop turn in the first row's second; on a
    // loaded machine the wait above can be over before this turn is, so start a new one.
    await new Promise((resolve) => setImmediate(resolve));
    const row = sandbox.control.emit('project:update', { project_id: p })!;
    expect(secondOfStored(row)).toBeGreaterThan(lastSecond);
    return row;
  };

  beforeAll(async () => {
    // Enough rows for several windows of the oldest-first reader.
    sandbox = await startSandbox({ seed: 5, events: 30_000, historySpan: 86_400, emulate: version });
    config = tempConfigDir();
    admin = botEnv(sandbox, 'admin', config.dir);
    work = mkdtempSync(join(tmpdir(), 'kitsu-tail-project-rows-'));
    [p, q] = sandbox.projects.map((x) => x.id) as [string, string];
    // One second (one turn of the sandbox's clock): P's own update between its other rows,
    // among another project's rows.
    burst = [
      sandbox.control.emit('task:update', { task_id: 'before', project_id: p })!,
      sandbox.control.emit('project:update', { project_id: q })!,
      sandbox.control.emit('project:update', { project_id: p })!,
      sandbox.control.emit('task:update', { task_id: 'other', project_id: q })!,
      sandbox.control.emit('task:update', { task_id: 'after', project_id: p })!,
    ];
    // The newest row of the log is P's own, which the server's project filter never returns.
    await ownUpdateInNewSecond();
  });

  afterAll(async () => {
    await sandbox?.close();
    config?.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it('the sandbox stores project:* rows as Zou does: data names the project, the column does not', () => {
    expect(new Set(burst.map(secondOfStored)).size).toBe(1);
    expect(burst[2]).toMatchObject({ project_id: null, data: { project_id: p } });
    expect(storedIds(sandbox, (e) => ofP(e) && e.project_id === null).length).toBeGreaterThan(2);
  });

  it('--all, --all --reverse, and several projects: every event of P, in the server order', async () => {
    const expected = storedIds(sandbox, ofP);
    expect(idsOfNdjson((await logs(['--all', '--project', p])).stdout)).toEqual(expected);
    expect(idsOfNdjson((await logs(['--all', '--reverse', '--project', p])).stdout)).toEqual([...expected].reverse());
    const two = await logs(['--all', '--project', p, '--project', q]);
    expect(idsOfNdjson(two.stdout)).toEqual(storedIds(sandbox, (e) => ofP(e) || projectOf(e) === q));
  });

  it('the newest N, --limit and --reverse', async () => {
    const expected = storedIds(sandbox, ofP);
    expect(idsOfNdjson((await logs(['--project', p])).stdout)).toEqual(expected.slice(-100));
    expect(idsOfNdjson((await logs(['--limit', '4', '--project', p])).stdout)).toEqual(expected.slice(-4));
    expect(idsOfNdjson((await logs(['--limit', '4', '--reverse', '--project', p])).stdout)).toEqual(
      expected.slice(-4).reverse(),
    );
  });

  it('inside one second, the rows come in the server order', async () => {
    const second = secondOfStored(burst[0]!);
    const range = [
      '--since',
      new Date(second * 1000).toISOString(),
      '--until',
      new Date((second + 1) * 1000).toISOString(),
    ];
    const mine = [burst[0]!.id, burst[2]!.id, burst[4]!.id];
    expect(idsOfNdjson((await logs([...range, '--project', p])).stdout)).toEqual(mine);
    expect(idsOfNdjson((await logs([...range, '--project', p, '--reverse'])).stdout)).toEqual([...mine].reverse());
  });

  it('patterns: project:* rows of P only where the patterns admit them', async () => {
    const ownOnly = await logs(['--all', '--project', p, 'project:*']);
    expect(idsOfNdjson(ownOnly.stdout)).toEqual(storedIds(sandbox, (e) => ofP(e) && e.name.startsWith('project:')));
    const updates = await logs(['--all', '--project', p, '*:update', '!task:*']);
    expect(idsOfNdjson(updates.stdout)).toEqual(
      storedIds(sandbox, (e) => ofP(e) && e.name.endsWith(':update') && !e.name.startsWith('task:')),
    );
    const seen = sandbox.control.requests().length;
    const tasks = await logs(['--all', '--project', p, 'task:*']);
    expect(idsOfNdjson(tasks.stdout)).toEqual(storedIds(sandbox, (e) => ofP(e) && e.name.startsWith('task:')));
    // Patterns that admit no project:* name leave the project filter to the server alone.
    const asked = sandbox.control
      .requests()
      .slice(seen)
      .filter((r) => r.path === 'data/events/last');
    expect(asked.every((r) => r.query.get('project_id') === p)).toBe(true);
  });

  it("a checkpointed export appends P's own rows too, the newest included, each once", async () => {
    const checkpoint = join(work, 'state.json');
    const output = join(work, 'events.ndjson');
    const first = await logs(['--project', p, '--checkpoint', checkpoint, '--output', output]);
    expect(first.code).toBe(0);
    expect(idsOfNdjson(readFileSync(output, 'utf8'))).toEqual(storedIds(sandbox, ofP));
    const next = await ownUpdateInNewSecond();
    const second = await logs(['--project', p, '--checkpoint', checkpoint, '--output', output]);
    expect(second.stderr).toContain('appended 1 new event');
    expect(idsOfNdjson(readFileSync(output, 'utf8'))).toEqual(storedIds(sandbox, ofP));
    expect(idsOfNdjson(readFileSync(output, 'utf8')).at(-1)).toBe(next.id);
  });
});

describe('--project with --follow (Zou 1.0.67)', () => {
  it("prints P's own project:update from the history and live, each once", async () => {
    const sandbox = await startSandbox({ seed: 6, events: 500, historySpan: 3600 });
    const config = tempConfigDir();
    try {
      const p = sandbox.projects[0]!.id;
      const own = sandbox.control.emit('project:update', { project_id: p })!;
      const controller = new AbortController();
      let out = '';
      const lines = () =>
        out
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { id: string | null; name: string; source: string });
      const running = runCli(['logs', '--follow', '--limit', '1', '--project', p], {
        env: botEnv(sandbox, 'admin', config.dir),
        signal: controller.signal,
        onStdout: (chunk) => (out += chunk),
      });
      await waitFor(() => lines().length >= 1, 'the history');
      expect(lines()[0]!.id).toBe(own.id);
      const seen = sandbox.control.requests().length;
      sandbox.control.emit('project:set-thumbnail', { project_id: p });
      sandbox.control.emit('project:update', { project_id: sandbox.projects[1]!.id });
      await waitFor(() => lines().some((r) => r.name === 'project:set-thumbnail'), 'the live event');
      // A log read after it looks for P's own rows and finds that one's row: printed once all the same.
      const settling = () =>
        sandbox.control
          .requests()
          .slice(seen)
          .filter((r) => r.query.getAll('name_prefixes').includes('project'));
      await waitFor(() => settling().length >= 2, 'a log read after the live event');
      await new Promise((r) => setTimeout(r, 500));
      controller.abort(new InterruptedError());
      expect((await running).code).toBe(130);
      expect(lines().map((r) => r.name)).toEqual(['project:update', 'project:set-thumbnail']);
    } finally {
      await sandbox.close();
      config.cleanup();
    }
  });
});
