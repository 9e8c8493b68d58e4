// The Weft API client: JSON over fetch, the bearer token from localStorage, errors as
// ApiError carrying the server's message.

const TOKEN_KEY = 'weft.token';
export const BASE = '/api/v1';

/** An error answer of the API (or a network failure, with status 0). */
export class ApiError extends Error {
  /**
   * @param {number} status HTTP status, 0 for a network failure
   * @param {string} code the API's error code
   * @param {string} message the API's message, for people
   */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
  /** The route does not exist on this server (an older build). */
  get noRoute() {
    return this.status === 404 && /^no route/.test(this.message);
  }
  /** Worth retrying: network failure or a server-side error. */
  get transient() {
    return this.status === 0 || this.status >= 500 || this.status === 429;
  }
}

export function getToken() {
  try {
    return localStorage.getItem(TOKEN_KEY) || '';
  } catch {
    return '';
  }
}

export function setToken(token) {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    /* storage unavailable: the token lives for this page only */
  }
}

/** Listeners told about every answer: used for the network banner and the sign-in page. */
const listeners = new Set();
export function onApiEvent(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
function emit(ev) {
  for (const fn of listeners) fn(ev);
}

/** Percent-encode one path segment. */
export const seg = (s) => encodeURIComponent(String(s));

/** Headers for a request, with the token when there is one. */
export function authHeaders(extra = {}) {
  const headers = { Accept: 'application/json', ...extra };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  return headers;
}

/**
 * Call the API.
 * @param {string} method
 * @param {string} path below /api/v1, already encoded
 * @param {any} [body] sent as JSON when given
 * @param {{signal?: AbortSignal, quiet?: boolean}} [opts] quiet: do not report to the banner
 * @returns {Promise<any>} the parsed JSON (null for 204)
 */
export async function api(method, path, body, opts = {}) {
  const init = { method, headers: authHeaders(), signal: opts.signal };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(BASE + path, init);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    const err = new ApiError(0, 'network', 'Cannot reach the Weft server.');
    if (!opts.quiet) emit({ type: 'error', error: err });
    throw err;
  }
  if (res.status === 204) {
    emit({ type: 'ok' });
    return null;
  }
  let data = null;
  const text = await res.text();
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const detail = (data && data.error) || {};
    const err = new ApiError(
      res.status,
      detail.code || `http_${res.status}`,
      detail.message || text || `${res.status} ${res.statusText}`,
    );
    if (res.status === 401) emit({ type: 'unauthorized', error: err });
    else if (err.transient && !opts.quiet) emit({ type: 'error', error: err });
    else emit({ type: 'ok' });
    throw err;
  }
  emit({ type: 'ok' });
  return data;
}

export const get = (path, opts) => api('GET', path, undefined, opts);

/** Build a query string from an object, skipping empty values. */
export function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}
