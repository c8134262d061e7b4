/**
 * Replay exports on disk (the CLI's `nca-lab grow`): the GIF, the growth strip PNG and the loss CSV, each written
 * atomically (a temporary file in the same folder, then a rename), so an interrupted export never leaves half a
 * file under the real name. The encoders are pure (core/replay/{gif,strip,loss-csv}.ts) and shared with the
 * playground, which hands the same bytes to the browser as downloads.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { writeBytesAtomic } from '../store/atomic-file';
import { writePng } from './png';
import { encodeGif, type GifOptions } from '../../core/replay/gif';
import { composeStrip } from '../../core/replay/strip';
import { lossCsv, type LossSeries } from '../../core/replay/loss-csv';

export interface WrittenFile {
  path: string;
  bytes: number;
}

async function prepare(path: string): Promise<string> {
  const out = resolve(path);
  await mkdir(dirname(out), { recursive: true });
  return out;
}

/** frames: RGBA8, one pixel per cell. */
export async function writeGifFile(path: string, frames: Uint8ClampedArray[], height: number, width: number, opts: GifOptions): Promise<WrittenFile & { width: number; height: number; frames: number }> {
  const bytes = encodeGif(frames, height, width, opts);
  const out = await prepare(path);
  await writeBytesAtomic(out, bytes, { what: 'GIF' });
  return { path: out, bytes: bytes.length, width: width * opts.scale, height: height * opts.scale, frames: frames.length };
}

/** rows[r][c]: model r's frame at the c-th strip step. */
export async function writeStripPng(path: string, rows: Uint8ClampedArray[][], height: number, width: number, scale: number): Promise<WrittenFile & { width: number; height: number }> {
  const strip = composeStrip(rows, height, width, scale);
  const out = await prepare(path);
  await writePng(out, strip.rgba, strip.width, strip.height);
  return { path: out, bytes: strip.rgba.length, width: strip.width, height: strip.height };
}

export async function writeLossCsvFile(path: string, series: LossSeries[]): Promise<WrittenFile & { rows: number }> {
  const text = lossCsv(series);
  const out = await prepare(path);
  await writeBytesAtomic(out, text, { what: 'loss CSV' });
  return { path: out, bytes: Buffer.byteLength(text), rows: text.split('\n').length - 2 };
}
