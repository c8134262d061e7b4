/**
 * Popovers and menus that stay inside the window: a panel opened from a button is placed in viewport coordinates
 * (position: fixed, so the scrolling content area does not clip it) below its button, aligned to the button's start
 * or end edge, kept inside the page's content area (never over or under the sidebar) and the window, and above the
 * button when there is no room below. It follows scrolling and resizing, and closes on Escape (focus back on the button) and on
 * a click outside it.
 */
import { nextTick, onBeforeUnmount, ref, watch, type Ref } from 'vue';

export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Room kept between a panel and the window's edge, and between the panel and its button (px). */
export const POPOVER_MARGIN = 8;
const GAP = 6;

/**
 * Where a panel of `panel`'s size goes for a button at `anchor` within `bounds` (the page's content area, inside
 * the window): below the button (above when only there it fits), its `align` edge on the button's (the other edge
 * when that one runs out of the bounds), then moved so it lies inside them.
 */
export function popoverPlace(anchor: Box, panel: { width: number; height: number }, bounds: Box, align: 'start' | 'end'): { left: number; top: number } {
  const m = POPOVER_MARGIN;
  const minLeft = bounds.left + m;
  const maxLeft = bounds.left + bounds.width - m - panel.width;
  const start = anchor.left;
  const end = anchor.left + anchor.width - panel.width;
  let left = align === 'end' ? (end < minLeft ? start : end) : start > maxLeft ? end : start;
  left = Math.max(minLeft, Math.min(left, maxLeft));
  const minTop = bounds.top + m;
  const maxTop = bounds.top + bounds.height - m - panel.height;
  const below = anchor.top + anchor.height + GAP;
  const above = anchor.top - GAP - panel.height;
  let top = below <= maxTop || above < minTop ? below : above;
  top = Math.max(minTop, Math.min(top, maxTop));
  return { left: Math.round(left), top: Math.round(top) };
}

/** The part of the window a popover of `anchor` may use: its page's content area (clear of the sidebar and status bar). */
function boundsOf(anchor: HTMLElement): Box {
  const view = { left: 0, top: 0, right: window.innerWidth, bottom: window.innerHeight };
  const area = anchor.closest('main')?.getBoundingClientRect();
  const left = Math.max(view.left, area?.left ?? view.left);
  const top = Math.max(view.top, area?.top ?? view.top);
  const right = Math.min(view.right, area?.right ?? view.right);
  const bottom = Math.min(view.bottom, area?.bottom ?? view.bottom);
  return { left, top, width: right - left, height: bottom - top };
}

/**
 * Keeps the `panel` element of a popover opened from `anchor` in place while `open` is true. Returns the style to
 * bind on the panel (it is hidden until placed, so it never flashes at the wrong spot).
 */
export function usePopover(anchor: Ref<HTMLElement | null>, panel: Ref<HTMLElement | null>, open: Ref<boolean>, align: 'start' | 'end' = 'start') {
  const style = ref<Record<string, string>>({ position: 'fixed', left: '0px', top: '0px', visibility: 'hidden' });

  function place(): void {
    const a = anchor.value;
    const p = panel.value;
    if (!a || !p) return;
    const { left, top } = popoverPlace(a.getBoundingClientRect(), { width: p.offsetWidth, height: p.offsetHeight }, boundsOf(a), align);
    style.value = { position: 'fixed', left: `${left}px`, top: `${top}px`, visibility: 'visible' };
  }

  function onKey(event: KeyboardEvent): void {
    if (event.key !== 'Escape') return;
    event.stopPropagation();
    open.value = false;
    anchor.value?.focus();
  }

  function onPointer(event: PointerEvent): void {
    const target = event.target as Node | null;
    if (target && (anchor.value?.contains(target) || panel.value?.contains(target))) return;
    open.value = false;
  }

  function listen(on: boolean): void {
    const method = on ? 'addEventListener' : 'removeEventListener';
    window[method]('resize', place);
    window[method]('scroll', place, true);
    document[method]('keydown', onKey as EventListener, true);
    document[method]('pointerdown', onPointer as EventListener, true);
  }

  watch(open, async (isOpen) => {
    listen(false);
    style.value = { ...style.value, visibility: 'hidden' };
    if (!isOpen) return;
    await nextTick();
    place();
    listen(true);
  });
  onBeforeUnmount(() => listen(false));
  return { style, place };
}
