import { spawn } from 'node:child_process';
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { InterruptedError, OutputClosedError } from '../../src/errors.js';
import { createLoginWriter, createRecordWriter, resolveFormat } from '../../src/output/writer.js';
import { testContext } from '../helpers/context.js';
import { captureStream, sampleRecord, until } from '../helpers/output.js';

describe('resolveFormat', () => {
  it('is table on a terminal and ndjson in a pipe, unless the user chose', () => {
    expect(resolveFormat(testContext({ stdout: captureStream({ tty: true }) }))).toBe('table');
    expect(resolveFormat(testContext({ stdout: captureStream() }))).toBe('ndjson');
    expect(resolveFormat(testContext({ stdout: captureStream({ tty: true }), globals: { format: 'ndjson' } }))).toBe(
      'ndjson',
    );
    expect(resolveFormat(testContext({ stdout: captureStream(), globals: { format: 'csv' } }))).toBe('csv');
    // The stream asked about wins over stdout (an --output file is never a terminal).
    expect(resolveFormat(testContext({ stdout: captureStream({ tty: true }) }), captureStream())).toBe('ndjson');
  });

  it('writes the table on a terminal and ndjson in a pipe by default', async () => {
    for (const tty of [true, false]) {
      const stdout = captureStream({ tty, columns: 200 });
      const writer = createRecordWriter(testContext({ stdout, globals: { color: 'never' } }));
      await writer.write(sampleRecord());
      await writer.end();
      if (tty) expect(stdout.text()).toMatch(/^\d\d:\d\d:01 {3}task:status-changed/m);
      else expect(stdout.text()).toBe(`${JSON.stringify(sampleRecord())}\n`);
    }
  });
});

describe('the table with names', () => {
  it('ends after an empty window (writeMany of no records), and still writes what comes after', async () => {
    const stdout = captureStream({ tty: true, columns: 200 });
    const writer = createRecordWriter(testContext({ stdout, globals: { color: 'never' } }), {
      namer: { names: async () => ({}) },
    });
    await writer.writeMany!([]);
    // Before the fix end() never settled: it awaited, in an endless chain of microtasks, a
    // drain that had finished before it was recorded (the whole run hung, timers included).
    await writer.end();
    const again = createRecordWriter(testContext({ stdout, globals: { color: 'never' } }), {
      namer: { names: async () => ({}) },
    });
    await again.writeMany!([]);
    await again.writeMany!([sampleRecord()]);
    await again.end();
    expect(stdout.text()).toMatch(/task:status-changed/);
  });
});

describe('the table on a terminal of unknown width', () => {
  // A pty whose size was never set (`script -qc … /dev/null`) reports 0 columns.
  it.each([0, undefined])('prints whole lines when the terminal reports %s columns', async (columns) => {
    const stdout = captureStream({ tty: true, columns });
    const ctx = testContext({ stdout, globals: { color: 'never' } });
    const events = createRecordWriter(ctx);
    await events.write(sampleRecord());
    await events.end();
    const logins = createLoginWriter(ctx);
    await logins.write({
      id: 'l1',
      created_at: '2026-11-29T08:00:01Z',
      person_id: null,
      ip_address: '10.0.0.7',
      origin: 'script',
    });
    await logins.end();
    const lines = stdout
      .text()
      .split('\n')
      .filter((line) => !line.startsWith('──'));
    expect(lines[0]).toMatch(/task:status-changed +\S.*task=/);
    expect(lines[1]).toMatch(/script .*10\.0\.0\.7$/);
  });
});

