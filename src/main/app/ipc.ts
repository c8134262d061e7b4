/**
 * Registers every channel of the map (shared/ipc.ts) on ipcMain and hands it to LabService, and forwards the
 * service's events to every window. Errors travel back as data ({ok:false, error:{message}}), so the renderer
 * sees the service's message rather than Electron's "Error invoking remote method …" wrapper.
 */
import { BrowserWindow, ipcMain, type IpcMainInvokeEvent } from 'electron';
import { LAB_CHANNELS, type LabReply } from '../../shared/ipc';
import { errorToData } from '../../shared/lab-client';
import type { LabService } from '../../services/lab/lab-service';

/** Returns the function that removes the handlers again. */
export function registerLabIpc(service: LabService, isTrustedSender: (url: string) => boolean): () => void {
  for (const channel of LAB_CHANNELS) {
    ipcMain.handle(channel, async (event: IpcMainInvokeEvent, ...args: unknown[]): Promise<LabReply> => {
      // only the lab's own page may call in (not a frame that navigated elsewhere)
      const url = event.senderFrame?.url ?? '';
      if (!isTrustedSender(url)) return { ok: false, error: { message: `refused: ${channel} called from ${url || 'an unknown frame'}` } };
      try {
        return { ok: true, result: await service.dispatch(channel, args) };
      } catch (err) {
        return { ok: false, error: errorToData(err) };
      }
    });
  }
  const unsubscribe = service.onEvent(({ event, payload }) => {
    for (const win of BrowserWindow.getAllWindows()) {
      if (!win.isDestroyed()) win.webContents.send(event, payload);
    }
  });
  return () => {
    for (const channel of LAB_CHANNELS) ipcMain.removeHandler(channel);
    unsubscribe();
  };
}
