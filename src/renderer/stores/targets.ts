/**
 * Targets: the built-in gallery (targets.list), the import form's state and preview (targets.import), and the
 * targets imported this session by any window, fed by the `targets:imported` event.
 */
import { TARGET_IMPORT_LIMITS, type TargetData } from '@shared/lab-api';
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import { fileToBase64 } from '../lib/files';
import { lab } from '../lib/lab';
import { messageOf } from './system';

/** how many of this session's imports the gallery keeps */
const SESSION_IMPORTS_KEPT = 12;

export type LoadStatus = 'idle' | 'loading' | 'ready' | 'error';

export const useTargetsStore = defineStore('targets', () => {
  const builtins = shallowRef<TargetData[]>([]);
  const status = ref<LoadStatus>('idle');
  const loadError = ref<string | null>(null);

  const importSize = ref(15);
  const importPadding = ref(0);
  const importFile = shallowRef<File | null>(null);
  const importing = ref(false);
  const importError = ref<string | null>(null);
  const preview = shallowRef<TargetData | null>(null);
  const sessionImports = shallowRef<TargetData[]>([]);

  // A later request (a new file, another size) supersedes an earlier one still in flight.
  let importRequest = 0;

  lab.on('targets:imported', (target) => {
    sessionImports.value = [target, ...sessionImports.value].slice(0, SESSION_IMPORTS_KEPT);
  });

  async function load(): Promise<void> {
    status.value = 'loading';
    loadError.value = null;
    try {
      builtins.value = await lab.targets.list();
      status.value = 'ready';
    } catch (err) {
      loadError.value = messageOf(err);
      status.value = 'error';
    }
  }

  /** Imports `file` (or the last chosen file again, after the size or padding changed). */
  async function runImport(file: File | null = importFile.value): Promise<void> {
    if (!file) return;
    importFile.value = file;
    const request = ++importRequest;
    importing.value = true;
    importError.value = null;
    try {
      const limitError = checkLimits(file, importSize.value, importPadding.value);
      if (limitError) throw new Error(limitError);
      const target = await lab.targets.import({
        name: file.name,
        bytesBase64: await fileToBase64(file),
        size: importSize.value,
        padding: importPadding.value,
      });
      if (request !== importRequest) return;
      preview.value = target;
    } catch (err) {
      if (request !== importRequest) return;
      preview.value = null;
      importError.value = messageOf(err);
    } finally {
      if (request === importRequest) importing.value = false;
    }
  }

  return {
    builtins, status, loadError, load,
    importSize, importPadding, importFile, importing, importError, preview, sessionImports, runImport,
  };
});

/** The form's own check, so an out-of-range number is explained before any bytes are sent. */
function checkLimits(file: File, size: number, padding: number): string | null {
  const { size: s, padding: p, maxBytes } = TARGET_IMPORT_LIMITS;
  if (!Number.isInteger(size) || size < s.min || size > s.max) return `Size must be a whole number from ${s.min} to ${s.max}.`;
  if (!Number.isInteger(padding) || padding < p.min || padding > p.max) return `Padding must be a whole number from ${p.min} to ${p.max}.`;
  if (file.size === 0) return `${file.name} is empty (0 bytes).`;
  if (file.size > maxBytes) return `${file.name} is larger than ${maxBytes / (1024 * 1024)} MB.`;
  return null;
}
