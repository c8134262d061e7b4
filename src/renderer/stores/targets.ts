/**
 * Targets: the built-in gallery and the workspace's imported targets (targets.list; listed again whenever
 * `targets:changed` says they changed, here, in another window or in another process), the import form's state and
 * preview (targets.import, kept in the workspace), and renaming and deleting imported targets.
 */
import { TARGET_IMPORT_LIMITS, type TargetData } from '@shared/lab-api';
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import { messageOf } from '../lib/format';
import { lab } from '../lib/lab';
import { useTargetImport } from '../lib/targets/target-import';

export type LoadStatus = 'idle' | 'loading' | 'ready' | 'error';

export const useTargetsStore = defineStore('targets', () => {
  const builtins = shallowRef<TargetData[]>([]);
  /** the workspace's imported targets, newest first */
  const imported = shallowRef<TargetData[]>([]);
  /** the last rename or delete that failed, per target id */
  const actionErrors = ref<Record<string, string>>({});
  const status = ref<LoadStatus>('idle');
  const loadError = ref<string | null>(null);

  const importSize = ref(15);
  const importPadding = ref(0);
  const importFile = shallowRef<File | null>(null);
  // the Targets view's imports are kept in the workspace (New Run's own image is only previewed until the run exists)
  const { preview, error: importError, importing, read } = useTargetImport({ keep: true });

  lab.on('targets:changed', () => {
    if (status.value === 'ready') void load(true);
  });

  /** `quiet`: a refresh after a change, without the loading state (the galleries stay on screen) */
  async function load(quiet = false): Promise<void> {
    if (!quiet) status.value = 'loading';
    loadError.value = null;
    try {
      const all = await lab.targets.list();
      builtins.value = all.filter((t) => t.builtin);
      imported.value = all.filter((t) => !t.builtin && t.imported);
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

  /** An imported target by its id (the `?target=` of New Run, "train on this"). */
  function importedById(id: string): TargetData | undefined {
    return imported.value.find((t) => t.imported?.id === id);
  }

  async function act(id: string, job: () => Promise<unknown>): Promise<boolean> {
    actionErrors.value = Object.fromEntries(Object.entries(actionErrors.value).filter(([k]) => k !== id));
    try {
      await job();
      await load(true);
      return true;
    } catch (err) {
      actionErrors.value = { ...actionErrors.value, [id]: messageOf(err) };
      return false;
    }
  }

  const rename = (id: string, name: string) => act(id, () => lab.targets.rename(id, name));
  const remove = (id: string) => act(id, () => lab.targets.delete(id));

  return {
    builtins, imported, status, loadError, load, importedById, rename, remove, actionErrors,
    importSize, importPadding, importFile, importing, importError, preview, runImport,
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
