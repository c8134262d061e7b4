/**
 * Targets: the built-in gallery (targets.list), the import form's state and preview (targets.import), and the
 * targets imported this session by any window, fed by the `targets:imported` event.
 */
import { TARGET_IMPORT_LIMITS, type TargetData } from '@shared/lab-api';
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import { messageOf } from '../lib/format';
import { lab } from '../lib/lab';
import { useTargetImport } from '../lib/target-import';

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
  const { preview, error: importError, importing, read } = useTargetImport();
  const sessionImports = shallowRef<TargetData[]>([]);

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
    await read(file, importSize.value, importPadding.value, checkLimits(file, importSize.value, importPadding.value));
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
