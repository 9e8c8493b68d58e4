// History-API routing: real, shareable paths under /ui/, links intercepted so that pages
// change without a reload.

export const PREFIX = '/ui';

/**
 * @typedef {Object} Route
 * @property {RegExp} re matched against the path below /ui
 * @property {string[]} names names of the capture groups, in order
 * @property {string} page a page name handed to the app
 */

/** Build a route from a pattern like "/dags/:dag/runs/:run". */
export function route(pattern, page) {
  const names = [];
  const re = new RegExp(
    `^${pattern.replace(/\/:([a-z]+)/g, (_, n) => {
      names.push(n);
      return '/([^/]+)';
    })}/?$`,
  );
  return { re, names, page };
}

/**
 * Match a location against the routes.
 * @param {Route[]} routes
 * @param {Location|URL} loc
 * @returns {{page: string, params: Object<string,string>, query: URLSearchParams, path: string}}
 */
export function match(routes, loc) {
  let path = loc.pathname;
  if (path.startsWith(PREFIX)) path = path.slice(PREFIX.length);
  if (path === '') path = '/';
  for (const r of routes) {
    const m = r.re.exec(path);
    if (m) {
      const params = {};
      r.names.forEach((n, i) => {
        try {
          params[n] = decodeURIComponent(m[i + 1]);
        } catch {
          params[n] = m[i + 1];
        }
      });
      return { page: r.page, params, query: new URLSearchParams(loc.search), path };
    }
  }
  return { page: 'notfound', params: {}, query: new URLSearchParams(loc.search), path };
}

/** A UI path from segments, each percent-encoded: link('dags', id, 'grid'). */
export function link(...segments) {
  return `${PREFIX}/${segments.map((s) => encodeURIComponent(String(s))).join('/')}`;
}

/** Append a query string, skipping empty values. */
export function withQuery(path, params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `${path}?${s}` : path;
}

let onChange = () => {};

/** Go to a UI URL without reloading. */
export function navigate(url, { replace = false } = {}) {
  const target = new URL(url, location.href);
  if (target.href === location.href) return;
  if (replace) history.replaceState(null, '', target.href);
  else history.pushState(null, '', target.href);
  onChange();
}

/** Change the query of the current URL (replacing history by default: filters). */
export function setQuery(params, { replace = true } = {}) {
  const url = new URL(location.href);
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') url.searchParams.delete(k);
    else url.searchParams.set(k, String(v));
  }
  navigate(url.href, { replace });
}

/**
 * Start routing: `changed` is called now and on every navigation.
 * @param {() => void} changed
 */
let started = false;
export function start(changed) {
  onChange = changed;
  if (started) {
    onChange();
    return;
  }
  started = true;
  window.addEventListener('popstate', () => onChange());
  document.addEventListener('click', (ev) => {
    if (ev.defaultPrevented || ev.button !== 0) return;
    if (ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    const a = ev.target.closest && ev.target.closest('a[href]');
    if (!a || a.getAttribute('target') || a.hasAttribute('download')) return;
    const href = a.getAttribute('href');
    if (href.startsWith('#')) return;
    const url = new URL(href, location.href);
    if (url.origin !== location.origin || !url.pathname.startsWith(`${PREFIX}/`)) return;
    ev.preventDefault();
    navigate(url.href);
  });
  onChange();
}
