/**
 * The browser bridge's wire format (`nca-lab serve`): JSON text frames over one WebSocket.
 *   client → server  {id, channel, args}            a LabChannels request
 *   server → client  {id, result} | {id, error}     its reply (error = {message})
 *   server → client  {event, payload}               a pushed LabEvents entry, sent to every client
 *   client → server  {id, part, parts, chunk}       one piece of a request too large for one frame
 * The page and the socket both carry the server's random token as `?token=…`.
 *
 * Frames are small (BRIDGE_MAX_FRAME_BYTES): a large request (a model file, an imported image, in base64) is
 * sent as consecutive parts of its JSON text, reassembled by the server up to BRIDGE_MAX_REQUEST_BYTES. So no
 * single frame ever approaches the socket's payload limit, and the server never holds a huge unparsed frame.
 */
import type { LabErrorData, LabEventMessage } from './lab-api';

export const BRIDGE_SOCKET_PATH = '/ws';
export const BRIDGE_TOKEN_PARAM = 'token';

/** The largest frame the server accepts; a larger one closes that socket with code 1009 (the server stays up). */
export const BRIDGE_MAX_FRAME_BYTES = 4 * 1024 * 1024;
/** Characters of request text per part (JSON escaping and UTF-8 keep a part's frame well under the frame limit). */
export const BRIDGE_PART_CHARS = 512 * 1024;
/** The largest request once reassembled: a 64 MB model file in base64 (≈85 MB) plus its envelope. */
export const BRIDGE_MAX_REQUEST_BYTES = 96 * 1024 * 1024;
/** Close code of a frame over the limit (RFC 6455 "message too big"). */
export const BRIDGE_CLOSE_TOO_BIG = 1009;

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

/** One piece of a request's JSON text (`part` counts from 0 to `parts` - 1, sent in order). */
export interface BridgeRequestPart {
  id: number;
  part: number;
  parts: number;
  chunk: string;
}

/** The most parts a request may have (its reassembled size is checked as well). */
export const BRIDGE_MAX_PARTS = Math.ceil(BRIDGE_MAX_REQUEST_BYTES / BRIDGE_PART_CHARS) + 1;

/** A megabyte figure for messages: 96 MB, 17.6 MB. */
export function megabytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return `${mb >= 10 || Number.isInteger(mb) ? mb.toFixed(0) : mb.toFixed(1)} MB`;
}

/**
 * The frames that carry a request: the request itself when it fits in one part, else its text in parts.
 * Throws, without sending anything, when the request is over the limit, naming its size and the limit.
 */
export function bridgeRequestFrames(request: BridgeRequest): string[] {
  const text = JSON.stringify(request);
  if (text.length > BRIDGE_MAX_REQUEST_BYTES) {
    throw new Error(`${request.channel}: the request is ${megabytes(text.length)}, more than the ${megabytes(BRIDGE_MAX_REQUEST_BYTES)} ` +
      'the lab accepts over the browser connection');
  }
  if (text.length <= BRIDGE_PART_CHARS) return [text];
  const parts = Math.ceil(text.length / BRIDGE_PART_CHARS);
  const frames: string[] = [];
  for (let i = 0; i < parts; i++) {
    const part: BridgeRequestPart = { id: request.id, part: i, parts, chunk: text.slice(i * BRIDGE_PART_CHARS, (i + 1) * BRIDGE_PART_CHARS) };
    frames.push(JSON.stringify(part));
  }
  return frames;
}

/** A parsed client frame: a whole request's text, or one part of one. Throws with a message for the client. */
export function parseBridgeFrame(text: string): { kind: 'request'; text: string } | { kind: 'part'; part: BridgeRequestPart } {
  // a part is recognisable without parsing the whole frame as a request
  if (!text.startsWith('{"id":') || !text.includes('"part":')) return { kind: 'request', text };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('bridge: a request must be JSON {id, channel, args}');
  }
  const v = value as Record<string, unknown>;
  if (typeof v !== 'object' || v === null || !('part' in v)) return { kind: 'request', text };
  if (typeof v.id !== 'number' || !Number.isSafeInteger(v.id) || v.id < 1) throw new Error('bridge: request id must be a positive integer');
  if (typeof v.parts !== 'number' || !Number.isSafeInteger(v.parts) || v.parts < 2 || v.parts > BRIDGE_MAX_PARTS) {
    throw new Error(`bridge: a request part's "parts" must be an integer from 2 to ${BRIDGE_MAX_PARTS}`);
  }
  if (typeof v.part !== 'number' || !Number.isSafeInteger(v.part) || v.part < 0 || v.part >= v.parts) {
    throw new Error(`bridge: a request part's "part" must be an integer from 0 to ${v.parts - 1}`);
  }
  if (typeof v.chunk !== 'string') throw new Error('bridge: a request part\'s "chunk" must be a string');
  return { kind: 'part', part: { id: v.id, part: v.part, parts: v.parts, chunk: v.chunk } };
}
