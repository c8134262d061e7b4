import { describe, expect, it } from 'vitest';
import { counted } from '../../../src/shared/words';

describe('counted', () => {
  it('says one thing in the singular and any other count in the plural', () => {
    expect(counted(1, 'worker')).toBe('1 worker');
    expect(counted(0, 'worker')).toBe('0 workers');
    expect(counted(3, 'worker')).toBe('3 workers');
    expect(counted(1, 'worker process', 'worker processes')).toBe('1 worker process');
    expect(counted(2, 'worker process', 'worker processes')).toBe('2 worker processes');
  });
});
