/** Run names that tell runs apart. */
import { describe, expect, it } from 'vitest';
import { defaultRunName, groupName, runLabels } from '../../../src/shared/run-names';

describe('runLabels', () => {
  it('leaves a unique name alone and gives shared ones the shortest distinct tail of their id', () => {
    const labels = runLabels([
      { id: '20261202-172853-es-carrot-9-b7ec', name: 'thesis-es · carrot-9' },
      { id: '20261202-172854-es-carrot-9-6688', name: 'thesis-es · carrot-9' },
      { id: '20261202-172900-adam-carrot-9-0001', name: 'my adam run' },
    ]);
    expect(labels.get('20261202-172853-es-carrot-9-b7ec')).toEqual({ base: 'thesis-es · carrot-9', suffix: ' · b7ec', full: 'thesis-es · carrot-9 · b7ec' });
    expect(labels.get('20261202-172854-es-carrot-9-6688')!.full).toBe('thesis-es · carrot-9 · 6688');
    expect(labels.get('20261202-172900-adam-carrot-9-0001')).toEqual({ base: 'my adam run', suffix: '', full: 'my adam run' });
  });

  it('lengthens the tail until the ids differ', () => {
    const labels = runLabels([
      { id: '20261202-172853-es-carrot-9-b7ec', name: 'x' },
      { id: '20261202-172854-es-carrot-9-b7ec', name: 'x' },
    ]);
    const fulls = [...labels.values()].map((l) => l.full);
    expect(new Set(fulls).size).toBe(2);
    expect(fulls).toEqual(['x · 3-es-carrot-9-b7ec', 'x · 4-es-carrot-9-b7ec']);
  });

  it('names new runs with the id\'s random tail', () => {
    expect(defaultRunName('thesis-es', 'carrot-9', '20261202-172853-es-carrot-9-b7ec')).toBe('thesis-es · carrot-9 · b7ec');
  });

  it('names a group of runs by what their names share, up to where they part', () => {
    expect(groupName(['es-256 · carrot-9 · 7f1c', 'es-256 · carrot-9 · d1c5', 'es-256 · carrot-9 · fede'])).toBe('es-256 · carrot-9');
    expect(groupName(['sigma sweep seed 1', 'sigma sweep seed 2'])).toBe('sigma sweep seed');
    expect(groupName(['alpha', 'beta'])).toBe('alpha');
    expect(groupName(['same', 'same'])).toBe('same');
    expect(groupName(['only'])).toBe('only');
  });
});
