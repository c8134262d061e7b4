/**
 * The renderer's Content-Security-Policy, in one place: injected as a <meta> into index.html at build time,
 * sent as a header by Electron's app:// protocol and by the browser bridge.
 * 'self' only, plus: 'wasm-unsafe-eval' (tfjs-backend-wasm compiles its .wasm), blob:/data: images (canvas
 * exports, the empty favicon), and ws://127.0.0.1:* so the same build talks to `nca-lab serve`.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "font-src 'self'",
  "connect-src 'self' ws://127.0.0.1:*",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-src 'none'",
].join('; ');

/**
 * The desktop window's policy, sent by the app:// protocol on top of the page's own (both apply): its LabApi is
 * IPC and tfjs fetches its .wasm from app://lab, so it connects to nothing but itself; the WebSocket to
 * `nca-lab serve` is the browser build's alone.
 */
export const WINDOW_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace("connect-src 'self' ws://127.0.0.1:*", "connect-src 'self'");

/**
 * `electron-vite dev` serves the renderer from Vite's dev server, which injects <style> tags and talks HMR over
 * ws://localhost: relaxed for development only, never in a build.
 */
export const DEV_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY
  .replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
  .replace("connect-src 'self' ws://127.0.0.1:*", "connect-src 'self' ws://127.0.0.1:* ws://localhost:*");
