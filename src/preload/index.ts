/**
 * The preload (sandboxed, CommonJS): exposes LabApi as `window.lab` over ipcRenderer, built from the channel map,
 * and nothing else: no ipcRenderer, no Node. Errors arrive as {ok:false, error:{message}} and are rethrown
 * as Error with the service's message.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { LabReply } from '../shared/ipc';
import { createLabApi, errorFromData } from '../shared/lab-client';

const lab = createLabApi({
  async invoke(channel, args) {
    const reply = (await ipcRenderer.invoke(channel, ...args)) as LabReply;
    if (reply.ok) return reply.result;
    throw errorFromData(reply.error);
  },
  subscribe(event, listener) {
    // the IpcRendererEvent stays here: it carries `sender`, which must not reach the page
    const handler = (_event: Electron.IpcRendererEvent, payload: unknown) => listener(payload);
    ipcRenderer.on(event, handler);
    return () => {
      ipcRenderer.removeListener(event, handler);
    };
  },
});

contextBridge.exposeInMainWorld('lab', lab);
