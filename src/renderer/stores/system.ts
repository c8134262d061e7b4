/** What the lab runs on: the Node side's info (system.info) and the renderer's own tfjs backend. */
import type { BackendChoice } from '@core/backend';
import type { SystemInfo } from '@shared/lab-api';
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { messageOf } from '../lib/format';
import { lab } from '../lib/lab';
import { initRendererBackend } from '../lib/renderer-backend';

export const useSystemStore = defineStore('system', () => {
  const info = ref<SystemInfo | null>(null);
  const infoError = ref<string | null>(null);
  const rendererBackend = ref<BackendChoice | null>(null);
  const rendererBackendError = ref<string | null>(null);

  async function loadInfo(): Promise<void> {
    infoError.value = null;
    try {
      info.value = await lab.system.info();
    } catch (err) {
      infoError.value = messageOf(err);
    }
  }

  /** `?backend=wasm` in the address forces one, like NCA_LAB_BACKEND on the Node side (an error if it fails). */
  async function initRenderer(): Promise<void> {
    rendererBackendError.value = null;
    performance.mark('nca-lab:renderer-backend:start');
    try {
      rendererBackend.value = await initRendererBackend(new URLSearchParams(location.search).get('backend') ?? undefined);
    } catch (err) {
      rendererBackendError.value = messageOf(err);
    } finally {
      // how long loading tfjs and starting its backend took (start-up measurements read it)
      performance.measure('nca-lab:renderer-backend', 'nca-lab:renderer-backend:start');
    }
  }

  /**
   * tfjs is large (megabytes of JavaScript to parse): start it once the first view has painted and the page is
   * idle, so it never delays the Runs table nor janks a frame the user is looking at.
   */
  function initRendererWhenIdle(): void {
    const start = () => void initRenderer();
    if ('requestIdleCallback' in window) window.requestIdleCallback(start, { timeout: 3000 });
    else setTimeout(start, 500);
  }

  return { info, infoError, rendererBackend, rendererBackendError, loadInfo, initRenderer, initRendererWhenIdle };
});
