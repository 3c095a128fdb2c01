/**
 * JSON with object keys sorted at every level, so equal data gives equal text whatever the
 * key order (the log's JSONB reorders keys): what events without an id are compared by.
 * Written out by hand: a JSON.stringify replacer that builds sorted copies costs twice as much
 * (and one with a sorted list of keys is no faster than this).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value))
    return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  const object = value as Record<string, unknown>;
  if (typeof (object as { toJSON?: unknown }).toJSON === 'function')
    return canonicalJson(JSON.parse(JSON.stringify(object)));
  let out = '';
  for (const key of Object.keys(object).sort()) {
    const item = object[key];
    if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
    out += `${out ? ',' : ''}${JSON.stringify(key)}:${canonicalJson(item)}`;
  }
  return `{${out}}`;
}
