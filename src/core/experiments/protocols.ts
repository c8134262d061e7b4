/**
 * The thesis's post-training experiments as data (spec f): which CA rollout, how long, which damage at which
 * step, which frames. A suite is a named set of protocols; a protocol is one rollout per (model, repeat).
 *
 * Step indexing is the thesis code's (spec f.1, h.9), and every output says so (INDEXING_NOTE):
 *   loss index k = the RGBA MSE of the state after k+1 CA updates, measured after that step's hook (damage
 *   or FGSM), so "damage at step 51" happens after the 52nd update and the loss at index 51 already sees it.
 * Frames are named by the number of updates applied (frame u = the state after u updates, u = 0 the seed),
 * which is the growth-strip naming of the thesis's 10-05 run (f.2); a frame of a damage protocol taken at
 * loss index k is frame k+1 and shows the state after that step's hook, like the thesis's `51.png`.
 */
import type { FgsmClamp, ThesisErase } from '../damage/damage';

/** Suites that run protocols. `thesis` is all of them. */
export const RUNNABLE_SUITES = [
  'growth', 'erase-2x2', 'erase-3x3', 'erase-bottom', 'fgsm-growth', 'fgsm-after', 'big-canvas', 'strip',
] as const;
export type RunnableSuite = (typeof RUNNABLE_SUITES)[number];
export type SuiteName = RunnableSuite | 'thesis';
export const SUITE_NAMES: readonly SuiteName[] = [...RUNNABLE_SUITES, 'thesis'];

export function isSuiteName(s: unknown): s is SuiteName {
  return typeof s === 'string' && (SUITE_NAMES as readonly string[]).includes(s);
}

/** What happens to the state right after a CA update, before that index's loss is measured (f.1). */
export type ExperimentHook =
  /** f.3: all channels of the thesis rectangle set to 0, once, after the update at index `atIndex` */
  | { kind: 'erase'; variant: ThesisErase; atIndex: number }
  /** f.4: x ← clamp(x + ε·sign(x − target16)) after the update at every index in [fromIndex, toIndex] */
  | { kind: 'fgsm'; eps: number; clamp: FgsmClamp; fromIndex: number; toIndex: number };

export interface ExperimentProtocol {
  /** unique within a suite set: `erase-3x3`, `fgsm-after-0.007` */
  id: string;
  suite: RunnableSuite;
  /** one line for figure captions and the index page */
  title: string;
  /** N_end of f.1: indices 0 .. steps−1 are logged, so the rollout applies `steps` CA updates */
  steps: number;
  hooks: ExperimentHook[];
  /**
   * 'native': the canvas the model was trained on; 'big': f.5's larger canvas, `-s 40`, i.e. padding
   * p = (40 − size)//2 on every side, canvas size + 2p (39×39 for both 9 and 15 px targets)
   */
  canvas: 'native' | 'big';
  /** frames to keep, by number of updates applied (0 = the seed) */
  frames: number[];
  /** what the thesis did, with the spec section */
  source: string;
}

export const INDEXING_NOTE =
  'Step indexing as in the thesis code (spec f.1): loss index k is the RGBA MSE of the state after k+1 CA updates, ' +
  'measured after that step\'s hook (damage or FGSM); "damage at step 51" happens after the 52nd update and the ' +
  'loss at index 51 already includes it. Frames are named by updates applied: frame u is the state after u updates ' +
  '(u = 0 is the seed); a frame at loss index k is frame k+1, taken after that step\'s hook.';

/** The thesis's big-canvas argument (`-s 40`, f.5). */
export const BIG_CANVAS_ARG = 40;

/** f.5: canvas side for a target of `size` px run with `-s 40` (39 for 9 and 15 px). */
export function bigCanvasSize(size: number): number {
  const p = Math.floor((BIG_CANVAS_ARG - size) / 2);
  return size + 2 * Math.max(0, p);
}

/** g: the 10-05 growth strip, frame k = after k updates. */
export const STRIP_FRAMES = [0, 1, 2, 3, 4, 10, 30, 40, 100, 1000];
/** f.2 08-05 frames, saved as loss indices 40, 60, 100, 150, 200, 400 (after k+1 updates). */
const GROWTH_FRAMES = [40, 60, 100, 150, 200, 400].map((k) => k + 1);
/** Damage frames around the hook: loss indices 40, 50, 51, 60, 80, 100, 150, 200 (Fig. 19 shows 50–100). */
const DAMAGE_FRAMES = [40, 50, 51, 60, 80, 100, 150, 200].map((k) => k + 1);
/** FGSM frames (f.4): loss indices 40, 60, 100, 150, 200, 400; the "after" attack adds 50 and 51. */
const FGSM_FRAMES = [40, 60, 100, 150, 200, 400].map((k) => k + 1);

/** Index after whose update the damage happens (f.3, f.4). */
export const DAMAGE_INDEX = 51;

export interface SuiteOptions {
  /** f.4 / spec 0: where FGSM clamps to [0,1]; 'all' is what the thesis code did */
  fgsmClamp?: FgsmClamp;
}

const ERASE_TITLES: Record<ThesisErase, string> = { '2x2': '2×2', '3x3': '3×3', bottom: 'bottom half' };

