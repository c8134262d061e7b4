/**
 * Targets in Node (CLI, training workers, the main process; no Electron import): the built-in emoji targets
 * shipped in resources/targets/, and images the user imports.
 *
 * Built-ins are lossless PNGs of the exact uint8 RGBA the thesis trained on (spec b.2, built by
 * scripts/build-targets.ts), so a built-in target is bit-identical to the thesis's. Imported images are
 * resized with sharp's Lanczos-3, which is close to but not bit-identical with Pillow's (b.2 step 2).
 * Both end in `targetFromU8`: t = u8/255, rgb *= a, zero padding (b.2 steps 3–5).
 */
import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import type { Metadata, OutputInfo } from 'sharp';
import { targetFromU8, type Target } from '../../core/targets/target';
import { decodePng } from '../export/png';
import { resourcesDir } from '../resources/package-paths';
import { firstLineOf } from '../../shared/validate';

/** One entry of resources/targets/targets.json. */
export interface BuiltinTargetInfo {
  /** `carrot-9`: what users type */
  name: string;
  /** the name without the size (`carrot`, `lizard-2018`): `carrot` + size 15 picks `carrot-15` */
  family: string;
  /** the emoji itself, for lists and menus */
  emoji: string;
  /** `U+1F955` */
  codepoint: string;
  /** Unicode name, `CARROT` */
  unicodeName: string;
  /** image side in pixels, before padding */
  size: number;
  /** default zero padding on every side: 0 for the thesis targets, 16 for the lizards (spec d.4) */
  padding: number;
  /** size + 2·padding */
  canvas: number;
  /** PNG file name in resources/targets/ */
  file: string;
  /** where the pixels come from (noto-emoji version), from targets_u8.json */
  source: string;
}

export interface BuiltinTargetCatalogue {
  _doc: string;
  targets: BuiltinTargetInfo[];
}

export interface TargetOptions {
  /** image side in pixels before padding (imports: the resize size) */
  size?: number;
  /** zero padding on every side; built-ins default to their catalogue padding, imports to 0 */
  padding?: number;
}

/** Largest accepted import: a side over this many pixels, or a file over this many bytes, is refused. */
export const MAX_IMPORT_SIDE = 8192;
export const MAX_IMPORT_BYTES = 64 * 1024 * 1024;
/** Bounds for the size and padding a target may be given (a 1024-cell side is already far beyond training). */
export const MAX_TARGET_SIZE = 1024;
export const MAX_TARGET_PADDING = 1024;

const IMPORT_FORMATS = ['png', 'jpeg', 'webp'];

let catalogueCache: { dir: string; targets: BuiltinTargetInfo[] } | null = null;

export function builtinTargetsDir(): string {
  return join(resourcesDir(), 'targets');
}

/** The built-in targets, in catalogue order (carrots, rabbits, lizards). */
export function listBuiltinTargets(): BuiltinTargetInfo[] {
  const dir = builtinTargetsDir();
  if (catalogueCache?.dir !== dir) {
    const path = join(dir, 'targets.json');
    let catalogue: BuiltinTargetCatalogue;
    try {
      catalogue = JSON.parse(readFileSync(path, 'utf8')) as BuiltinTargetCatalogue;
    } catch (err) {
      throw new Error(`cannot read the built-in target list ${path}: ${firstLineOf(err)} (run \`npm run targets:build\`)`, { cause: err });
    }
    catalogueCache = { dir, targets: catalogue.targets };
  }
  return catalogueCache.targets.map((t) => ({ ...t }));
}

/** A built-in by exact name (`carrot-9`), or by family and size (`carrot` with size 9). */
export function findBuiltinTarget(name: string, size?: number): BuiltinTargetInfo | undefined {
  const all = listBuiltinTargets();
  const exact = all.find((t) => t.name === name);
  if (exact) return size === undefined || size === exact.size ? exact : undefined;
  const family = all.filter((t) => t.family === name);
  if (size !== undefined) return family.find((t) => t.size === size);
  return family.length === 1 ? family[0] : undefined;
}

