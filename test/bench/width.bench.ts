/**
 * Measuring a line in terminal cells, as the live table does for every line it prints:
 * src/output/width.ts (code point by code point, East Asian Width from get-east-asian-width)
 * against string-width (grapheme clusters through Intl.Segmenter), on the same lines in one
 * run. The ratio is why width.ts does not call string-width (see its header).
 */
import stringWidth from 'string-width';
import { it } from 'vitest';
import { displayWidth } from '../../src/output/width.js';

const LINES = {
  ascii:
    '08:00:03   task:status-changed         Big Buck Bunny    Alice Martin    task=1a2b3c4d new_task_status=9f8e7d6c',
  accented:
    '08:00:03   comment:new                 Le Voyage d’Hélène  Zoë Müller  text="Très bien — on garde la prise 3"',
  cjk: '08:00:03   comment:new                 ストーリーボード    山田太郎        text="レビューお願いします 🎬 ✔️"',
};
const ROUNDS = 5_000;

function microsPerLine(measure: (text: string) => number, text: string): number {
  let sink = 0;
  for (let i = 0; i < 1000; i += 1) sink += measure(text);
  const start = process.hrtime.bigint();
  for (let i = 0; i < ROUNDS; i += 1) sink += measure(text);
  const elapsed = Number(process.hrtime.bigint() - start) / 1e3;
  if (sink < 0) throw new Error('unreachable');
  return elapsed / ROUNDS;
}

it('width of a table line: width.ts against string-width', () => {
  const rows = Object.entries(LINES).map(([kind, text]) => {
    const ours = microsPerLine(displayWidth, text);
    const reference = microsPerLine(stringWidth, text);
    return `${kind.padEnd(9)} width.ts ${ours.toFixed(2)} µs  string-width ${reference.toFixed(2)} µs  ratio ${(reference / ours).toFixed(1)}`;
  });
  console.log(rows.join('\n'));
});
