/** Reading a File the user chose or dropped into what targets.import takes. */
import { bytesToBase64 } from '@shared/float32-base64';

export const IMPORT_ACCEPT = 'image/png,image/jpeg,image/webp,.png,.jpg,.jpeg,.webp';

export async function fileToBase64(file: File): Promise<string> {
  return bytesToBase64(new Uint8Array(await file.arrayBuffer()));
}
