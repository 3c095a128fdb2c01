/**
 * `listen` against the sandbox, in-process: what gets printed, when it ends, and what --exec
 * and --forward-to do with each event.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventRecord } from '../../src/core/record.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { botEnv, startInProcess, waitUntil } from '../helpers/listen.js';
import { listenSuite } from '../helpers/listen-suite.js';

const suite = listenSuite({ seed: 7 });
const { listen, finished } = suite;

const project = () => suite.sandbox.projects[0]!;
const other = () => suite.sandbox.projects[1]!;

describe('listen: what is printed', () => {
  it('prints the events that match the patterns, minus the negated ones, and ends after --count', async () => {
    const live = await listen(['task:*', '!task:update', '--json', '--count', '3']);
    const p = project().id;
    suite.sandbox.control.emit('task:update', { task_id: 'a', project_id: p });
    suite.sandbox.control.emit('asset:new', { asset_id: 'b', project_id: p });
    suite.sandbox.control.emit('task:new', { task_id: 'c', project_id: p });
    suite.sandbox.control.emit('comment:new', { comment_id: 'd', project_id: p });
    suite.sandbox.control.emit('task:assign', { task_id: 'e', person_id: 'x', project_id: p });
    suite.sandbox.control.emit('task:update', { task_id: 'f', project_id: p });
    suite.sandbox.control.emit('task:status-changed', { task_id: 'g', project_id: p });
    suite.sandbox.control.emit('task:delete', { task_id: 'h', project_id: p });
    expect(await finished(live)).toBe(0);
    const records = live.records();
    expect(records.map((r) => r.name)).toEqual(['task:new', 'task:assign', 'task:status-changed']);
    const first = records[0]!;
    expect(first).toMatchObject({
      id: null,
      user_id: null,
      project_id: p,
      source: 'live',
      data: { task_id: 'c', project_id: p },
    });
    expect(Object.keys(first)).toEqual(['id', 'name', 'created_at', 'user_id', 'project_id', 'data', 'source']);
    expect(first.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(live.stdout().split('\n').filter(Boolean)).toHaveLength(3);
  });

  it('receives events that are never stored, such as main:test', async () => {
    const live = await listen(['main:*', '--json', '--count', '1']);
    await fetch(`${suite.sandbox.apiUrl}/status/test-event`);
    expect(await finished(live)).toBe(0);
    expect(live.records()[0]).toMatchObject({ name: 'main:test', data: {}, source: 'live' });
  });

  it('keeps only the projects given with --project, by name or id', async () => {
    const live = await listen(['--project', project().name, '--project', other().id, '--json', '--count', '2']);
    suite.sandbox.control.emit('task:update', { task_id: '1', project_id: 'not-ours' });
    suite.sandbox.control.emit('task:update', { task_id: '2', project_id: project().id });
    suite.sandbox.control.emit('person:update', { person_id: 'p' });
    suite.sandbox.control.emit('task:update', { task_id: '3', project_id: other().id });
    expect(await finished(live)).toBe(0);
    expect(live.records().map((r) => r.data.task_id)).toEqual(['2', '3']);
  });

  it('keeps only events about the people given with --person (data.person_id)', async () => {
    const artist = suite.sandbox.users.artist;
    const live = await listen(['--person', artist.email, '--json', '--count', '1']);
    suite.sandbox.control.emit('task:assign', {
      task_id: '1',
      person_id: suite.sandbox.users.manager.id,
      project_id: project().id,
    });
    suite.sandbox.control.emit('task:update', { task_id: '2', project_id: project().id }, { userId: artist.id });
    suite.sandbox.control.emit('task:assign', { task_id: '3', person_id: artist.id, project_id: project().id });
    expect(await finished(live)).toBe(0);
    expect(live.records().map((r) => r.data.task_id)).toEqual(['3']);
    // issue 11: --person is the deprecated alias of --about in listen, and says so.
    expect(live.stderr()).toContain(
      'warning: --person is deprecated and goes in the next release: in listen it meant who an event is about, now --about (in logs it meant who acted, now --by)',
    );
  });

  it('keeps only events about the people given with --about (data.person_id), by name', async () => {
    const artist = suite.sandbox.users.artist;
    const live = await listen(['--about', artist.full_name, '--json', '--count', '1']);
    suite.sandbox.control.emit('task:update', { task_id: '2', project_id: project().id }, { userId: artist.id });
    suite.sandbox.control.emit('task:assign', { task_id: '4', person_id: suite.sandbox.users.manager.id });
    suite.sandbox.control.emit('task:assign', { task_id: '5', person_id: artist.id, project_id: project().id });
    expect(await finished(live)).toBe(0);
    expect(live.records().map((r) => r.data.task_id)).toEqual(['5']);
    expect(live.stderr()).not.toContain('deprecated');
  });

  it('answers an unknown --project with exit 2 and the close names', async () => {
    const name = project().name;
    const live = startInProcess(['listen', '--project', `${name}x`, '--json'], suite.env);
    expect(await live.exit).toBe(2);
    expect(live.stderr()).toContain(name);
    expect(live.stdout()).toBe('');
  });

  it('names task statuses in the table', async () => {
    const statuses = (await (
      await fetch(`${suite.sandbox.apiUrl}/data/task-status`, {
        headers: { authorization: `Bearer ${suite.env.KITSU_TOKEN}` },
      })
    ).json()) as { id: string; short_name: string }[];
    const [from, to] = statuses;
    const live = await listen(['--format', 'table', '--count', '1']);
    suite.sandbox.control.emit('task:status-changed', {
      task_id: 't',
      new_task_status_id: to!.id,
      previous_task_status_id: from!.id,
      project_id: project().id,
    });
    expect(await finished(live)).toBe(0);
    // With names the table says the change as Kitsu does: `todo → ready`.
    expect(live.stdout()).toContain(`${from!.short_name} → ${to!.short_name}`);
  });

  it('prints a table on a terminal, with names instead of ids', async () => {
    const live = await listen(['--format', 'table', '--count', '1']);
    suite.sandbox.control.emit('task:update', { task_id: 't', project_id: project().id });
    expect(await finished(live)).toBe(0);
    expect(live.stdout()).toContain('task:update');
    expect(live.stdout()).toContain(project().name);
  });
});

describe('listen: when it ends', () => {
  it('--idle-timeout before --count is reached exits 124 with what it got', async () => {
    const live = await listen(['--json', '--count', '5', '--idle-timeout', '1s']);
    suite.sandbox.control.emit('task:update', { task_id: '1', project_id: project().id });
    suite.sandbox.control.emit('task:update', { task_id: '2', project_id: project().id });
    expect(await finished(live)).toBe(124);
    expect(live.records()).toHaveLength(2);
    expect(live.stderr()).toMatch(/--idle-timeout ended the stream after 2 of 5 events/);
  });

  it('--idle-timeout without --count ends with 0', async () => {
    const live = await listen(['--json', '--idle-timeout', '500ms']);
    expect(await finished(live)).toBe(0);
    expect(live.records()).toEqual([]);
  });

  it('--until ends the stream at that time: 0 without --count, 124 when --count is not reached', async () => {
    const at = new Date(Date.now() + 2500).toISOString();
    const plain = await listen(['--json', '--until', at]);
    const counted = await listen(['--json', '--until', at, '--count', '10']);
    suite.sandbox.control.emit('task:update', { task_id: 'u', project_id: project().id });
    await plain.waitForRecords(1);
    expect(await finished(plain)).toBe(0);
    expect(await finished(counted)).toBe(124);
    expect(counted.records()).toHaveLength(1);
    expect(counted.stderr()).toMatch(/--until ended the stream after 1 of 10 events/);
  });

  it('refuses an --until in the past and a bad --idle-timeout with exit 2, before connecting', async () => {
    const past = startInProcess(['listen', '--until', '2020-01-01T00:00:00Z'], suite.env);
    expect(await past.exit).toBe(2);
    expect(past.stderr()).toContain('--until');
    const idle = startInProcess(['listen', '--idle-timeout', 'soon'], suite.env);
    expect(await idle.exit).toBe(2);
    expect(idle.stderr()).toContain('--idle-timeout');
    const pattern = startInProcess(['listen', 'task'], suite.env);
    expect(await pattern.exit).toBe(2);
  });

  it('Ctrl-C prints a one-line summary and exits 130', async () => {
    const live = await listen(['--json']);
    suite.sandbox.control.emit('task:update', { task_id: '1', project_id: project().id });
    await live.waitForRecords(1);
    live.interrupt();
    expect(await finished(live)).toBe(130);
    expect(live.stderr()).toMatch(/stopped: 1 event, 0 reconnects, 0 backfilled\n$/);
  });
});

describe('listen --exec', () => {
  it('runs the command once per event, in order, with the record on stdin and the environment', async () => {
    const out = join(suite.dir, 'exec.txt');
    // Slow enough that events queue up behind it.
    const command = `sleep 0.2; printf '%s|%s|%s|' "$KITSU_EVENT_NAME" "$KITSU_EVENT_PROJECT_ID" "$KITSU_EVENT_DATA" >> ${out}; cat >> ${out}`;
    const live = await listen(['--json', '--count', '4', '--exec', command]);
    const p = project().id;
    for (let i = 0; i < 4; i += 1)
      suite.sandbox.control.emit(i % 2 ? 'task:update' : 'asset:new', { n: i, project_id: p });
    expect(await finished(live)).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(4);
    lines.forEach((line, i) => {
      const [name, projectId, data, json] = line.split('|');
      expect(name).toBe(i % 2 ? 'task:update' : 'asset:new');
      expect(projectId).toBe(p);
      expect(JSON.parse(data!)).toEqual({ n: i, project_id: p });
      const record = JSON.parse(json!) as EventRecord;
      expect(record).toMatchObject({ name, data: { n: i }, source: 'live' });
    });
  });

  it('reports a failing command on stderr and goes on with the next event', async () => {
    const out = join(suite.dir, 'exec-fail.txt');
    const command = `if [ "$KITSU_EVENT_NAME" = task:delete ]; then exit 3; fi; echo "$KITSU_EVENT_NAME" >> ${out}`;
    const live = await listen(['--json', '--count', '3', '--exec', command]);
    suite.sandbox.control.emit('task:new', { task_id: '1' });
    suite.sandbox.control.emit('task:delete', { task_id: '1' });
    suite.sandbox.control.emit('task:new', { task_id: '2' });
    expect(await finished(live)).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe('task:new\ntask:new\n');
    expect(live.stderr()).toMatch(/--exec: the command exited with 3 for task:delete/);
  });

  it("sends the command's own output to stderr, keeping stdout for records", async () => {
    const live = await listen(['--json', '--count', '1', '--exec', 'echo "hello from $KITSU_EVENT_NAME"']);
    suite.sandbox.control.emit('shot:new', { shot_id: 's' });
    expect(await finished(live)).toBe(0);
    expect(live.stderr()).toContain('hello from shot:new');
    expect(live.records()).toHaveLength(1);
  });
});

describe('listen --forward-to', () => {
  let server: Server;
  let received: { body: EventRecord; at: number }[] = [];
  let failNext = 0;
  let url = '';

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        if (failNext > 0) {
          failNext -= 1;
          res.writeHead(503).end('busy');
          return;
        }
        expect(req.method).toBe('POST');
        expect(req.headers['content-type']).toBe('application/json');
        received.push({ body: JSON.parse(body) as EventRecord, at: Date.now() });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('POSTs each record as JSON, in order', async () => {
    received = [];
    const live = await listen(['--json', '--count', '3', '--forward-to', url]);
    for (let i = 0; i < 3; i += 1) suite.sandbox.control.emit('task:update', { n: i });
    expect(await finished(live)).toBe(0);
    expect(received.map((r) => r.body.data.n)).toEqual([0, 1, 2]);
    expect(received[0]!.body).toMatchObject({ name: 'task:update', source: 'live', id: null });
  });

  it('retries a failing hook with back-off until it recovers, keeping the order, one line per failure', async () => {
    received = [];
    failNext = 3;
    const live = await listen(['--json', '--count', '3', '--forward-to', url]);
    for (let i = 0; i < 3; i += 1) suite.sandbox.control.emit('task:update', { n: i });
    expect(await finished(live)).toBe(0);
    expect(received.map((r) => r.body.data.n)).toEqual([0, 1, 2]);
    const failures = live
      .stderr()
      .split('\n')
      .filter((l) => l.includes('[503]'));
    expect(failures).toHaveLength(3);
    expect(failures[0]).toMatch(/retrying in [\d.]+ s \(try 2 of 5\)/);
  });

  it('shows the answer to each delivery in the table view', async () => {
    received = [];
    const live = await listen(['--format', 'table', '--count', '1', '--forward-to', url]);
    suite.sandbox.control.emit('task:update', { n: 'table' });
    expect(await finished(live)).toBe(0);
    expect(live.stderr()).toContain(`<-- [200] POST ${url} (task:update)`);
  });

  it('refuses a --forward-to that is not an http URL with exit 2', async () => {
    const live = startInProcess(['listen', '--forward-to', 'localhost:4000'], suite.env);
    expect(await live.exit).toBe(2);
    expect(live.stderr()).toContain('--forward-to');
  });
});

describe('listen over TLS', () => {
  it('connects to wss:// with the studio CA given by --ca-file, and refuses without it (exit 5)', async () => {
    const fixtures = join(import.meta.dirname, '..', 'fixtures', 'tls');
    const secure = await startSandbox({
      tls: {
        key: readFileSync(join(fixtures, 'server.key'), 'utf8'),
        cert: readFileSync(join(fixtures, 'server.pem'), 'utf8'),
      },
    });
    try {
      const tlsEnv = botEnv(secure, suite.dir);
      const trusted = startInProcess(
        ['listen', '--json', '--count', '1', '--ca-file', join(fixtures, 'ca.pem')],
        tlsEnv,
      );
      await trusted.waitForStderr(/connected to https:\/\/127\.0\.0\.1:\d+\/socket\.io \(websocket\)/);
      await waitUntil(() => secure.control.connectedSockets() >= 1, 'the socket to be counted');
      secure.control.emit('task:update', { task_id: 'secure' });
      expect(await trusted.exit).toBe(0);
      expect(trusted.records()[0]!.data.task_id).toBe('secure');

      const untrusted = startInProcess(['listen', '--json'], tlsEnv);
      expect(await untrusted.exit).toBe(5);
      expect(untrusted.stderr()).toMatch(/certificate/i);
    } finally {
      await secure.close();
    }
  });
});
