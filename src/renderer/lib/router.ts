/**
 * The address hash names the view, so a reload stays where the user was and views link to each other:
 *   #/runs   #/runs/<id>   #/new   #/new?fork=<id>   #/overlay?runs=<id>,<id>   #/targets
 * One reactive `route`; `navigate` changes the hash (the browser's back button works).
 */
import { shallowRef, type Ref } from 'vue';

export interface Route {
  /** first path segment: runs, new, overlay, targets */
  view: string;
  /** second path segment (a run id), if any */
  param: string | null;
  query: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const text = hash.replace(/^#\/?/, '');
  const [path, search = ''] = text.split('?', 2);
  const [view = '', param = null] = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { view, param: param ?? null, query: new URLSearchParams(search) };
}

export function hrefFor(view: string, param?: string | null, query?: Record<string, string>): string {
  let href = `#/${view}`;
  if (param) href += `/${encodeURIComponent(param)}`;
  const q = query ? new URLSearchParams(query).toString() : '';
  return q ? `${href}?${q}` : href;
}

const current = shallowRef<Route>(parseHash(location.hash));
window.addEventListener('hashchange', () => {
  current.value = parseHash(location.hash);
});

/** the current address (replaced as a whole on every change) */
export const route: Readonly<Ref<Route>> = current;

export function navigate(view: string, param?: string | null, query?: Record<string, string>): void {
  const href = hrefFor(view, param, query);
  if (location.hash === href) return;
  location.hash = href;
}
