/**
 * `nca-lab grow`: replays saved models (one, or several side by side in lockstep) from a seed, with a damage
 * schedule, and exports the growth as a GIF, a PNG strip and the per-step loss as CSV: the playground without
 * the window (core/replay). Steps are counted as CA updates applied, t (t = 0 is the seed); the thesis's logged
 * index is k = t − 1 (spec f.1), and its strip frame k is the state at t = k (f.2).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { scaleForMinSide } from '../../core/render';
import { GrowthReplay, MAX_REPLAY_CANVAS } from '../../core/replay/growth-replay';
import { DamageLogError } from '../../core/damage/damage-kind';
import { DAMAGE_TEXT_FORMS } from '../../core/damage/kinds';
import { MAX_REPLAY_STEPS, type DamageEventRequest } from '../../core/replay/damage-event';
import { eventToText, parseDamageText } from '../../core/replay/damage-text';
import { framesSideBySide, renderFrame, viewLabel, type FrameView } from '../../core/replay/frames';
import { GIF_LIMITS, GIF_PANEL_GAP_CELLS, gifCellsWide } from '../../core/replay/gif';
import { makeRecording, parseGrowthRecording, type GrowthRecording } from '../../core/replay/recording';
import { parseStripSteps, STRIP_STEPS } from '../../core/replay/strip';
import { writeGifFile, writeLossCsvFile, writeStripPng } from '../../services/export/replay-files';
import { MAX_PERCEPTION_ANGLE, rotatePerception } from '../../core/nca/perception-rotation';
import { loadReplayModel, type LoadedReplayModel } from '../../services/models/replay-models';
import { writeBytesAtomic } from '../../services/store/atomic-file';
import { LabStore } from '../../services/store/lab-store';
import { resolveWorkspaceDir } from '../../services/store/workspace-path';
import { UsageError, type Command, type CommandIo } from '../command';
import { integerFlag, parseCommandArgs } from '../flags';

const MAX_FPS = GIF_LIMITS.fps.max;

export const growCommand: Command = {
  summary: 'replay saved models step by step with damage; export a GIF, a PNG strip and the loss CSV',
  usage: `nca-lab grow MODEL [MODEL…] [--steps N] [--canvas N] [--seed N] [--damage SPEC …] [exports] [--json] [--workspace DIR]

Grows each MODEL from the seed for N CA updates (several models: side by side, in lockstep, same fire masks
and damage) and measures the RGBA MSE against its target after every update (on a larger canvas, against the
target padded to the canvas, spec f.5). Steps count CA updates applied: t = 0 is the seed; the thesis logs the
state after t updates at index k = t − 1 (spec f.1), and its strip frame k is the state at t = k.
A model whose state overflows to NaN/Infinity is named on stderr with the update it diverged at (exit status 3).

  MODEL             a run id in the workspace (its model, else its newest checkpoint), RUN_ID@GENERATION
                    (that checkpoint), a built-in or imported model's id (\`nca-lab import\`), or a path to a
                    model folder, model.json or checkpoint file
  --steps N         CA updates to run (default 1000)
  --canvas N        square canvas side (default: the training canvas; at least it, up to ${MAX_REPLAY_CANVAS})
  --cells Y,X[;Y,X] seed cells (default the centre, H//2, W//2)
  --seed N          the replay's random seed: fire masks and random damage (default 0)
  --angle DEG       rotate every model's perception by DEG degrees, as the Distill demo's slider does (spec a.2;
                    positive turns the pattern counter-clockwise; default 0)
  --damage SPEC     repeatable: KIND[:ARGS]@WHEN with WHEN = t, t1..t2 (every update in between), or kK / kK1..kK2
                    in the thesis's index (k = t − 1).
                    Kinds: ${helpList(DAMAGE_TEXT_FORMS, 27, 20, 114)}.
                    The thesis's bottom-half erase at its step 51: thesis:bottom@k51 (= @52);
                    its FGSM during growth: fgsm:7e-7,all@k0..k39
  --recording FILE  take canvas, seed cells, seed and damage from a recording saved by the playground
  --save-recording FILE  write this replay's recording (JSON) for the playground or a later --recording

Exports (each written atomically):
  --gif FILE        animated GIF on white, crisp cells; --frames A:B[:S] (default 0:N, every S-th),
                    --gif-scale K (default: ≥ 256 px), --fps F (1 to ${MAX_FPS}, default 20)
  --strip LIST      steps for the strip (default ${STRIP_STEPS.join(',')}, or "thesis"), written to --strip-out FILE;
                    --strip-scale K (default: frames ≥ 96 px). One row per model.
  --labels WHAT     strip, gif, strip,gif or none (default strip): the strip with the model names as row labels
                    and "t = N" above each column; the GIF with a caption band of the model names and "t = N"
  --csv FILE        loss per step: t, thesis_k, one loss column per model
  --view V          what the GIF and strip show: rgb (default), alpha, or hidden:N (N = 1…12, a heat map)
  --json            print one JSON object with the losses at key steps and the files written`,

  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      steps: { type: 'string' },
      canvas: { type: 'string' },
      cells: { type: 'string' },
      seed: { type: 'string' },
      angle: { type: 'string' },
      damage: { type: 'string', multiple: true },
      recording: { type: 'string' },
      'save-recording': { type: 'string' },
      gif: { type: 'string' },
      frames: { type: 'string' },
      'gif-scale': { type: 'string' },
      fps: { type: 'string' },
      strip: { type: 'string' },
      'strip-out': { type: 'string' },
      'strip-scale': { type: 'string' },
      csv: { type: 'string' },
      labels: { type: 'string' },
      view: { type: 'string' },
      json: { type: 'boolean' },
    });
    if (positionals.length === 0) throw new UsageError('missing MODEL (a run id or a model path)');
    if (positionals.length > 8) throw new UsageError(`at most 8 models side by side, got ${positionals.length}`);
    const steps = integerFlag('steps', values.steps, 0, MAX_REPLAY_STEPS) ?? 1000;
    let canvas = integerFlag('canvas', values.canvas, 1, MAX_REPLAY_CANVAS);
    let seed = integerFlag('seed', values.seed, 0, Number.MAX_SAFE_INTEGER);
    const view = parseView(values.view);
    const labels = parseLabels(values.labels);
    const angle = values.angle === undefined ? 0 : Number(values.angle);
    if (values.angle !== undefined && !(values.angle.trim() !== '' && Math.abs(angle) <= MAX_PERCEPTION_ANGLE)) {
      throw new UsageError(`--angle must be a number of degrees from −${MAX_PERCEPTION_ANGLE} to ${MAX_PERCEPTION_ANGLE}, got "${values.angle}"`);
    }
    for (const [flag, needs] of [['frames', 'gif'], ['gif-scale', 'gif'], ['fps', 'gif'], ['strip', 'strip-out'], ['strip-scale', 'strip-out']] as const) {
      if (values[flag] !== undefined && values[needs] === undefined) throw new UsageError(`--${flag} needs --${needs} FILE`);
    }
    const fps = values.fps === undefined ? 20 : Number(values.fps);
    if (!(fps >= GIF_LIMITS.fps.min && fps <= MAX_FPS)) throw new UsageError(`--fps must be a number from 1 to ${MAX_FPS}, got "${values.fps}"`);

    let recording: GrowthRecording | null = null;
    if (values.recording) {
      for (const flag of ['canvas', 'cells', 'seed', 'damage'] as const) {
        if (values[flag] !== undefined) throw new UsageError(`--${flag} cannot be combined with --recording (the recording sets it)`);
      }
      recording = await readRecording(values.recording);
      canvas = recording.height;
      seed = recording.seed;
    }
    let damage: DamageEventRequest[];
    try {
      damage = recording ? recording.damage : (values.damage ?? []).map((d) => parseDamageText(d));
    } catch (err) {
      if (err instanceof DamageLogError) throw new UsageError(`--damage: ${err.message}`);
      throw err;
    }

    // damage that would come after the last update is never applied: refused rather than silently left out
    const late = damage.findIndex((d) => d.afterUpdate > steps);
    if (late >= 0) {
      const what = recording ? `the recording's damage #${late + 1}` : `--damage ${values.damage![late]}`;
      throw new UsageError(`${what} comes after update ${damage[late].afterUpdate}, past --steps ${steps}, and would never be applied; raise --steps or damage earlier`);
    }

    const store = new LabStore(resolveWorkspaceDir(values.workspace));
    const models: LoadedReplayModel[] = [];
    for (const spec of positionals) models.push(await loadReplayModel(store, spec));
    if (angle !== 0) {
      for (const m of models) {
        m.model = { ...m.model, params: rotatePerception(m.model.nca, m.model.params, angle) };
        m.recorded = { ...m.recorded, angle };
      }
    }
    // a hidden channel the model does not have is refused before the rollout, not at the first frame
    if (typeof view === 'number') {
      for (const m of models) {
        const hidden = m.model.nca.channels - 4;
        if (view >= m.model.nca.channels) throw new UsageError(`--view hidden:${view - 3}: ${m.model.name} has ${hidden} hidden channels (hidden:1 to hidden:${hidden})`);
      }
    }
    for (const m of models) if (m.targetProblem) io.err(`nca-lab grow: ${m.model.name}: no loss: ${m.targetProblem}`);

    const side = canvasSide(models, canvas);
    const cells = recording ? recording.seeds : values.cells === undefined ? undefined : parseCells(values.cells, side);

    const replay = new GrowthReplay({ models: models.map((m) => m.model), height: side, width: side, seeds: cells, seed: seed ?? 0 });
    for (const d of damage) replay.addDamage(d);

    // what to capture on the way
    const gifRange = values.gif ? parseFrames(values.frames, steps) : null;
    const stripOut = values['strip-out'];
    const stripSteps = stripOut ? stripStepsOf(values.strip, steps, io) : [];
    const { gifFrames, stripFrames, divergedAt, seconds } = growAll(replay, models.length, steps, view, gifRange, stripSteps);

    const written: Record<string, unknown> = {};
    if (values.gif && gifRange) {
      // side by side: each GIF frame holds every model's frame in a row, the panels apart
      const gap = GIF_PANEL_GAP_CELLS;
      const cells = gifCellsWide(side, models.length);
      const scale = integerFlag('gif-scale', values['gif-scale'], GIF_LIMITS.scale.min, GIF_LIMITS.scale.max) ?? scaleForMinSide(side, cells, 256);
      const frames = gifFrames[0].map((_, i) => framesSideBySide(gifFrames.map((f) => f[i]), side, side, gap));
      const names = models.map((m) => m.model.name);
      const steps = frames.map((_, i) => gifRange.from + i * gifRange.every);
      written.gif = await writeGifFile(values.gif, frames, side, cells, { scale, fps }, labels.gif ? { names, steps, gap } : undefined);
    }
    if (stripOut) {
      const scale = integerFlag('strip-scale', values['strip-scale'], 1, 256) ?? scaleForMinSide(side, side, 96);
      const names = models.map((m) => m.model.name);
      written.strip = { ...(await writeStripPng(stripOut, stripFrames, side, side, scale, labels.strip ? { names, steps: stripSteps } : undefined)), steps: stripSteps };
    }
    if (values.csv) written.csv = await writeLossCsvFile(values.csv, models.map((m, i) => ({ name: m.model.name, losses: replay.lossSeries(i) })));
    const rec = makeRecording({
      height: side, width: side, seeds: replay.seeds, seed: replay.seed, damage: [...replay.damage], models: models.map((m) => m.recorded), steps,
    });
    if (values['save-recording']) {
      const path = resolve(values['save-recording']);
      await writeBytesAtomic(path, JSON.stringify(rec, null, 2) + '\n', { what: 'recording' });
      written.recording = { path };
    }

    const keySteps = [0, 1, 10, 40, 52, 100, 200, 400, 1000, steps].filter((t, i, a) => t <= steps && a.indexOf(t) === i).sort((a, b) => a - b);
    const summary = {
      models: models.map((m) => ({ name: m.model.name, source: m.source, hasTarget: m.model.target !== null })),
      canvas: side, seed: replay.seed, angle, seeds: replay.seeds, steps, view: viewLabel(view),
      damage: replay.damage.map(eventToText),
      indexing: 't = CA updates applied (0 = seed); thesis index k = t − 1',
      seconds, stepsPerSecond: steps / Math.max(seconds, 1e-9),
      loss: models.map((_, i) => Object.fromEntries(keySteps.map((t) => [t, finiteOrNull(replay.loss(i, t))]))),
      divergedAt,
      files: written,
    };
    const diverged = models.flatMap((m, i) => (divergedAt[i] === null ? [] : [`${m.model.name} diverged: its state holds NaN or ±Infinity from update t=${divergedAt[i]} on ` +
      '(its losses from there are "-" and empty CSV cells); the weights are finite but too large for float32 growth']));
    // a diverged growth is a failure of the model, not of the command: say so on stderr and exit 3
    for (const line of diverged) io.err(`nca-lab grow: ${line}`);
    const code = diverged.length > 0 ? 3 : 0;
    if (values.json) {
      io.out(JSON.stringify(summary));
      return code;
    }
    io.out(`grew ${models.map((m) => m.model.name).join(' | ')} for ${steps} updates on ${side}×${side} (seed ${replay.seed}, ` +
      `seed cells ${replay.seeds.map(([y, x]) => `(${y},${x})`).join(' ')}) in ${seconds.toFixed(2)} s (${Math.round(summary.stepsPerSecond)} updates/s)`);
    if (replay.damage.length > 0) io.out(`damage: ${replay.damage.map(eventToText).join('  ')}`);
    io.out(`loss (RGBA MSE) by t = updates applied (the thesis's index k = t − 1):`);
    for (const [i, m] of models.entries()) {
      io.out(`  ${m.model.name}: ${keySteps.map((t) => `t=${t} ${formatLoss(replay.loss(i, t))}`).join('  ')}`);
    }
    printWritten(io, written, fps);
    return code;
  },
};

/** The canvas side: --canvas, else the largest training canvas; never smaller than a model's training canvas. */
function canvasSide(models: readonly LoadedReplayModel[], canvas: number | undefined): number {
  const trained = models.map((m) => m.trainingCanvas).filter((c): c is { height: number; width: number } => c !== null);
  const side = canvas ?? Math.max(0, ...trained.map((c) => Math.max(c.height, c.width)));
  if (side === 0) throw new UsageError('the model does not say which canvas it was trained on: give --canvas N');
  for (const m of models) {
    const c = m.trainingCanvas;
    if (c && (c.height > side || c.width > side)) {
      throw new Error(`${m.model.name} was trained on a ${c.height}×${c.width} canvas: --canvas must be at least ${Math.max(c.height, c.width)}, got ${side}`);
    }
  }
  return side;
}

