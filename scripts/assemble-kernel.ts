import wabtInit from 'wabt';

/** WAT text → wasm bytes with SIMD enabled (wabt). */
export async function assembleKernel(wat: string): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const mod = wabt.parseWat('mlp-kernel.wat', wat, { simd: true });
  try {
    mod.validate();
    return new Uint8Array(mod.toBinary({ log: false }).buffer);
  } finally {
    mod.destroy();
  }
}
