/**
 * RGBA8 PNG in Node, through pngjs: exact bytes in, exact bytes out (8-bit, colour type 6, straight alpha,
 * no gamma or colour-profile chunks, so nothing between the file and the array changes a value).
 */
import { readFile } from 'node:fs/promises';
import { PNG } from 'pngjs';
import { writeBytesAtomic } from '../store/atomic-file';

export interface Rgba8Image {
  width: number;
  height: number;
  /** [height][width][R,G,B,A] */
  data: Uint8Array;
}

export function encodePng(rgba8: Uint8Array | Uint8ClampedArray, width: number, height: number): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`PNG size must be positive integers, got ${width}×${height}`);
  }
  if (rgba8.length !== width * height * 4) {
    throw new RangeError(`PNG ${width}×${height} needs ${width * height * 4} RGBA bytes, got ${rgba8.length}`);
  }
  const png = new PNG({ width, height, colorType: 6, inputColorType: 6, bitDepth: 8, inputHasAlpha: true });
  png.data = Buffer.from(rgba8.buffer, rgba8.byteOffset, rgba8.byteLength);
  return PNG.sync.write(png, { colorType: 6, inputColorType: 6, bitDepth: 8, inputHasAlpha: true });
}

/** Decodes any PNG pngjs reads into RGBA8 (palette, grey and 16-bit inputs are converted by pngjs). */
export function decodePng(bytes: Buffer): Rgba8Image {
  const png = PNG.sync.read(bytes);
  return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length) };
}

export async function readPng(path: string): Promise<Rgba8Image> {
  return decodePng(await readFile(path));
}

/**
 * Writes the PNG atomically: a temporary file in the same folder (same file system, so rename is atomic),
 * then rename over the target. A crash or a kill never leaves a half-written image under the real name.
 */
export async function writePng(path: string, rgba8: Uint8Array | Uint8ClampedArray, width: number, height: number): Promise<void> {
  await writeBytesAtomic(path, encodePng(rgba8, width, height), { what: 'PNG' });
}
