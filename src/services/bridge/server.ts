/**
 * The browser bridge (`nca-lab serve`, and the e2e tests' way in): one HTTP server on 127.0.0.1 that serves the
 * built renderer (out/renderer) and a WebSocket carrying the LabApi channel map (shared/bridge-protocol.ts).
 *
 * Access: a random token, printed once by `nca-lab serve`, must be on the page URL and on the socket URL; the
 * socket also refuses other Origins and Hosts (a web page the user visits cannot reach the lab, nor can a DNS
 * rebinding). The built JS/CSS under /assets are the same files the package ships and are served without it;
 * every other path, however it is spelled (`/%69ndex.html`, `/assets/../index.html`), is decoded and normalised
 * first and needs the token. Every response carries the same security headers (CSP included).
 *
 * A client can neither crash nor stall the server: a frame over BRIDGE_MAX_FRAME_BYTES closes that socket with
 * 1009 (the socket's error is handled per connection), a large request comes in parts (bridge-protocol.ts) that
 * are reassembled up to BRIDGE_MAX_REQUEST_BYTES, and a malformed, binary or deeply nested frame gets an error
 * reply on a socket that stays open.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { join, normalize, posix, resolve, sep } from 'node:path';
import { WebSocketServer, WebSocket } from 'ws';
import {
  BRIDGE_CLOSE_TOO_BIG, BRIDGE_MAX_FRAME_BYTES, BRIDGE_MAX_REQUEST_BYTES, BRIDGE_SOCKET_PATH, BRIDGE_TOKEN_PARAM, megabytes,
  parseBridgeFrame, parseBridgeRequest, requestIdOf, type BridgeRequestPart, type BridgeServerMessage,
} from '../../shared/bridge-protocol';
import type { Unsubscribe } from '../../shared/lab-api';
import { CONTENT_SECURITY_POLICY } from '../../shared/csp';
import { errorToData } from '../../shared/lab-client';
import type { LabEventListener } from '../lab/lab-service';
import { contentTypeOf } from './content-types';
import { messageOf } from '../../shared/validate';

/** What the bridge needs of a service: LabService, or anything that dispatches channels and pushes events. */
export interface LabDispatcher {
  dispatch(channel: string, args: unknown): Promise<unknown>;
  onEvent(listener: LabEventListener): Unsubscribe;
}

export interface BridgeServerOptions {
  service: LabDispatcher;
  /** the built renderer (index.html + assets/) */
  rendererDir: string;
  /** 0 (the default) picks a free port */
  port?: number;
  /** defaults to a fresh random token (32 bytes, hex) */
  token?: string;
  /** told about a socket closed for a protocol error (a frame over the limit): default, a line on stderr */
  onSocketProblem?: (message: string) => void;
}

export interface BridgeServer {
  port: number;
  token: string;
  /** the page address, token included: what the user opens */
  url: string;
  /** the socket address, token included */
  socketUrl: string;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
/** requests being reassembled on one socket at once (a client sends one large request at a time) */
const MAX_PARTIAL_REQUESTS = 4;

/**
 * How many Host headers a request carries. Node keeps only the first of several, so a second one (which a proxy
 * in front might read instead) would pass the check unseen: the raw headers are counted.
 */
export function hostHeaderCount(req: Pick<IncomingMessage, 'rawHeaders'>): number {
  let n = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i].toLowerCase() === 'host') n++;
  return n;
}

