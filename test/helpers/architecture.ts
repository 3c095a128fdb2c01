/**
 * The import graph of src/, read from the source text, and the check of src/README.md's
 * import directions against it: which folder may import which, and no cycles.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export interface ImportEdge {
  /** Paths relative to the repository root: `src/core/time.ts`. */
  from: string;
  to: string;
  /** `import type …` / `export type … from`: erased at run time. */
  typeOnly: boolean;
}

/**
 * Who may import whom, by folder (a top-level file counts as a folder of its own name). The
 * table of src/README.md, "Import directions"; keep the two the same.
 */
export const ALLOWED: Record<string, readonly string[] | 'anything' | 'anything but cli'> = {
  errors: [],
  context: [],
  options: [],
  version: [],
  core: ['errors'],
  output: ['core', 'errors', 'context'],
  store: ['core', 'errors'],
  kitsu: ['core', 'errors', 'context', 'output', 'store', 'version'],
  export: ['core', 'errors', 'context', 'output', 'kitsu', 'store'],
  search: ['core', 'errors', 'context', 'output', 'kitsu'],
  listen: ['core', 'errors', 'context', 'output', 'kitsu', 'search', 'options', 'version'],
  logs: ['core', 'errors', 'context', 'output', 'kitsu', 'export', 'listen', 'search', 'options'],
  bridge: ['core', 'errors', 'context', 'output', 'kitsu', 'listen'],
  sandbox: [],
  commands: 'anything but cli',
  cli: 'anything',
  main: ['cli'],
};

/** Allowed for type-only imports as well as the above. */
export const ALLOWED_TYPES_ONLY: Record<string, readonly string[]> = {
  store: ['kitsu'],
};

const root = resolve(import.meta.dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const STATIC = /^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?'(\.[^']+)'/gm;
const DYNAMIC = /import\(\s*'(\.[^']+)'\s*\)/g;

/** Every relative import (static, re-export or dynamic) of every .ts file under src/. */
export function importGraph(): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of sourceFiles(join(root, 'src'))) {
    const text = readFileSync(file, 'utf8');
    const from = relative(root, file);
    const target = (specifier: string) => relative(root, resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
    for (const match of text.matchAll(STATIC)) {
      edges.push({ from, to: target(match[3]!), typeOnly: match[2] !== undefined });
    }
    for (const match of text.matchAll(DYNAMIC)) edges.push({ from, to: target(match[1]!), typeOnly: false });
  }
  return edges;
}

/** `src/core/time.ts` → `core`; `src/errors.ts` → `errors`. */
export function folderOf(path: string): string {
  const parts = path.split('/');
  return parts.length > 2 ? parts[1]! : parts[1]!.replace(/\.ts$/, '');
}

/** The imports that break the table, as `from → to` lines. */
export function forbiddenImports(edges: readonly ImportEdge[]): string[] {
  const problems: string[] = [];
  for (const edge of edges) {
    const from = folderOf(edge.from);
    const to = folderOf(edge.to);
    if (from === to) continue;
    const allowed = ALLOWED[from];
    if (allowed === undefined) {
      problems.push(`${edge.from} → ${edge.to}: the folder '${from}' is not in the map of src/README.md`);
      continue;
    }
    if (allowed === 'anything') continue;
    if (allowed === 'anything but cli' ? to !== 'cli' : allowed.includes(to)) continue;
    if (edge.typeOnly && ALLOWED_TYPES_ONLY[from]?.includes(to)) continue;
    problems.push(`${edge.from} → ${edge.to}${edge.typeOnly ? ' (types)' : ''}: '${from}' may not import '${to}'`);
  }
  return problems;
}

/** The import cycles (strongly connected groups of more than one module, or a self-import). */
export function importCycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to]);
  // Tarjan's algorithm.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const to of next.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(node, Math.min(low.get(node)!, index.get(to)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const group: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        group.push(member);
      } while (member !== node);
      if (group.length > 1 || next.get(node)?.includes(node)) cycles.push(group.sort());
    }
  };
  for (const node of next.keys()) if (!index.has(node)) visit(node);
  return cycles;
}