/** Loads a built-in target; its pixels are exactly the thesis's uint8 values (spec b.2). */
export function loadBuiltinTarget(name: string, opts: { padding?: number } = {}): Target {
  const info = listBuiltinTargets().find((t) => t.name === name);
  if (!info) throw new Error(unknownBuiltinMessage(name));
  const padding = checkPadding(opts.padding ?? info.padding);
  const path = join(builtinTargetsDir(), info.file);
  let image;
  try {
    image = decodePng(readFileSync(path));
  } catch (err) {
    throw new Error(`built-in target ${name}: cannot read ${path}: ${firstLineOf(err)} (run \`npm run targets:build\`)`, { cause: err });
  }
  if (image.width !== info.size || image.height !== info.size) {
    throw new Error(`built-in target ${name}: ${path} is ${image.width}×${image.height}, the catalogue says ${info.size}×${info.size}`);
  }
  return targetFromU8(info.name, info.size, image.data, padding);
}

/**
 * Imports an image file as a target: decode (PNG, JPEG or WebP), resize to size×size with Lanczos-3,
 * letterboxing non-square images on a transparent background, then premultiply and pad (spec b.2 steps 3–5).
 * sharp resizes in premultiplied alpha, as Pillow does for RGBA (b.2 step 2), so colours do not bleed
 * from transparent pixels.
 */
export async function importTargetImage(file: string, opts: { size: number; padding?: number }): Promise<Target> {
  const size = checkSize(opts.size);
  const padding = checkPadding(opts.padding ?? 0);
  const bytes = await readImageFile(file);
  const header = pngHeaderSize(bytes);
  if (header && (header.width === 0 || header.height === 0)) {
    throw new Error(`${file}: the image is ${header.width}×${header.height}; it has no pixels`);
  }
  // the side limit is checked before sharp sees the file: its own pixel limit (268 Mpx) would otherwise trip
  // first and read as a corrupt header
  if (header && (header.width > MAX_IMPORT_SIDE || header.height > MAX_IMPORT_SIDE)) {
    throw new Error(`${file}: the image is ${header.width}×${header.height}; at most ${MAX_IMPORT_SIDE} px a side is accepted`);
  }
  // sharp (libvips, native) is loaded only to import an image: training and the benchmarks, which read the
  // built-in targets with pngjs, never load it
  const { default: sharp } = await import('sharp');
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw new Error(header || sniffFormat(bytes)
      ? `${file}: the ${sniffFormat(bytes) ?? 'PNG'} header is corrupt (${firstLineOf(err)})`
      : `${file}: not an image (PNG, JPEG or WebP expected; the decoder says: ${firstLineOf(err)})`, { cause: err });
  }
  if (!IMPORT_FORMATS.includes(meta.format)) {
    throw new Error(`${file}: ${meta.format.toUpperCase()} images are not imported; use PNG, JPEG or WebP`);
  }
  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  if (!width || !height) throw new Error(`${file}: the image is ${width ?? 0}×${height ?? 0}; it has no pixels`);
  if (width > MAX_IMPORT_SIDE || height > MAX_IMPORT_SIDE) {
    throw new Error(`${file}: the image is ${width}×${height}; at most ${MAX_IMPORT_SIDE} px a side is accepted`);
  }
  let pixels: { data: Buffer; info: OutputInfo };
  try {
    pixels = await sharp(bytes, { autoOrient: true, failOn: 'error', limitInputPixels: MAX_IMPORT_SIDE * MAX_IMPORT_SIDE })
      .toColourspace('srgb')
      .ensureAlpha()
      .resize(size, size, { kernel: 'lanczos3', fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 0 } })
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new Error(`${file}: the ${meta.format.toUpperCase()} data is truncated or corrupt (${firstLineOf(err)})`, { cause: err });
  }
  const { info } = pixels;
  if (info.width !== size || info.height !== size || info.channels !== 4) {
    throw new Error(`${file}: resizing gave ${info.width}×${info.height}×${info.channels}, expected ${size}×${size}×4`);
  }
  const name = basename(file, extname(file)) || basename(file);
  return targetFromU8(name, size, new Uint8Array(pixels.data.buffer, pixels.data.byteOffset, pixels.data.length), padding);
}

/**
 * What `--target` means everywhere (CLI, runs, experiments): a built-in name (`carrot-9`, or `carrot`
 * with a size) or a path to an image file (which then needs a size).
 */
