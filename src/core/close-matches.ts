/**
 * "Did you mean": the labels a mistyped name is closest to. Pure; shared by --project, --by,
 * --about, --entity and the event-name patterns.
 */

/** Up to three labels that contain the text or are a few edits away from it. */
export function closeMatches(text: string, labels: readonly string[]): string[] {
  const wanted = text.toLowerCase();
  const scored = [...new Set(labels)]
    .map((label) => {
      const l = label.toLowerCase();
      const contains = l.includes(wanted) || wanted.includes(l);
      return { label, score: contains ? 0 : editDistance(wanted, l) };
    })
    .filter((s) => s.score <= Math.max(2, Math.floor(wanted.length / 3)))
    .sort((a, b) => a.score - b.score || a.label.localeCompare(b.label));
  return scored.slice(0, 3).map((s) => s.label);
}

export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}
