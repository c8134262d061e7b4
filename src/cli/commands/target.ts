/**
 * `nca-lab target`: renders a target as the lab sees it (premultiplied RGBA on white, spec a.6 / g),
 * upscaled with nearest neighbour so each cell stays a crisp square, to a PNG.
 */
import { stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { makeFolder } from '../../services/store/writable-dir';
import { renderRgbaOnWhite, scaleForMinSide, upscaleNearest } from '../../core/render';
import { writePng } from '../../services/export/png';
import { MAX_TARGET_PADDING, MAX_TARGET_SIZE, resolveTarget } from '../../services/targets/targets';
import { UsageError, type Command } from '../command';
import { expectPositionals, integerFlag, parseCommandArgs } from '../flags';

/** The default scale makes the picture at least this many pixels on its longer side. */
const MIN_PICTURE_SIDE = 256;
const MAX_SCALE = 256;

export const targetCommand: Command = {
  summary: 'render a built-in target or an image file as the lab sees it, to a PNG',
  usage: `nca-lab target NAME|FILE --out FILE.png [--size N] [--padding P] [--scale K] [--json] [--workspace DIR]

Renders the target the way the lab trains on it: RGBA premultiplied by alpha, composited on white
(rgb = 1 − clip(a) + rgb, rounded to 8 bits), padded, and upscaled by nearest neighbour.

  NAME|FILE      a built-in (carrot-9, or carrot with --size 9; see nca-lab targets) or a PNG, JPEG or
                 WebP file, resized to --size with Lanczos-3 (non-square images are letterboxed)
  --out FILE     the PNG to write (written atomically)
  --size N       target side in pixels before padding (required for files; picks a built-in's size)
  --padding P    zero padding on every side (default: the built-in's, 0 for files)
  --scale K      integer upscaling factor (default: the smallest that makes the picture ≥ ${MIN_PICTURE_SIDE} px)
  --json         print one JSON object describing what was written`,

  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      out: { type: 'string', short: 'o' },
      size: { type: 'string' },
      padding: { type: 'string' },
      scale: { type: 'string' },
      json: { type: 'boolean' },
    });
    const [nameOrFile] = expectPositionals(positionals, ['NAME|FILE']);
    const size = integerFlag('size', values.size, 1, MAX_TARGET_SIZE);
    const padding = integerFlag('padding', values.padding, 0, MAX_TARGET_PADDING);
    const scaleFlag = integerFlag('scale', values.scale, 1, MAX_SCALE);
    if (!values.out) throw new UsageError('--out FILE.png is required');
    const target = await resolveTarget(nameOrFile, { size, padding });
    const scale = scaleFlag ?? scaleForMinSide(target.height, target.width, MIN_PICTURE_SIDE);

    const onWhite = renderRgbaOnWhite(target.rgba, target.height, target.width);
    const picture = upscaleNearest(onWhite, target.height, target.width, scale);
    const out = resolve(values.out);
    if ((await stat(out).catch(() => null))?.isDirectory()) {
      throw new UsageError(`--out ${values.out} is a folder; give the PNG file to write, e.g. --out ${join(values.out, `${target.name}.png`)}`);
    }
    await makeFolder(dirname(out), 'the folder of --out');
    await writePng(out, picture, target.width * scale, target.height * scale);

    const summary = {
      out,
      width: target.width * scale,
      height: target.height * scale,
      scale,
      target: { name: target.name, size: target.size, padding: target.padding, canvas: target.width },
    };
    if (values.json) io.out(JSON.stringify(summary));
    else {
      io.out(`wrote ${out}: ${summary.width}×${summary.height} px, ${target.name} ${target.size}×${target.size}` +
        ` padded ${target.padding} (canvas ${target.width}×${target.height}), ×${scale}`);
    }
    return 0;
  },
};
