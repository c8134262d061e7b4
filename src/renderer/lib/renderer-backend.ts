/**
 * The renderer's own tfjs backend (docs/architecture.md, "Compute"): webgl → wasm → cpu through the same
 * selectBackend as the Node side. tfjs is imported lazily so the first paint does not wait for it.
 * The wasm binaries are bundled as files (`?url`) and handed to setWasmPaths; the CSP allows
 * 'wasm-unsafe-eval' for them. Software WebGL (no GPU) is left refused, as tfjs does by default: wasm is
 * faster than an emulated GPU.
 */
import type { BackendChoice } from '@core/backend';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

export async function initRendererBackend(forced?: string): Promise<BackendChoice> {
  const [{ selectBackend }] = await Promise.all([import('@core/backend'), import('@tensorflow/tfjs')]);
  return selectBackend(
    [
      // registered by @tensorflow/tfjs itself; setBackend fails when WebGL cannot start
      { name: 'webgl', load: async () => {} },
      {
        name: 'wasm',
        load: async () => {
          const wasm = await import('@tensorflow/tfjs-backend-wasm');
          wasm.setWasmPaths({
            'tfjs-backend-wasm.wasm': wasmPlain,
            'tfjs-backend-wasm-simd.wasm': wasmSimd,
            'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
          });
        },
      },
      { name: 'cpu', load: async () => {} },
    ],
    forced,
  );
}