function eraseProtocol(variant: ThesisErase): ExperimentProtocol {
  const suite = `erase-${variant}` as RunnableSuite;
  return {
    id: suite, suite, steps: 400, canvas: 'native', frames: DAMAGE_FRAMES,
    title: `Erase ${ERASE_TITLES[variant]} at step ${DAMAGE_INDEX}, 400 update steps`,
    hooks: [{ kind: 'erase', variant, atIndex: DAMAGE_INDEX }],
    source: 'f.3: all 16 channels set to 0 in the thesis rectangle after the update at index 51; indices 0..399',
  };
}

function fgsmAfter(eps: number, clamp: FgsmClamp, note: string): ExperimentProtocol {
  return {
    id: `fgsm-after-${eps}`, suite: 'fgsm-after', steps: 1000, canvas: 'native',
    frames: [...new Set([50 + 1, 51 + 1, ...FGSM_FRAMES])].sort((a, b) => a - b),
    title: `FGSM ε = ${eps} at step ${DAMAGE_INDEX}, 1000 update steps (clamp: ${clamp})`,
    hooks: [{ kind: 'fgsm', eps, clamp, fromIndex: DAMAGE_INDEX, toIndex: DAMAGE_INDEX }],
    source: note,
  };
}

/** The protocols of one suite (`thesis`: all of them, in RUNNABLE_SUITES order). */
export function suiteProtocols(suite: SuiteName, options: SuiteOptions = {}): ExperimentProtocol[] {
  const clamp = options.fgsmClamp ?? 'all';
  switch (suite) {
    case 'growth':
      return [{
        id: 'growth', suite, steps: 2001, hooks: [], canvas: 'native', frames: GROWTH_FRAMES,
        title: 'Growth, 2000 update steps',
        source: 'f.2: plain growth from the seed, no hook, indices 0..2000',
      }];
    case 'erase-2x2':
      return [eraseProtocol('2x2')];
    case 'erase-3x3':
      return [eraseProtocol('3x3')];
    case 'erase-bottom':
      return [eraseProtocol('bottom')];
    case 'fgsm-growth':
      return [{
        id: 'fgsm-growth', suite, steps: 1000, canvas: 'native', frames: FGSM_FRAMES,
        title: `FGSM ε = 7e-7 during growth (indices 0..39), 1000 update steps (clamp: ${clamp})`,
        hooks: [{ kind: 'fgsm', eps: 7e-7, clamp, fromIndex: 0, toIndex: 39 }],
        source: 'f.4: after the update at every index < 40 (40 attacks), ε 7e-7; with clamp "all" the clamp does the damage',
      }];
    case 'fgsm-after':
      return [
        fgsmAfter(0.007, clamp, 'f.4: once after the update at index 51, ε 0.007 (every final thesis run)'),
        fgsmAfter(0.07, clamp, 'i.1: once after the update at index 51, ε 0.07 as the thesis text states (Fig. 22, 23)'),
      ];
    case 'big-canvas':
      return [{
        id: 'big-canvas', suite, steps: 1000, hooks: [], canvas: 'big', frames: STRIP_FRAMES,
        title: `Growth on the larger canvas (-s ${BIG_CANVAS_ARG}: 39×39), 1000 update steps`,
        source: 'f.5: target padded by (40 − size)//2, seed at the canvas centre; the thesis ran the 15×15 pool models and saved only the last frame',
      }];
    case 'strip':
      return [{
        id: 'strip', suite, steps: 1000, hooks: [], canvas: 'native', frames: STRIP_FRAMES,
        title: 'Growth strip: frames after 0, 1, 2, 3, 4, 10, 30, 40, 100, 1000 updates',
        source: 'f.2 / g: the 10-05 run\'s frames, frame k = after k updates (0 = the seed)',
      }];
    case 'thesis':
      return RUNNABLE_SUITES.flatMap((s) => suiteProtocols(s, options));
  }
}

/** The runnable suites a suite name stands for. */
export function expandSuite(suite: SuiteName): RunnableSuite[] {
  return suite === 'thesis' ? [...RUNNABLE_SUITES] : [suite];
}

/** One line per suite for help texts and the UI. */
export const SUITE_DESCRIPTIONS: Record<SuiteName, string> = {
  growth: 'plain growth from the seed, 2001 steps (f.2)',
  'erase-2x2': 'erase a 2×2 square at the centre after step 51, run to 400 (f.3)',
  'erase-3x3': 'erase a 3×3 square at the centre after step 51, run to 400 (f.3)',
  'erase-bottom': 'erase the bottom half after step 51, run to 400 (f.3)',
  'fgsm-growth': 'FGSM ε 7e-7 after every update up to step 39, 1000 steps (f.4)',
  'fgsm-after': 'FGSM once after step 51 with ε 0.007 and with ε 0.07, 1000 steps (f.4, i.1)',
  'big-canvas': 'growth on a 39×39 canvas (-s 40), 1000 steps, frames 0…1000 (f.5)',
  strip: 'growth frames after 0, 1, 2, 3, 4, 10, 30, 40, 100, 1000 updates (g)',
  thesis: 'every suite above: the experiments of the thesis\'s chapter 6',
};

/** Loss indices a protocol's hooks touch (for tests and captions). */
export function hookIndices(p: ExperimentProtocol): number[] {
  const out: number[] = [];
  for (const h of p.hooks) {
    if (h.kind === 'erase') out.push(h.atIndex);
    else for (let k = h.fromIndex; k <= h.toIndex; k++) out.push(k);
  }
  return out;
}
