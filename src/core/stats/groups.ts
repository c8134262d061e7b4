/**
 * Grouping runs by configuration: runs whose settings are equal apart from the seed form one group (one curve
 * with a band, one row of a table). Groups keep the order in which their first member came.
 */

/** A key for a set of settings: the same settings give the same key whatever the order of their names. */
export function settingsKey(settings: Readonly<Record<string, unknown>>): string {
  return JSON.stringify(Object.keys(settings).sort().map((k) => [k, settings[k] ?? null]));
}

export interface Group<T> {
  key: string;
  members: T[];
}

/** The items grouped by `keyOf`, groups in first-seen order, members in the order given. */
export function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Group<T>[] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = keyOf(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return [...groups].map(([key, members]) => ({ key, members }));
}
