/**
 * Builds a LabApi from a transport (Electron's ipcRenderer, or the bridge's WebSocket) and the routes in
 * ipc.ts, so the two implementations cannot drift apart: a channel added to the map appears in both.
 */
import type { LabApi, LabErrorData, LabEventName, LabEvents, Unsubscribe } from './lab-api';
import { LAB_API_ROUTES, isLabEventName, type LabChannel, type LabDomain } from './ipc';

export interface LabTransport {
  /** sends a request; resolves with the result or rejects with an Error carrying the service's message */
  invoke(channel: LabChannel, args: unknown[]): Promise<unknown>;
  /** listens to one pushed event */
  subscribe(event: LabEventName, listener: (payload: unknown) => void): Unsubscribe;
}

export function createLabApi(transport: LabTransport): LabApi {
  const api: Record<string, unknown> = {};
  for (const [domain, methods] of Object.entries(LAB_API_ROUTES)) {
    const group: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
    for (const [method, channel] of Object.entries(methods as Record<string, LabChannel>)) {
      group[method] = (...args: unknown[]) => transport.invoke(channel, args);
    }
    api[domain] = group;
  }
  api.on = <E extends LabEventName>(event: E, listener: (payload: LabEvents[E]) => void): Unsubscribe => {
    if (!isLabEventName(event)) throw new Error(`unknown lab event "${String(event)}"`);
    if (typeof listener !== 'function') throw new Error(`lab.on("${event}"): the listener must be a function`);
    return transport.subscribe(event, listener as (payload: unknown) => void);
  };
  // The loops above produce exactly the routed shape that ipc.ts checks against LabApi at compile time.
  return api as Pick<LabApi, LabDomain> & Pick<LabApi, 'on'>;
}

/** The Error a caller sees for a failed call: the service's message, nothing of the transport. */
export function errorFromData(data: LabErrorData | undefined): Error {
  return new Error(typeof data?.message === 'string' && data.message ? data.message : 'the lab reported an error without a message');
}

/** The longest error message sent back: a message that quotes a huge argument is cut, saying how much was left out. */
export const ERROR_MESSAGE_MAX_CHARS = 2_000;

/** How any thrown value is sent back: its message only, at most ERROR_MESSAGE_MAX_CHARS characters. */
export function errorToData(err: unknown): LabErrorData {
  const message = err instanceof Error ? err.message || err.name : String(err);
  if (message.length <= ERROR_MESSAGE_MAX_CHARS) return { message };
  return { message: `${message.slice(0, ERROR_MESSAGE_MAX_CHARS)}… (${message.length - ERROR_MESSAGE_MAX_CHARS} more characters left out)` };
}