export async function resolveTarget(nameOrFile: string, opts: TargetOptions = {}): Promise<Target> {
  const size = opts.size === undefined ? undefined : checkSize(opts.size);
  if (!looksLikePath(nameOrFile)) {
    const info = findBuiltinTarget(nameOrFile, size);
    if (info) return loadBuiltinTarget(info.name, { padding: opts.padding });
    if (!(await isFile(nameOrFile))) throw new Error(unknownBuiltinMessage(nameOrFile, size));
  }
  if (size === undefined) {
    throw new Error(`${nameOrFile}: importing an image needs a target size (e.g. --size 15; the thesis used 9 and 15, Mordvintsev 40)`);
  }
  return importTargetImage(nameOrFile, { size, padding: opts.padding });
}

/**
 * Why a window (Electron IPC or the browser bridge) may not train on or read `name`, or null when it may: only a
 * built-in or an image imported into the workspace (`<workspace>/targets/`, where runs:create and the Targets
 * view keep imports) is read on a window's behalf. Any other path would let a page probe which files exist on the
 * machine and read any image the lab can see. The command line, run by the user, may name any file.
 */
export function windowTargetProblem(name: string, size: number | undefined, importedDir: string): string | null {
  if (!looksLikePath(name)) {
    return findBuiltinTarget(name, size) ? null : unknownBuiltinMessage(name, size).replace(' and not an image file', '');
  }
  const dir = resolve(importedDir);
  if (isAbsolute(name) && resolve(name) === name && dirname(name) === dir) return null;
  return `target "${name}" is neither a built-in target nor an image imported into the workspace (${dir}); ` +
    'import the image first (the run form\'s own target, or Targets → Import)';
}

function unknownBuiltinMessage(name: string, size?: number): string {
  const all = listBuiltinTargets();
  const family = all.filter((t) => t.family === name || t.name === name);
  const valid = all.map((t) => t.name).join(', ');
  if (family.length > 0 && size !== undefined) {
    return `built-in target "${name}" has no size ${size} (sizes: ${family.map((t) => t.size).join(', ')}); built-ins: ${valid}`;
  }
  if (family.length > 1) {
    return `built-in target "${name}" comes in sizes ${family.map((t) => t.size).join(', ')}: give a size or use one of ${family.map((t) => t.name).join(', ')}`;
  }
  return `unknown target "${name}": not a built-in (${valid}) and not an image file`;
}

async function readImageFile(file: string): Promise<Buffer> {
  let size: number;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new Error(`${file}: not a file`);
    size = st.size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${file}: no such file`, { cause: err });
    throw err instanceof Error && err.message.startsWith(file) ? err : new Error(`${file}: ${firstLineOf(err)}`);
  }
  if (size === 0) throw new Error(`${file}: the file is empty (0 bytes)`);
  if (size > MAX_IMPORT_BYTES) {
    throw new Error(`${file}: the file is ${(size / 2 ** 20).toFixed(1)} MB; at most ${MAX_IMPORT_BYTES / 2 ** 20} MB is accepted`);
  }
  return readFile(file);
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Width and height from a PNG's IHDR, read by hand: libvips rejects a 0×0 PNG only as a "corrupt header". */
function pngHeaderSize(bytes: Buffer): { width: number; height: number } | null {
  if (bytes.length < 8 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) return null;
  if (bytes.length < 24 || bytes.toString('latin1', 12, 16) !== 'IHDR') return { width: -1, height: -1 };
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** The format a file's magic bytes claim, so a damaged image is told apart from a file that is not one. */
function sniffFormat(bytes: Buffer): string | null {
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return 'PNG';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'JPEG';
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return 'WebP';
  return null;
}

function looksLikePath(s: string): boolean {
  return s.includes('/') || s.includes('\\') || /\.(png|jpe?g|webp|gif|tiff?|avif|svg)$/i.test(s);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function checkSize(size: number): number {
  if (!Number.isInteger(size) || size < 1 || size > MAX_TARGET_SIZE) {
    throw new RangeError(`target size must be an integer from 1 to ${MAX_TARGET_SIZE}, got ${size}`);
  }
  return size;
}

function checkPadding(padding: number): number {
  if (!Number.isInteger(padding) || padding < 0 || padding > MAX_TARGET_PADDING) {
    throw new RangeError(`target padding must be an integer from 0 to ${MAX_TARGET_PADDING}, got ${padding}`);
  }
  return padding;
}

// libvips repeats its complaint over several lines; the first says it.