describe('streaming', () => {
  it('hands each record to the stream as soon as it is written', async () => {
    const stdout = captureStream();
    const writer = createRecordWriter(testContext({ stdout }), { format: 'json' });
    await writer.write(sampleRecord({ id: 'first' }));
    await until(() => stdout.text().includes('"first"'), 'the first record');
    expect(stdout.text()).toBe(`[\n${JSON.stringify(sampleRecord({ id: 'first' }))}`);
    await writer.end();
  });

  it('waits for a slow reader instead of buffering: 200k records into a paused stream', async () => {
    const stream = new PassThrough({ highWaterMark: 16 * 1024 });
    const writer = createRecordWriter(testContext(), { stream, format: 'ndjson' });
    const line = `${JSON.stringify(sampleRecord())}\n`;
    const total = 200_000;
    let written = 0;
    const producer = (async () => {
      for (let i = 0; i < total; i += 1) {
        await writer.write(sampleRecord());
        written += 1;
      }
      await writer.end();
    })();
    await until(() => stream.writableNeedDrain, 'the stream to fill up');
    // Give the producer every chance to run ahead if it were going to.
    for (let i = 0; i < 20; i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
    const buffered = stream.writableLength + stream.readableLength;
    expect(written).toBeLessThan(1000);
    expect(buffered).toBeLessThan(64 * 1024);

    let received = 0;
    stream.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    await producer;
    await until(() => received === total * Buffer.byteLength(line), 'every byte');
    expect(written).toBe(total);
  });

  it('a Ctrl-C while waiting for a slow reader rejects the write and closes the JSON array', async () => {
    const controller = new AbortController();
    const stream = new PassThrough({ highWaterMark: 1024 });
    const writer = createRecordWriter(testContext({ signal: controller.signal }), { stream, format: 'json' });
    let failure: unknown;
    const producer = (async () => {
      try {
        for (;;) await writer.write(sampleRecord());
      } catch (error) {
        failure = error;
      }
    })();
    await until(() => stream.writableNeedDrain, 'the stream to fill up');
    controller.abort(new InterruptedError());
    await producer;
    expect(failure).toBeInstanceOf(InterruptedError);
    await expect(writer.write(sampleRecord())).rejects.toBeInstanceOf(InterruptedError);
    stream.end();
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown[];
    expect(parsed.length).toBeGreaterThan(0);
    expect(parsed[0]).toEqual(sampleRecord());
  });
});

describe('json stays valid when the command ends early', () => {
  it.each([0, 3])('after %i records and a Ctrl-C, even if end() is never called', async (n) => {
    const controller = new AbortController();
    const stdout = captureStream();
    const writer = createRecordWriter(testContext({ stdout, signal: controller.signal }), { format: 'json' });
    for (let i = 0; i < n; i += 1) await writer.write(sampleRecord({ id: `e${i}` }));
    controller.abort(new InterruptedError());
    await until(() => stdout.text().endsWith('\n'), 'the closing bracket');
    expect(JSON.parse(stdout.text())).toHaveLength(n);
    // A command that does call end() afterwards adds nothing.
    await writer.end().catch(() => undefined);
    expect(JSON.parse(stdout.text())).toHaveLength(n);
  });

  it('after an error that is not an interrupt, through end() in a finally', async () => {
    const stdout = captureStream();
    const writer = createRecordWriter(testContext({ stdout }), { format: 'json' });
    await expect(
      (async () => {
        try {
          await writer.write(sampleRecord());
          throw new Error('network gone');
        } finally {
          await writer.end();
        }
      })(),
    ).rejects.toThrow('network gone');
    expect(JSON.parse(stdout.text())).toEqual([sampleRecord()]);
  });
});

describe('a reader that goes away', () => {
  it('a real pipe whose reader exits (| head): EPIPE becomes OutputClosedError', async () => {
    // The child reads one chunk and exits, as `head -n 1` does.
    const child = spawn(process.execPath, ['-e', "process.stdin.once('data', () => process.exit(0))"], {
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const writer = createRecordWriter(testContext(), { stream: child.stdin, format: 'ndjson' });
    await writer.write(sampleRecord());
    await exited;
    let failure: unknown;
    try {
      for (let i = 0; i < 1_000_000; i += 1) await writer.write(sampleRecord());
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(OutputClosedError);
    await expect(writer.end()).rejects.toBeInstanceOf(OutputClosedError);
  });

  it('a destroyed stream: OutputClosedError, before and while waiting', async () => {
    const stream = new PassThrough({ highWaterMark: 256 });
    const writer = createRecordWriter(testContext(), { stream, format: 'ndjson' });
    let pending: Promise<void> = Promise.resolve();
    while (!stream.writableNeedDrain) pending = writer.write(sampleRecord());
    stream.destroy();
    await expect(pending).rejects.toBeInstanceOf(OutputClosedError);
    await expect(writer.write(sampleRecord())).rejects.toBeInstanceOf(OutputClosedError);
  });

  /** A stream whose every write fails with this system error. */
  const failingStream = (code: string, message: string) =>
    new Writable({
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error(message), { code }));
      },
    });

  it('an error emitted by the stream rejects instead of going unhandled', async () => {
    const stream = failingStream('EPIPE', 'write EPIPE');
    const writer = createRecordWriter(testContext(), { stream, format: 'ndjson' });
    await writer.write(sampleRecord()).catch(() => undefined);
    await until(() => stream.destroyed, 'the stream to be destroyed');
    await expect(writer.write(sampleRecord())).rejects.toBeInstanceOf(OutputClosedError);
    await expect(writer.end()).rejects.toBeInstanceOf(OutputClosedError);
  });

  it('an EPIPE that arrives later, while nothing waits on the stream, is not left unhandled', async () => {
    let failLater: (() => void) | undefined;
    const stream = new Writable({
      highWaterMark: 1 << 20,
      write(_chunk, _encoding, callback) {
        failLater = () => callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const writer = createRecordWriter(testContext(), { stream, format: 'ndjson' });
    // Room to spare: the write resolves at once and nobody listens to the stream any more.
    await writer.write(sampleRecord());
    failLater!();
    await until(() => stream.destroyed, 'the stream to be destroyed');
    await new Promise((resolve) => setTimeout(resolve, 10));
    await expect(writer.write(sampleRecord())).rejects.toBeInstanceOf(OutputClosedError);
  });

  it('a stream that fails otherwise (disk full) is exit 1 with the reason', async () => {
    const stream = failingStream('ENOSPC', 'ENOSPC: no space left on device');
    const writer = createRecordWriter(testContext(), { stream, format: 'ndjson' });
    await writer.write(sampleRecord()).catch(() => undefined);
    const failure = await writer.end().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ exitCode: 1, message: expect.stringContaining('no space left') });
  });
});

describe('--names: records in order', () => {
  // Names known at once go straight to the writer only while nothing waits ahead of them.
  it('a window behind a record still waiting for its names waits too, whatever it knows', async () => {
    const records = Array.from({ length: 6 }, (_, i) => ({ ...sampleRecord(), id: `e${i}` }));
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const namer = {
      names: async (record: { id: string | null }) => {
        await slow;
        return { entity: record.id! };
      },
      namesNow: (record: { id: string | null }) => (record.id === 'e1' ? undefined : { entity: record.id! }),
    };
    const stdout = captureStream({ tty: false });
    const writer = createRecordWriter(testContext({ stdout, globals: { format: 'ndjson', color: 'never' } }), {
      namer,
      attachNames: true,
    });
    await writer.writeMany!(records.slice(0, 3));
    await writer.writeMany!(records.slice(3, 5));
    setTimeout(release, 20);
    await writer.writeMany!(records.slice(5));
    await writer.end();
    const written = stdout
      .text()
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { id: string; names: { entity: string } }).names.entity);
    expect(written).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5']);
  });
});

