/**
 * Fault injection: SIGKILL of Adam CLI runs at seeded random instants, with thesis-adam's checkpoint
 * interval (no checkpoint before the kills: the resume restarts from the beginning) and a short one. Weights
 * and metrics must equal an uninterrupted run's, row for row.
 */
import { describe, expect, it } from 'vitest';
import { FAULT_SEED, killScenario, reportLine } from '../../helpers/fault-kills';
import { recordFaultCounts } from '../../helpers/bad-inputs';

const ADAM = ['--optimizer', 'adam', '--target', 'carrot-9', '--seed', '3', '--max-iterations', '40', '--set', 'evalEvery=10'];

describe('Adam runs survive SIGKILL at random instants', () => {
  it('resumes onto the uninterrupted weights and metrics, with the default and a short checkpoint interval', async () => {
    const reports = await Promise.all([
      killScenario('Adam (thesis-adam), its checkpoint interval (1000: none before the kills)', ADAM, 40, FAULT_SEED),
      killScenario('Adam, checkpoint every 6', [...ADAM, '--set', 'checkpointEvery=6'], 40, FAULT_SEED + 1),
    ]);
    for (const r of reports) console.log(`faults-kill: ${reportLine(r)}`);
    const kills = reports.reduce((n, r) => n + r.kills.length, 0);
    recordFaultCounts('kills-adam', { kills, killsSurvived: reports.every((r) => r.dataLost === 0) ? kills : 0 });
    expect(reports.reduce((n, r) => n + r.dataLost, 0)).toBe(0);
    expect(reports.reduce((n, r) => n + r.kills.length, 0)).toBeGreaterThanOrEqual(2);
  }, 300_000);
});
