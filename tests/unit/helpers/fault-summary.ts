/**
 * vitest's global setup: the fault suite's summary. Each fault file leaves its counts (helpers/bad-inputs.ts,
 * recordFaultCounts) in a folder of this run; after the last file the totals are printed in one line: kills and
 * faults survived, and the bad inputs by verdict (clear / unclear / silent / crash / files changed).
 */
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { faultCountsDir, VERDICTS } from './bad-inputs';

export function setup(): void {
  process.env.NCA_FAULT_RUN = `run-${process.pid}-${Date.now()}`;
}

export function teardown(): void {
  const dir = faultCountsDir();
  if (!existsSync(dir)) return;
  const totals: Record<string, number> = {};
  const bad: Record<string, number> = Object.fromEntries(VERDICTS.map((v) => [v, 0]));
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  for (const f of files) {
    const counts = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>;
    for (const [k, v] of Object.entries(counts)) {
      if (k === 'badInputs') for (const [verdict, n] of Object.entries(v as Record<string, number>)) bad[verdict] = (bad[verdict] ?? 0) + n;
      else if (typeof v === 'number') totals[k] = (totals[k] ?? 0) + v;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  const badTotal = Object.values(bad).reduce((a, b) => a + b, 0);
  const others = Object.entries(totals).map(([k, v]) => `${k} ${v}`).join(', ');
  console.log(`fault suite (${files.length} files): ${others ? `${others}; ` : ''}${badTotal} bad inputs → ${VERDICTS.map((v) => `${v} ${bad[v]}`).join(' / ')}`);
}
