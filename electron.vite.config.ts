/**
 * Three builds (electron-vite): main, the preload as CommonJS (Electron's sandboxed preloads cannot be ES
 * modules), and the Vue renderer. The training worker is built apart, into out/worker/ (scripts/build-worker.mjs,
 * run by `npm run build` after this), so it shares no chunk with main. `npm run build` needs only
 * electron/package.json, not the Electron binary.
 */
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'electron-vite';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';
import { CONTENT_SECURITY_POLICY, DEV_CONTENT_SECURITY_POLICY } from './src/shared/csp';

const root = fileURLToPath(new URL('.', import.meta.url));
const fromRoot = (path: string) => `${root}${path}`;

const alias = {
  '@shared': fromRoot('src/shared'),
  '@core': fromRoot('src/core'),
};

/** Puts the CSP into index.html as a <meta>, from the one definition in src/shared/csp.ts. */
function contentSecurityPolicy(policy: string): Plugin {
  return {
    name: 'nca-lab:csp',
    transformIndexHtml: () => [
      { tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: policy }, injectTo: 'head-prepend' },
    ],
  };
}

export default defineConfig(({ command }) => ({
  main: {
    resolve: { alias },
    build: { rolldownOptions: { input: { index: fromRoot('src/main/index.ts') } } },
  },
  preload: {
    resolve: { alias },
    build: {
      rolldownOptions: {
        input: { index: fromRoot('src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: fromRoot('src/renderer'),
    resolve: { alias },
    plugins: [vue(), contentSecurityPolicy(command === 'serve' ? DEV_CONTENT_SECURITY_POLICY : CONTENT_SECURITY_POLICY)],
    build: {
      rolldownOptions: { input: fromRoot('src/renderer/index.html') },
      // electron-vite leaves bundles unminified by default; the renderer is parsed on every start (first paint)
      minify: true,
      // tfjs is large; the warning would fire on every build for a chunk that is loaded lazily anyway
      chunkSizeWarningLimit: 4096,
    },
  },
}));
