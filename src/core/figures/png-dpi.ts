/**
 * A PNG's resolution (pHYs chunk) for figures encoded where the encoder cannot say it (a browser's
 * canvas.toBlob), so a figure exported from the window carries its DPI like one rendered in Node
 * (@napi-rs/canvas writes pHYs itself). Pure: bytes in, bytes out.
 */

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

/** Pixels per metre for a DPI, as node-canvas and @napi-rs/canvas write it. */
export function pixelsPerMetre(dpi: number): number {
  return Math.round(Math.floor(dpi) * 39.3701);
}

/** The PNG with a pHYs chunk for `dpi` (an existing one is replaced); throws if the bytes are not a PNG. */
export function withPngDpi(png: Uint8Array, dpi: number): Uint8Array {
  if (png.length < 33 || SIGNATURE.some((b, i) => png[i] !== b)) throw new RangeError('not a PNG file');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: Uint8Array[] = [png.subarray(0, 8)];
  let at = 8;
  let inserted = false;
  while (at + 12 <= png.length) {
    const len = view.getUint32(at);
    const type = String.fromCharCode(png[at + 4], png[at + 5], png[at + 6], png[at + 7]);
    const end = at + 12 + len;
    if (type !== 'pHYs') chunks.push(png.subarray(at, end));
    if (type === 'IHDR' && !inserted) {
      const ppm = pixelsPerMetre(dpi);
      const chunk = new Uint8Array(21);
      const cv = new DataView(chunk.buffer);
      cv.setUint32(0, 9);
      chunk.set([112, 72, 89, 115], 4); // "pHYs"
      cv.setUint32(8, ppm);
      cv.setUint32(12, ppm);
      chunk[16] = 1; // unit: metre
      cv.setUint32(17, crc32(chunk.subarray(4, 17)));
      chunks.push(chunk);
      inserted = true;
    }
    at = end;
  }
  const out = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** The DPI a PNG's pHYs chunk states, or null. */
export function pngDpi(png: Uint8Array): number | null {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let at = 8;
  while (at + 12 <= png.length) {
    const len = view.getUint32(at);
    const type = String.fromCharCode(png[at + 4], png[at + 5], png[at + 6], png[at + 7]);
    if (type === 'pHYs' && png[at + 16] === 1) return Math.round(view.getUint32(at + 8) / 39.3701);
    at += 12 + len;
  }
  return null;
}
