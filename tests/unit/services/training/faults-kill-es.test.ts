/**
 * Fault injection: SIGKILL of ES CLI runs (the default preset) at seeded random instants, with the
 * preset's checkpoint interval (500: no checkpoint before the kills, the resume restarts from the beginning) and
 * a short one. Weights
 * and metrics must equal an uninterrupted run's, row for row.
 */
import { describe, expect, it } from 'vitest';
import { FAULT_SEED, killScenario, reportLine } from '../../helpers/fault-kills';
import { recordFaultCounts } from '../../helpers/bad-inputs';

const ES = ['--optimizer', 'es', '--target', 'carrot-9', '--seed', '5', '--max-generations', '60', '--set', 'es.population=8', '--workers', '1', '--set', 'evalEvery=10'];

describe('ES runs survive SIGKILL at random instants', () => {
  it('resumes onto the uninterrupted weights and metrics, with the default and a short checkpoint interval', async () => {
    const reports = await Promise.all([
      killScenario('ES (default preset), its checkpoint interval (500: none before the kills)', ES, 60, FAULT_SEED),
      killScenario('ES (default preset), checkpoint every 7', [...ES, '--set', 'checkpointEvery=7'], 60, FAULT_SEED + 1),
    ]);
    for (const r of reports) console.log(`faults-kill: ${reportLine(r)}`);
    const kills = reports.reduce((n, r) => n + r.kills.length, 0);
    recordFaultCounts('kills-es', { kills, killsSurvived: reports.every((r) => r.dataLost === 0) ? kills : 0 });
    expect(reports.reduce((n, r) => n + r.dataLost, 0)).toBe(0);
    expect(reports.reduce((n, r) => n + r.kills.length, 0)).toBeGreaterThanOrEqual(2);
  }, 300_000);
});