describe('--names in JSON', () => {
  // The names are appended to the record's own JSON text: the bytes must be those of
  // JSON.stringify({ ...record, names }), escapes and all, in a pipe and on a terminal.
  const names = [
    { project: 'Moonlit Harbor', person: 'Jane "JD" Doe', entity: 'E01 / SQ010 / SH010', task_type: 'Animation' },
    { entity: 'Prop / Lamp\u0007\n\u2028', entity_type: 'Asset', asset_type: 'Prop', task_status: 'wip' },
    {},
    { person: '12345678 (deleted)', assignee: 'Émile Zola 🦊', previous_task_status: 'wfa' },
  ];
  const records = names.map((_, i) => ({ ...sampleRecord(), id: `e${i}`, data: { i, text: 'a"b\\c' } }));
  const namer = {
    names: async (record: { id: string | null }) => names[Number(record.id!.slice(1))]!,
    namesNow: (record: { id: string | null }) => (record.id === 'e1' ? undefined : names[Number(record.id!.slice(1))]),
  };

  it.each([
    ['ndjson', false],
    ['json', false],
    ['ndjson', true],
  ] as const)('%s (terminal: %s): the same bytes as the record with its names spread in', async (format, tty) => {
    const expected = captureStream({ tty });
    const plain = createRecordWriter(testContext({ stdout: expected, globals: { format, color: 'never' } }));
    for (const [i, record] of records.entries()) await plain.write({ ...record, names: names[i]! } as never);
    await plain.end();

    const stdout = captureStream({ tty });
    const writer = createRecordWriter(testContext({ stdout, globals: { format, color: 'never' } }), {
      namer,
      attachNames: true,
    });
    await writer.writeMany!(records.slice(0, 2));
    for (const record of records.slice(2)) await writer.write(record);
    await writer.end();
    expect(stdout.text()).toBe(expected.text());
    if (!tty) expect(stdout.text()).toContain('"names":{}');
  });
});
