/**
 * Reading an image the user chose as a target, exactly as a run will see it (targets.import at a size and a
 * padding), for the Targets view's import panel and New Run's own target: the preview, the error, whether it is
 * reading. A later request (a new file, another size) supersedes an earlier one still in flight.
 */
import type { TargetData } from '@shared/lab-api';
import { ref, shallowRef } from 'vue';
import { fileToBase64 } from '../files';
import { messageOf } from '../format';
import { lab } from '../lab';

/** `keep`: each read also keeps the image in the workspace (Targets → Import); otherwise a preview only. */
export function useTargetImport(opts: { keep?: boolean } = {}) {
  const preview = shallowRef<TargetData | null>(null);
  const error = ref<string | null>(null);
  const importing = ref(false);
  let request = 0;

  /** Imports `file` at `size` and `padding`; `problem` (the form's own check of them) is shown instead when set. */
  async function read(file: File, size: number, padding: number, problem: string | null): Promise<void> {
    const mine = ++request;
    importing.value = true;
    error.value = null;
    try {
      if (problem) throw new Error(problem);
      const target = await lab.targets.import({ name: file.name, bytesBase64: await fileToBase64(file), size, padding, ...(opts.keep ? { keep: true } : {}) });
      if (mine !== request) return;
      preview.value = target;
    } catch (err) {
      if (mine !== request) return;
      preview.value = null;
      error.value = messageOf(err);
    } finally {
      if (mine === request) importing.value = false;
    }
  }

  return { preview, error, importing, read };
}
