/**
 * The renderer is served from a custom `app://lab/` scheme rather than file:// (Electron security checklist:
 * "avoid file://"): the page gets a real origin, so 'self' in the CSP means the renderer folder only, and tfjs
 * can fetch its .wasm files. Requests outside the renderer folder are answered 404.
 */
import { net, protocol } from 'electron';
import { join, normalize, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { appResponseHeaders } from './app-headers';

export const APP_SCHEME = 'app';
export const APP_HOST = 'lab';
export const APP_INDEX_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/**
 * True for app://lab/… URLs. Compared by scheme and host: Node's URL gives `origin === 'null'` for schemes it
 * does not know (app: is standard only inside Chromium), so an origin comparison would never match in main.
 */
export function isAppSchemeUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
  } catch {
    return false;
  }
}

/** Must run before the app is ready (Electron's rule for privileged schemes). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

/** Serves `rendererDir` (out/renderer) under app://lab/. */
export function serveRenderer(rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    if (!isAppSchemeUrl(request.url)) return new Response('not found', { status: 404 });
    const url = new URL(request.url);
    let pathname: string;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      return new Response('bad path', { status: 400 });
    }
    const file = normalize(join(rendererDir, pathname === '/' ? '/index.html' : pathname));
    if (!file.startsWith(rendererDir + sep)) return new Response('not found', { status: 404 });
    const response = await net.fetch(pathToFileURL(file).toString());
    if (!response.ok) return new Response('not found', { status: 404 });
    return new Response(response.body, { status: 200, headers: appResponseHeaders(file) });
  });
}
