/** The lab's settings (settings.get / settings.update), kept current by `settings:changed` from any window. */
import type { LabSettings } from '@shared/lab-api';
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { messageOf } from '../lib/format';
import { lab } from '../lib/lab';

export const useSettingsStore = defineStore('settings', () => {
  const settings = ref<LabSettings | null>(null);
  const error = ref<string | null>(null);
  const saving = ref(false);

  lab.on('settings:changed', (s) => {
    settings.value = s;
  });

  async function load(): Promise<void> {
    error.value = null;
    try {
      settings.value = await lab.settings.get();
    } catch (err) {
      error.value = messageOf(err);
    }
  }

  async function update(patch: Partial<LabSettings>): Promise<void> {
    saving.value = true;
    error.value = null;
    try {
      settings.value = await lab.settings.update(patch);
    } catch (err) {
      error.value = messageOf(err);
    } finally {
      saving.value = false;
    }
  }

  return { settings, error, saving, load, update };
});
