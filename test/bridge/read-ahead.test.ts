/**
 * readAhead: the source runs ahead of a slow consumer (up to the depth), yields in order,
 * a failure comes after what was read before it, and an early stop returns the source.
 */
import { expect, it } from 'vitest';
import { readAhead } from '../../src/bridge/read-ahead.js';

const tick = () => new Promise((r) => setTimeout(r, 1));

it('reads up to `depth` items ahead of the consumer, in order', async () => {
  const asked: number[] = [];
  async function* source() {
    for (let i = 1; i <= 6; i += 1) {
      asked.push(i);
      await tick();
      yield i;
    }
  }
  const got: number[] = [];
  const aheadWhenFirstCame: number[] = [];
  for await (const item of readAhead(source(), 3)) {
    if (got.length === 0) {
      for (let k = 0; k < 20; k += 1) await tick();
      aheadWhenFirstCame.push(asked.length);
    }
    got.push(item);
  }
  expect(got).toEqual([1, 2, 3, 4, 5, 6]);
  // Item 1 in hand and three more read (2, 3, 4): never more.
  expect(aheadWhenFirstCame).toEqual([4]);
});

it('gives the items read before a failure, then the failure; an early stop returns the source', async () => {
  async function* failing() {
    yield 1;
    yield 2;
    throw new Error('page 3 failed');
  }
  const got: number[] = [];
  await expect(
    (async () => {
      for await (const item of readAhead(failing(), 2)) got.push(item);
    })(),
  ).rejects.toThrow('page 3 failed');
  expect(got).toEqual([1, 2]);

  let returned = false;
  async function* endless() {
    try {
      for (let i = 0; ; i += 1) yield i;
    } finally {
      returned = true;
    }
  }
  for await (const item of readAhead(endless(), 2)) if (item === 3) break;
  expect(returned).toBe(true);
});