/** The strip's steps (--strip, else the thesis's): past --steps is refused when given, left out (and said) by default. */
function stripStepsOf(text: string | undefined, steps: number, io: CommandIo): number[] {
  let stripSteps: number[];
  try {
    stripSteps = parseStripSteps(text ?? 'thesis');
  } catch (err) {
    throw new UsageError(`--strip: ${(err as Error).message}`);
  }
  const past = stripSteps.filter((s) => s > steps);
  if (past.length > 0 && text !== undefined) throw new UsageError(`--strip: step${past.length > 1 ? 's' : ''} ${past.join(', ')} ${past.length > 1 ? 'are' : 'is'} past --steps ${steps}`);
  if (past.length > 0) {
    io.err(`nca-lab grow: the strip leaves out step${past.length > 1 ? 's' : ''} ${past.join(', ')} (past --steps ${steps})`);
    stripSteps = stripSteps.filter((s) => s <= steps);
  }
  if (stripSteps.length === 0) throw new UsageError('--strip: no step to show');
  return stripSteps;
}

/**
 * Runs the replay to `steps`, keeping each model's frames for the GIF and the strip, and the first update after
 * which a model's state holds NaN or ±Infinity (huge weights overflow float32).
 */
function growAll(
  replay: GrowthReplay, count: number, steps: number, view: FrameView, gifRange: { from: number; to: number; every: number } | null, stripSteps: readonly number[],
): { gifFrames: Uint8ClampedArray[][]; stripFrames: Uint8ClampedArray[][]; divergedAt: (number | null)[]; seconds: number } {
  const gifFrames: Uint8ClampedArray[][] = Array.from({ length: count }, () => []);
  const stripFrames: Uint8ClampedArray[][] = Array.from({ length: count }, () => []);
  const divergedAt: (number | null)[] = Array.from({ length: count }, () => null);
  const look = () => {
    const t = replay.t;
    const inGif = gifRange && t >= gifRange.from && t <= gifRange.to && (t - gifRange.from) % gifRange.every === 0;
    const inStrip = stripSteps.includes(t);
    for (let m = 0; m < count; m++) {
      if (inGif || inStrip) {
        const frame = renderFrame(replay.state(m), view);
        if (inGif) gifFrames[m].push(frame);
        if (inStrip) stripFrames[m].push(frame);
      }
      if (divergedAt[m] === null && !replay.state(m).data.every(Number.isFinite)) divergedAt[m] = t;
    }
  };
  const started = performance.now();
  look();
  while (replay.t < steps) {
    replay.stepForward();
    look();
  }
  return { gifFrames, stripFrames, divergedAt, seconds: (performance.now() - started) / 1000 };
}