export async function startBridgeServer(options: BridgeServerOptions): Promise<BridgeServer> {
  const rendererDir = resolve(options.rendererDir);
  const token = options.token ?? randomBytes(32).toString('hex');
  if (token.length < 16) throw new Error('the bridge token must be at least 16 characters');
  let port = 0;

  const allowedHosts = () => [`${HOST}:${port}`, `localhost:${port}`];
  const allowedOrigins = () => allowedHosts().map((h) => `http://${h}`);

  const server = createServer((req, res) => {
    handleHttp(req, res).catch((err) => {
      if (!res.headersSent) sendText(res, 500, `internal error: ${messageOf(err)}`);
      else res.destroy();
    });
  });

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (hostHeaderCount(req) !== 1) return sendText(res, 400, 'a request must carry exactly one Host header');
    if (!allowedHosts().includes(req.headers.host ?? '')) {
      // also what a port forwarded to a different local number looks like (ssh -L 9000:127.0.0.1:8080)
      return sendText(res, 421, `NCA Lab answers only as http://127.0.0.1:${port}/ or http://localhost:${port}/ ` +
        '(when forwarding the port, use the same number on both ends).');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'method not allowed');
    const url = new URL(req.url ?? '/', `http://${HOST}:${port}`);
    // decode and normalise before deciding anything: /%69ndex.html and /assets/../index.html are the page
    let pathname: string;
    try {
      pathname = posix.normalize(decodeURIComponent(url.pathname));
    } catch {
      return sendText(res, 400, 'bad path');
    }
    if (pathname.includes('\0') || pathname.includes('\\')) return sendText(res, 400, 'bad path');
    const file = pathname === '/' ? join(rendererDir, 'index.html') : normalize(join(rendererDir, pathname));
    // never serve anything outside the renderer folder
    if (!file.startsWith(rendererDir + sep)) return sendText(res, 404, 'not found');
    const isAsset = file.startsWith(join(rendererDir, 'assets') + sep);
    if (!isAsset && !tokenMatches(url.searchParams.get(BRIDGE_TOKEN_PARAM), token)) {
      return sendText(res, 403, 'NCA Lab: open the address that `nca-lab serve` printed; it carries the access token (?token=…).');
    }
    return sendFile(req, res, file, file === join(rendererDir, 'index.html'));
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: BRIDGE_MAX_FRAME_BYTES });
  const onSocketProblem = options.onSocketProblem ?? ((m: string) => process.stderr.write(`nca-lab serve: ${m}\n`));

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', `http://${HOST}:${port}`);
    const refuse = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (url.pathname !== BRIDGE_SOCKET_PATH) return refuse(404, 'Not Found');
    if (hostHeaderCount(req) !== 1) return refuse(400, 'Bad Request');
    if (!allowedHosts().includes(req.headers.host ?? '')) return refuse(421, 'Misdirected Request');
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins().includes(origin)) return refuse(403, 'Forbidden');
    if (!tokenMatches(url.searchParams.get(BRIDGE_TOKEN_PARAM), token)) return refuse(401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    const partial = new PartialRequests();
    // One socket's protocol error (a frame over maxPayload, bad UTF-8, a bad opcode) is that socket's: `ws`
    // has already begun closing it with the matching code; without this listener the error would end the process.
    ws.on('error', (err) => {
      const code = (err as { code?: string }).code;
      onSocketProblem(code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'
        ? `closed a connection that sent a frame over ${megabytes(BRIDGE_MAX_FRAME_BYTES)} (close code ${BRIDGE_CLOSE_TOO_BIG})`
        : `closed a connection after a protocol error: ${err.message}`);
    });
    ws.on('close', () => partial.clear());
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        send(ws, { id: 0, error: { message: 'bridge: binary frames are not accepted; a request is a JSON text frame {id, channel, args}' } });
        return;
      }
      const text = data.toString();
      let frame;
      try {
        frame = parseBridgeFrame(text);
      } catch (err) {
        send(ws, { id: requestIdOf(text), error: errorToData(err) });
        return;
      }
      if (frame.kind === 'request') {
        void answer(ws, frame.text);
        return;
      }
      let whole: string | null;
      try {
        whole = partial.add(frame.part);
      } catch (err) {
        send(ws, { id: frame.part.id, error: { message: messageOf(err) } });
        return;
      }
      if (whole !== null) void answer(ws, whole);
    });
  });

  async function answer(ws: WebSocket, text: string): Promise<void> {
    let reply: BridgeServerMessage;
    try {
      const request = parseBridgeRequest(text);
      try {
        reply = { id: request.id, result: await options.service.dispatch(request.channel, request.args) };
      } catch (err) {
        reply = { id: request.id, error: errorToData(err) };
      }
    } catch (err) {
      reply = { id: requestIdOf(text), error: errorToData(err) };
    }
    send(ws, reply);
  }

  const unsubscribe = options.service.onEvent((message) => {
    for (const client of wss.clients) send(client, message);
  });

  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(options.port ?? 0, HOST, () => {
      server.off('error', rejectListen);
      resolveListen();
    });
  });
  port = (server.address() as AddressInfo).port;

  return {
    port,
    token,
    url: `http://${HOST}:${port}/?${BRIDGE_TOKEN_PARAM}=${token}`,
    socketUrl: `ws://${HOST}:${port}${BRIDGE_SOCKET_PATH}?${BRIDGE_TOKEN_PARAM}=${token}`,
    close: async () => {
      unsubscribe();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      // the lab's work is done by now: a browser tab's keep-alive or in-flight request must not hold up quitting
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** One connection's requests that arrive in parts: id → the text so far, at most MAX_PARTIAL_REQUESTS of them and BRIDGE_MAX_REQUEST_BYTES in all. */
class PartialRequests {
  private readonly requests = new Map<number, { parts: number; next: number; chunks: string[]; chars: number }>();
  private chars = 0;

  clear(): void {
    this.requests.clear();
    this.chars = 0;
  }

  /** Takes one part: the whole request once its last part is in, else null; a wrong part drops its request and throws why. */
  add(p: BridgeRequestPart): string | null {
    try {
      return this.take(p);
    } catch (err) {
      const had = this.requests.get(p.id);
      if (had) this.chars -= had.chars;
      this.requests.delete(p.id);
      throw err;
    }
  }

  private take({ id, part, parts, chunk }: BridgeRequestPart): string | null {
    let entry = this.requests.get(id);
    if (!entry) {
      if (part !== 0) throw new Error(`bridge: request ${id} arrived from part ${part}; parts are sent in order from 0`);
      if (this.requests.size >= MAX_PARTIAL_REQUESTS) throw new Error(`bridge: more than ${MAX_PARTIAL_REQUESTS} large requests at once on one connection`);
      entry = { parts, next: 0, chunks: [], chars: 0 };
      this.requests.set(id, entry);
    }
    if (part !== entry.next || parts !== entry.parts) throw new Error(`bridge: request ${id}: part ${part} of ${parts} arrived, expected part ${entry.next} of ${entry.parts}`);
    if (this.chars + chunk.length > BRIDGE_MAX_REQUEST_BYTES) throw new Error(`bridge: request ${id} is larger than the ${megabytes(BRIDGE_MAX_REQUEST_BYTES)} the lab accepts`);
    entry.chunks.push(chunk);
    entry.chars += chunk.length;
    this.chars += chunk.length;
    entry.next++;
    if (entry.next < entry.parts) return null;
    this.requests.delete(id);
    this.chars -= entry.chars;
    const whole = entry.chunks.join('');
    const inner = requestIdOf(whole);
    if (inner === 0) throw new Error(`bridge: request ${id}: its parts do not join into a JSON request {id, channel, args}`);
    if (inner !== id) throw new Error(`bridge: request ${id}: its reassembled parts carry another id`);
    return whole;
  }
}

function send(ws: WebSocket, message: BridgeServerMessage): void {
  if (ws.readyState !== WebSocket.OPEN) return;
  let text: string;
  try {
    text = JSON.stringify(message);
  } catch (err) {
    // a result that does not serialise (a cycle, a BigInt) is that call's error, not the server's
    if (!('id' in message)) return;
    text = JSON.stringify({ id: message.id, error: { message: `bridge: the reply could not be encoded: ${errorToData(err).message}` } });
  }
  ws.send(text);
}

/** Constant-time comparison, so the token cannot be guessed a character at a time from response times. */
function tokenMatches(given: string | null, token: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function sendFile(req: IncomingMessage, res: ServerResponse, file: string, isPage: boolean): Promise<void> {
  let size: number;
  try {
    const st = await stat(file);
    if (!st.isFile()) return sendText(res, 404, 'not found');
    size = st.size;
  } catch {
    if (isPage) return sendText(res, 500, 'NCA Lab: the renderer is not built; run `npm run build` first.');
    return sendText(res, 404, 'not found');
  }
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': contentTypeOf(file),
    'Content-Length': size,
    // the page is tiny and names hashed assets: always fetch it; hashed assets may be cached
    'Cache-Control': isPage ? 'no-store' : 'public, max-age=31536000, immutable',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file).pipe(res);
}

/** Sent with every response, page, asset or error, so no spelling of a path gets a response without them. */
const SECURITY_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  // the token is in the page URL: never send it on as a Referer
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
} as const;

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(text + '\n');
}
