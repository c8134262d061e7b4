/** Where a popover goes: below its button, inside the content area, above the button when only there it fits. */
import { describe, expect, it } from 'vitest';
import { POPOVER_MARGIN, popoverPlace } from '../../../../src/renderer/lib/popover';

/** a content area right of a 196 px sidebar, above a 28 px status bar */
const area = { left: 196, top: 0, width: 1440 - 196, height: 772 };
const panel = { width: 330, height: 120 };

describe('popoverPlace', () => {
  it('lines its end edge up with the button, below it', () => {
    expect(popoverPlace({ left: 900, top: 100, width: 80, height: 30 }, panel, area, 'end')).toEqual({ left: 650, top: 136 });
  });
  it('opens to the other side of a button near the sidebar, rather than over it', () => {
    expect(popoverPlace({ left: 362, top: 423, width: 73, height: 26 }, panel, area, 'end').left).toBe(362);
    expect(popoverPlace({ left: 200, top: 423, width: 500, height: 26 }, { width: 900, height: 100 }, area, 'end').left).toBe(196 + POPOVER_MARGIN);
  });
  it('moves in from the right edge', () => {
    expect(popoverPlace({ left: 1380, top: 100, width: 50, height: 30 }, panel, area, 'start').left).toBe(1380 + 50 - 330);
    expect(popoverPlace({ left: 1300, top: 100, width: 200, height: 30 }, panel, area, 'start').left).toBe(1440 - POPOVER_MARGIN - 330);
  });
  it('opens above a button near the bottom, and clamps a panel taller than the room on both sides', () => {
    expect(popoverPlace({ left: 300, top: 700, width: 80, height: 30 }, panel, area, 'start').top).toBe(700 - 6 - 120);
    expect(popoverPlace({ left: 300, top: 400, width: 80, height: 30 }, { width: 300, height: 770 }, area, 'start').top).toBe(POPOVER_MARGIN);
  });
});
