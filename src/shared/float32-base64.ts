/**
 * Float32 pixels across a process boundary as base64 of their little-endian bytes: exact (no decimal
 * round trip) and a quarter of the size of a JSON number list. Works in Node, Electron's preload and the
 * browser (atob/btoa exist in all three), so one codec serves every transport.
 */

/** Encodes float32 values as base64 of little-endian bytes. */
export function encodeFloat32Base64(values: Float32Array): string {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return bytesToBase64(bytes);
}

/** Decodes what encodeFloat32Base64 produced; throws if the byte count is not a multiple of 4. */
export function decodeFloat32Base64(base64: string): Float32Array {
  const bytes = base64ToBytes(base64);
  if (bytes.length % 4 !== 0) throw new RangeError(`float32 data must be a multiple of 4 bytes, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

export function bytesToBase64(bytes: Uint8Array): string {
  // String.fromCharCode takes arguments: go in chunks to stay under the engine's argument limit
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

export function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
