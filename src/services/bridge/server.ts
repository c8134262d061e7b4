/**
 * The browser bridge (`nca-lab serve`, and the e2e tests' way in): one HTTP server on 127.0.0.1 that serves the
 * built renderer (out/renderer) and a WebSocket carrying the LabApi channel map (shared/bridge-protocol.ts).
 *
 * Access: a random token, printed once by `nca-lab serve`, must be on the page URL and on the socket URL; the
 * socket also refuses other Origins and Hosts (a web page the user visits cannot reach the lab, nor can a DNS
 * rebinding). The built JS/CSS under /assets are the same files the package ships and are served without it.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, WebSocket } from 'ws';
import { BRIDGE_SOCKET_PATH, BRIDGE_TOKEN_PARAM, parseBridgeRequest, requestIdOf, type BridgeServerMessage } from '../../shared/bridge-protocol';
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
/** the largest request frame: a 16 MB import in base64, plus the envelope */
const MAX_FRAME_BYTES = 24 * 1024 * 1024;


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
    if (!allowedHosts().includes(req.headers.host ?? '')) {
      // also what a port forwarded to a different local number looks like (ssh -L 9000:127.0.0.1:8080)
      return sendText(res, 421, `NCA Lab answers only as http://127.0.0.1:${port}/ or http://localhost:${port}/ ` +
        '(when forwarding the port, use the same number on both ends).');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'method not allowed');
    const url = new URL(req.url ?? '/', `http://${HOST}:${port}`);
    if (url.pathname === '/' || url.pathname === '/index.html') {
      if (!tokenMatches(url.searchParams.get(BRIDGE_TOKEN_PARAM), token)) {
        return sendText(res, 403, 'NCA Lab: open the address that `nca-lab serve` printed; it carries the access token (?token=…).');
      }
      return sendFile(req, res, join(rendererDir, 'index.html'), true);
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      return sendText(res, 400, 'bad path');
    }
    const file = normalize(join(rendererDir, pathname));
    // never serve anything outside the renderer folder
    if (!file.startsWith(rendererDir + sep)) return sendText(res, 404, 'not found');
    return sendFile(req, res, file, false);
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', `http://${HOST}:${port}`);
    const refuse = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (url.pathname !== BRIDGE_SOCKET_PATH) return refuse(404, 'Not Found');
    if (!allowedHosts().includes(req.headers.host ?? '')) return refuse(421, 'Misdirected Request');
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins().includes(origin)) return refuse(403, 'Forbidden');
    if (!tokenMatches(url.searchParams.get(BRIDGE_TOKEN_PARAM), token)) return refuse(401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? '' : data.toString();
      void answer(ws, text);
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
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function send(ws: WebSocket, message: BridgeServerMessage): void {
  if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
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
    'Content-Type': contentTypeOf(file),
    'Content-Length': size,
    // the page is tiny and names hashed assets: always fetch it; hashed assets may be cached
    'Cache-Control': isPage ? 'no-store' : 'public, max-age=31536000, immutable',
    'X-Content-Type-Options': 'nosniff',
    ...(isPage ? { 'Content-Security-Policy': CONTENT_SECURITY_POLICY } : {}),
    // the token is in the page URL: never send it on as a Referer
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file).pipe(res);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  res.end(text + '\n');
}
