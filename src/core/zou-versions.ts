/**
 * The Zou versions kitsu-tail knows: it reads the events of each, using the best paging the
 * version offers (src/core/capabilities.ts), and the sandbox can emulate each. Shown by
 * `kitsu-tail version`, checked by `sandbox --emulate`.
 */
export const OLDEST_ZOU = '0.19.0';
export const NEWEST_ZOU = '1.0.67';
/** Where the behaviour kitsu-tail relies on changes (page_size → limit, cursors, caps, …). */
export const ZOU_CHANGES = ['0.19.28', '0.19.70', '1.0.4', '1.0.16', '1.0.63'] as const;

function parts(version: string): [number, number, number] | null {
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(version.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i += 1) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** Whether `version` (x.y.z) lies in the range kitsu-tail knows. */
export function isKnownZou(version: string): boolean {
  const v = parts(version);
  return v !== null && compare(v, parts(OLDEST_ZOU)!) >= 0 && compare(v, parts(NEWEST_ZOU)!) <= 0;
}

/** `0.19.0 to 1.0.67 (behaviour changes at 0.19.28, …)` without brackets, for hints. */
export function knownZouText(): string {
  return `${OLDEST_ZOU} to ${NEWEST_ZOU}; the behaviour changes at ${ZOU_CHANGES.join(', ')}`;
}
