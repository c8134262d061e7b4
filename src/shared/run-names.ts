/**
 * Run names that tell runs apart. Two runs of the same preset and target used to read the same
 * in every picker ("thesis-es · carrot-9"); new runs get a short suffix from their id, and runs that still share a
 * name (named by hand, or older) are shown with the shortest tail of their id that makes them distinct. The suffix
 * is kept apart from the name so a narrow list cuts the name, never the part that differs.
 */

export interface RunLabel {
  /** the run's own name */
  base: string;
  /** '' when the name is unique, else ' · ' and the shortest distinguishing tail of the id */
  suffix: string;
  /** base + suffix: what legends, options and tooltips show */
  full: string;
}

/** The default name of a new run: preset, target and the id's random tail, e.g. "thesis-es · carrot-9 · b7ec". */
export function defaultRunName(preset: string, targetName: string, runId: string): string {
  return `${preset} · ${targetName} · ${runId.slice(-4)}`;
}

/** Labels for runs that stay distinct however many share a name. */
export function runLabels(runs: readonly { id: string; name: string }[]): Map<string, RunLabel> {
  const byName = new Map<string, { id: string; name: string }[]>();
  for (const r of runs) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
  const out = new Map<string, RunLabel>();
  for (const [name, group] of byName) {
    if (group.length === 1) {
      out.set(group[0].id, { base: name, suffix: '', full: name });
      continue;
    }
    // the shortest id tail (at least 4 characters) that differs between all of them; ids are unique, so the
    // whole id always does
    const longest = Math.max(...group.map((r) => r.id.length));
    let n = 4;
    while (n < longest && new Set(group.map((r) => r.id.slice(-n))).size < group.length) n++;
    for (const r of group) {
      const suffix = ` · ${r.id.slice(-n)}`;
      out.set(r.id, { base: name, suffix, full: name + suffix });
    }
  }
  return out;
}

/**
 * The name of a group of runs (seeds of one configuration): what their names share, up to the last " · " or space
 * before they part ("es-256 · carrot-9 · 7f1c" and "… · d1c5" → "es-256 · carrot-9"), else the first name.
 */
export function groupName(names: readonly string[]): string {
  if (names.length === 0) return '';
  if (names.length === 1) return names[0];
  let n = 0;
  while (n < names[0].length && names.every((s) => s[n] === names[0][n])) n++;
  if (names.every((s) => s.length === n)) return names[0];
  const shared = names[0].slice(0, n);
  const cut = Math.max(shared.lastIndexOf(' · '), shared.lastIndexOf(' '));
  const head = (cut > 0 ? shared.slice(0, cut) : '').replace(/[\s·:_-]+$/, '');
  return head || names[0];
}