/** One line per file written. */
function printWritten(io: CommandIo, written: Record<string, unknown>, fps: number): void {
  const files = written as Record<string, { path: string } & Record<string, unknown>>;
  if (files.gif) io.out(`wrote ${files.gif.path}: ${files.gif.frames} frames, ${files.gif.width}×${files.gif.height} px, ${fps} fps`);
  if (files.strip) io.out(`wrote ${files.strip.path}: steps ${(files.strip.steps as number[]).join(', ')}, ${files.strip.width}×${files.strip.height} px`);
  if (files.csv) io.out(`wrote ${files.csv.path}: ${files.csv.rows} rows`);
  if (files.recording) io.out(`wrote ${files.recording.path}`);
}

/**
 * Items joined by commas from column `first`, wrapped at `width` columns, continuation lines indented by `indent`
 * (the damage kinds' text forms, which the kinds' table declares).
 */
function helpList(items: readonly string[], first: number, indent: number, width: number): string {
  const lines = [''];
  let column = first;
  for (const [i, item] of items.entries()) {
    const text = i < items.length - 1 ? `${item}, ` : item;
    if (column + text.trimEnd().length > width && lines[lines.length - 1] !== '') {
      lines.push('');
      column = indent;
    }
    lines[lines.length - 1] += text;
    column += text.length;
  }
  return lines.map((l) => l.trimEnd()).join(`\n${' '.repeat(indent)}`);
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

function formatLoss(v: number): string {
  return Number.isFinite(v) ? v.toExponential(3) : '-';
}

function parseView(text: string | undefined): FrameView {
  if (text === undefined || text === 'rgb') return 'rgb';
  if (text === 'alpha') return 'alpha';
  const m = /^hidden:(\d+)$/.exec(text);
  if (m && Number(m[1]) >= 1 && Number(m[1]) <= 60) return Number(m[1]) + 3;
  throw new UsageError(`--view must be rgb, alpha or hidden:N (N from 1: hidden:1 is channel 4), got "${text}"`);
}

function parseLabels(text: string | undefined): { strip: boolean; gif: boolean } {
  if (text === undefined) return { strip: true, gif: false };
  const items = text.split(',').map((s) => s.trim());
  if (items.length === 1 && items[0] === 'none') return { strip: false, gif: false };
  if (items.some((i) => i !== 'strip' && i !== 'gif')) throw new UsageError(`--labels must be strip, gif, strip,gif or none, got "${text}"`);
  return { strip: items.includes('strip'), gif: items.includes('gif') };
}

function parseFrames(text: string | undefined, steps: number): { from: number; to: number; every: number } {
  if (text === undefined) return { from: 0, to: steps, every: 1 };
  const m = /^(\d+):(\d+)(?::(\d+))?$/.exec(text.trim());
  if (!m) throw new UsageError(`--frames must be A:B or A:B:S (updates A to B, every S-th), got "${text}"`);
  const [from, to, every] = [Number(m[1]), Number(m[2]), m[3] === undefined ? 1 : Number(m[3])];
  if (to < from) throw new UsageError(`--frames: the range ends (${to}) before it starts (${from})`);
  if (to > steps) throw new UsageError(`--frames: ${to} is past --steps ${steps}`);
  if (every < 1) throw new UsageError('--frames: S must be at least 1');
  const count = Math.floor((to - from) / every) + 1;
  if (count > GIF_LIMITS.maxFrames) throw new UsageError(`--frames gives ${count} frames; at most ${GIF_LIMITS.maxFrames} (take every S-th with A:B:S)`);
  return { from, to, every };
}

function parseCells(text: string, side: number): [number, number][] {
  return text.split(';').map((part) => {
    const m = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(part);
    if (!m) throw new UsageError(`--cells must be Y,X pairs separated by ";", got "${part}"`);
    const [y, x] = [Number(m[1]), Number(m[2])];
    if (y >= side || x >= side) throw new UsageError(`--cells: (${y}, ${x}) is outside the ${side}×${side} canvas`);
    return [y, x];
  });
}

async function readRecording(path: string): Promise<GrowthRecording> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`--recording ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, { cause: err });
  }
  try {
    return parseGrowthRecording(JSON.parse(text));
  } catch (err) {
    throw new Error(`--recording ${path}: ${err instanceof SyntaxError ? `not JSON (${err.message})` : (err as Error).message}`, { cause: err });
  }
}
