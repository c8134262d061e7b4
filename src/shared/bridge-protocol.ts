/**
 * The browser bridge's wire format (`nca-lab serve`): JSON text frames over one WebSocket.
 *   client → server  {id, channel, args}            a LabChannels request
 *   server → client  {id, result} | {id, error}     its reply (error = {message})
 *   server → client  {event, payload}               a pushed LabEvents entry, sent to every client
 * The page and the socket both carry the server's random token as `?token=…`.
 */
import type { LabErrorData, LabEventMessage } from './lab-api';

export const BRIDGE_SOCKET_PATH = '/ws';
export const BRIDGE_TOKEN_PARAM = 'token';

export interface BridgeRequest {
  id: number;
  channel: string;
  args: unknown[];
}

export type BridgeReply = { id: number; result: unknown } | { id: number; error: LabErrorData };

export type BridgeServerMessage = BridgeReply | LabEventMessage;

/** Parses a client frame; throws with a message the server sends back (with id 0 when the id is unreadable). */
export function parseBridgeRequest(text: string): BridgeRequest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('bridge: a request must be JSON {id, channel, args}');
  }
  if (typeof value !== 'object' || value === null) throw new Error('bridge: a request must be an object {id, channel, args}');
  const v = value as Record<string, unknown>;
  if (typeof v.id !== 'number' || !Number.isSafeInteger(v.id) || v.id < 1) {
    throw new Error('bridge: request id must be a positive integer');
  }
  if (typeof v.channel !== 'string') throw new Error('bridge: request channel must be a string');
  if (!Array.isArray(v.args)) throw new Error('bridge: request args must be a list');
  return { id: v.id, channel: v.channel, args: v.args };
}

/** Reads the id of a frame that failed to parse, so its error can still be matched to the call. */
export function requestIdOf(text: string): number {
  try {
    const v = JSON.parse(text) as { id?: unknown };
    return typeof v.id === 'number' && Number.isSafeInteger(v.id) ? v.id : 0;
  } catch {
    return 0;
  }
}
