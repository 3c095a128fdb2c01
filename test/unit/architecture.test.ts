/**
 * The import directions of src/README.md hold, and no module imports itself back through
 * others: the map of the code stays true as the code changes.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { forbiddenImports, importCycles, importGraph, type ImportEdge } from '../helpers/architecture.js';

const root = join(import.meta.dirname, '..', '..');
const graph = importGraph();

describe('the import map of src/README.md', () => {
  it('reads the real graph (every import resolves to a file)', () => {
    // Without this, a parser that found nothing would pass everything below.
    expect(graph.length).toBeGreaterThan(200);
    expect(graph.filter((e) => !existsSync(join(root, e.to))).map((e) => `${e.from} → ${e.to}`)).toEqual([]);
    expect(graph).toContainEqual({ from: 'src/cli.ts', to: 'src/commands/logs.ts', typeOnly: false });
    expect(graph).toContainEqual({ from: 'src/logs/plan.ts', to: 'src/options.ts', typeOnly: true });
  });

  it('has no import against the directions', () => {
    expect(forbiddenImports(graph)).toEqual([]);
  });

  it('has no import cycle', () => {
    expect(importCycles(graph)).toEqual([]);
  });

  it('would fail on a forbidden import: core importing the HTTP client', () => {
    const added: ImportEdge = { from: 'src/core/time.ts', to: 'src/kitsu/http.ts', typeOnly: false };
    expect(forbiddenImports([...graph, added])).toEqual([
      "src/core/time.ts → src/kitsu/http.ts: 'core' may not import 'kitsu'",
    ]);
    const typeOnly: ImportEdge = { from: 'src/core/record.ts', to: 'src/kitsu/types.ts', typeOnly: true };
    expect(forbiddenImports([...graph, typeOnly])).toHaveLength(1);
  });

  it('would fail on a cycle: a command importing the program back', () => {
    const added: ImportEdge = { from: 'src/commands/completion.ts', to: 'src/cli.ts', typeOnly: false };
    expect(forbiddenImports([...graph, added])).toEqual([
      "src/commands/completion.ts → src/cli.ts: 'commands' may not import 'cli'",
    ]);
    const cycles = importCycles([...graph, added]);
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toEqual(expect.arrayContaining(['src/cli.ts', 'src/commands/completion.ts']));
  });
});
