/**
 * What changes with the emulated Zou version, from the table in src/kitsu/README.md, Versions.
 */
export interface Emulation {
  version: string;
  /** `page_size` before 0.19.70, `limit` after; the other name is an unknown, ignored parameter. */
  pageParam: 'limit' | 'page_size';
  nameFilter: boolean;
  cursor: boolean;
  cap: boolean;
  /** 1.0.63: project_id in rows, prefix/suffix/person filters, manager scoping, events/names, admin-only login logs. */
  modernLog: boolean;
}

/** The same as NEWEST_ZOU in core/zou-versions.ts (the sandbox imports nothing; a test keeps them equal). */
export const NEWEST_VERSION = '1.0.67';

export function parseVersion(text: string): [number, number, number] | null {
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

function atLeast(v: [number, number, number], min: [number, number, number]): boolean {
  for (let i = 0; i < 3; i += 1) {
    if ((v[i] as number) !== (min[i] as number)) return (v[i] as number) > (min[i] as number);
  }
  return true;
}

export function emulationOf(version: string): Emulation {
  const v = parseVersion(version);
  if (!v) throw new Error(`cannot emulate Zou version ${JSON.stringify(version)}: give it as x.y.z, such as 1.0.62`);
  return {
    version: v.join('.'),
    pageParam: atLeast(v, [0, 19, 70]) ? 'limit' : 'page_size',
    nameFilter: atLeast(v, [0, 19, 28]),
    cursor: atLeast(v, [1, 0, 4]),
    cap: atLeast(v, [1, 0, 16]),
    modernLog: atLeast(v, [1, 0, 63]),
  };
}
