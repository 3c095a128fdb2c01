import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { OutputClosedError } from '../../src/errors.js';
import { writeResult } from '../../src/output/sink.js';
import { renderStaticTable } from '../../src/output/static-table.js';
import { displayWidth } from '../../src/output/width.js';

describe('renderStaticTable', () => {
  it('pads each column to its widest cell, two spaces apart, with no blanks at the ends of lines', () => {
    const text = renderStaticTable(
      [
        ['*', 'studio', 'http://127.0.0.1:5080'],
        [' ', 'artist-with-a-long-name', 'http://x'],
      ],
      { head: ['', 'PROFILE', 'HOST'] },
    );
    expect(text).toBe(
      [
        '   PROFILE                  HOST',
        '*  studio                   http://127.0.0.1:5080',
        '   artist-with-a-long-name  http://x',
        '',
      ].join('\n'),
    );
  });

  it('lines up columns by terminal cells, so CJK and emoji names do not push the next column', () => {
    const text = renderStaticTable([
      ['日本語', 'a'],
      ['abc', 'b'],
      ['🎬x', 'c'],
    ]);
    const starts = text
      .trimEnd()
      .split('\n')
      .map((line) => displayWidth(line.slice(0, line.lastIndexOf(' ') + 1)));
    expect(starts).toEqual([8, 8, 8]);
  });

  it('right-aligns the columns asked for', () => {
    expect(
      renderStaticTable(
        [
          ['task:new', '7'],
          ['comment:new', '1234'],
        ],
        { align: ['left', 'right'] },
      ),
    ).toBe('task:new        7\ncomment:new  1234\n');
  });

  it('prints the head alone when there are no rows, and nothing when there is neither', () => {
    expect(renderStaticTable([], { head: ['NAME', 'COUNT'] })).toBe('NAME  COUNT\n');
    expect(renderStaticTable([])).toBe('');
  });
});

describe('writeResult', () => {
  it('turns a reader that went away (EPIPE) into OutputClosedError, not an unhandled error', async () => {
    const stream = new Writable({
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    await expect(writeResult(stream, new AbortController().signal, 'user  x\n')).rejects.toBeInstanceOf(
      OutputClosedError,
    );
  });

  it('waits for a slow reader to drain before it resolves', async () => {
    const written: string[] = [];
    let release: (() => void) | undefined;
    const stream = new Writable({
      highWaterMark: 4,
      write(chunk: Buffer, _encoding, callback) {
        written.push(chunk.toString());
        release = callback;
      },
    });
    let done = false;
    const writing = writeResult(stream, new AbortController().signal, 'a table longer than four bytes\n').then(() => {
      done = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(written).toEqual(['a table longer than four bytes\n']);
    expect(done).toBe(false);
    release!();
    await writing;
    expect(done).toBe(true);
  });
});
