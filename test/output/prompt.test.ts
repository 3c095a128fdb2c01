import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLineReader } from '../../src/output/prompt.js';
import { InterruptedError, UsageError } from '../../src/errors.js';

function streams(tty = false) {
  const stdin = new PassThrough() as PassThrough & { isTTY?: boolean; setRawMode?: (raw: boolean) => void };
  const modes: boolean[] = [];
  if (tty) Object.assign(stdin, { isTTY: true, setRawMode: (raw: boolean) => modes.push(raw) });
  const stderr = new PassThrough();
  let written = '';
  stderr.on('data', (chunk: Buffer) => (written += chunk.toString()));
  const reader = createLineReader({ stdin, stderr, signal: new AbortController().signal });
  return { stdin, reader, modes, written: () => written };
}

describe('line reader', () => {
  it('reads successive answers from one stdin, CRLF or LF, and the last line without an end', async () => {
    const { stdin, reader, written } = streams();
    stdin.end('kitsu.example.com\r\nadmin@example.com\nsecret');
    expect(await reader.ask('Kitsu host')).toBe('kitsu.example.com');
    expect(await reader.ask('E-mail', { default: 'x@example.com' })).toBe('admin@example.com');
    expect(await reader.ask('Password', { hidden: true })).toBe('secret');
    expect(await reader.line()).toBeNull();
    expect(written()).toContain('E-mail [x@example.com]: ');
    expect(written()).not.toContain('secret');
    reader.close();
  });

  it('gives the default for an empty answer', async () => {
    const { stdin, reader } = streams();
    stdin.end('\n');
    expect(await reader.ask('Kitsu host', { default: 'https://k.example.com' })).toBe('https://k.example.com');
  });

  it('fails with a usage error when stdin ends before an answer', async () => {
    const { stdin, reader } = streams();
    stdin.end('');
    await expect(reader.ask('E-mail')).rejects.toBeInstanceOf(UsageError);
  });

  it('reads a hidden answer in raw mode on a terminal: Enter is \\r, backspace edits, mode restored', async () => {
    const { stdin, reader, modes, written } = streams(true);
    const answer = reader.ask('Password', { hidden: true });
    stdin.write('pa');
    stdin.write('\u007fss\r');
    stdin.write('123456\n');
    expect(await answer).toBe('pss');
    expect(modes).toEqual([true, false]);
    expect(written()).toBe('Password: \n');
    expect(await reader.ask('Two-factor code')).toBe('123456');
    reader.close();
  });

  it('keeps arrow keys out of a hidden answer', async () => {
    const { stdin, reader } = streams(true);
    const answer = reader.ask('Password', { hidden: true });
    stdin.write('pa\u001b[Dss\u001bOB\u001b[3~\r');
    expect(await answer).toBe('pass');
  });

  it('turns echo off before the question shows, and ends the line after Ctrl-C', async () => {
    const { stdin, reader, modes, written } = streams(true);
    const shownWhenRaw: string[] = [];
    const setRawMode = stdin.setRawMode!;
    stdin.setRawMode = (raw: boolean) => {
      if (raw) shownWhenRaw.push(written());
      setRawMode(raw);
    };
    const answer = reader.ask('Password', { hidden: true });
    stdin.write('\u0003');
    await expect(answer).rejects.toBeInstanceOf(InterruptedError);
    expect(shownWhenRaw).toEqual(['']);
    expect(modes).toEqual([true, false]);
    expect(written()).toBe('Password: \n');
  });

  it('treats Ctrl-C at a hidden prompt as an interrupt', async () => {
    const { stdin, reader, modes } = streams(true);
    const answer = reader.ask('Password', { hidden: true });
    stdin.write('abc\u0003');
    await expect(answer).rejects.toBeInstanceOf(InterruptedError);
    expect(modes).toEqual([true, false]);
  });
});
