// DOM helpers: build elements without HTML strings, and bring a live tree up to date
// with a freshly built one ("morph") so that polling never loses focus, input or scroll.

const SVG_NS = 'http://www.w3.org/2000/svg';
const SVG_TAGS = new Set([
  'svg', 'g', 'path', 'rect', 'circle', 'line', 'text', 'title', 'defs', 'marker',
  'polyline', 'polygon', 'tspan',
]);

/**
 * Build an element. `attrs` keys:
 * - `on<Event>` with a function: an event listener (kept on the element so that morph can
 *   swap it for the newest closure);
 * - `value`, `checked`: set as properties (morph re-applies them only when the rendered
 *   value changes, so what the user typed survives a refresh);
 * - `class`: string or array (falsy entries dropped);
 * - `style`: an object applied through the CSSOM (never a style attribute: the CSP forbids it);
 * - `key`: identity among siblings for morph (stored as `data-key`);
 * - anything else: an attribute (`true` → empty attribute; `false`/`null`/`undefined` → none).
 * Children may be nodes, strings, numbers, arrays (flattened) or falsy (skipped).
 * @param {string} tag
 * @param {Object<string, any>} [attrs]
 * @param {...any} children
 * @returns {Element}
 */
export function h(tag, attrs, ...children) {
  // "svg:a" makes an SVG element whose name HTML shares.
  const svg = SVG_TAGS.has(tag) || tag.startsWith('svg:');
  const name = tag.startsWith('svg:') ? tag.slice(4) : tag;
  const el = svg ? document.createElementNS(SVG_NS, name) : document.createElement(name);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') {
        listen(el, k.slice(2).toLowerCase(), v);
      } else if (k === 'value' || k === 'checked') {
        el[k] = v;
        (el._props ||= {})[k] = v;
      } else if (k === 'class') {
        const cls = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
        if (cls) el.setAttribute('class', cls);
      } else if (k === 'style') {
        for (const [p, val] of Object.entries(v)) el.style.setProperty(p, val);
      } else if (k === 'key') {
        el.setAttribute('data-key', String(v));
      } else {
        el.setAttribute(k, v === true ? '' : String(v));
      }
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false || c === '') continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** Attach a listener through the element's handler table (one real listener per type). */
export function listen(el, type, fn) {
  const table = (el._on ||= {});
  if (!(type in table)) {
    el.addEventListener(type, (ev) => el._on[type] && el._on[type](ev));
  }
  table[type] = fn;
}

/** Replace all children of `el`. */
export function setChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

function keyOf(n) {
  return n.nodeType === 1 ? n.getAttribute('data-key') : null;
}

function same(a, b) {
  return a.nodeType === b.nodeType && a.nodeName === b.nodeName && keyOf(a) === keyOf(b);
}

/**
 * Make the live node `from` look like the detached node `to`, reusing live nodes where
 * tags (and `data-key`s) match. Subtrees marked `data-keep` in the live tree are left alone
 * (components that manage themselves, such as a streaming log).
 * @param {Node} from live node
 * @param {Node} to freshly built node
 * @returns {Node} the live node now showing `to`
 */
export function morph(from, to) {
  if (!same(from, to)) {
    from.replaceWith(to);
    return to;
  }
  if (from.nodeType === 3 || from.nodeType === 8) {
    if (from.nodeValue !== to.nodeValue) from.nodeValue = to.nodeValue;
    return from;
  }
  if (from.nodeType !== 1) return from;
  if (from.hasAttribute('data-keep') && to.hasAttribute('data-keep')) return from;
  syncAttributes(from, to);
  morphChildren(from, to);
  return from;
}

function syncAttributes(from, to) {
  for (const { name } of Array.from(from.attributes)) {
    // `style` goes through the CSSOM below; `open` (of <details>) is the user's to change.
    if (name !== 'style' && name !== 'open' && !to.hasAttribute(name)) from.removeAttribute(name);
  }
  for (const { name, value } of Array.from(to.attributes)) {
    if (name === 'style') continue;
    if (from.getAttribute(name) !== value) from.setAttribute(name, value);
  }
  const fromCss = from.style ? from.style.cssText : '';
  const toCss = to.style ? to.style.cssText : '';
  if (from.style && fromCss !== toCss) from.style.cssText = toCss;
  // Listeners: swap in the newest closures, add any new event types.
  if (to._on) {
    for (const [type, fn] of Object.entries(to._on)) listen(from, type, fn);
  }
  if (from._on) {
    for (const type of Object.keys(from._on)) if (!to._on || !(type in to._on)) from._on[type] = null;
  }
  // Properties the app controls: re-apply only when the rendered value changed.
  if (to._props) {
    const old = from._props || {};
    for (const [k, v] of Object.entries(to._props)) {
      if (old[k] !== v && from[k] !== v) from[k] = v;
    }
    from._props = { ...to._props };
  }
}

function morphChildren(from, to) {
  const keyed = new Map();
  for (const c of Array.from(from.childNodes)) {
    const k = keyOf(c);
    if (k !== null) keyed.set(k, c);
  }
  let cursor = from.firstChild;
  for (const next of Array.from(to.childNodes)) {
    const k = keyOf(next);
    let match = null;
    if (k !== null) {
      match = keyed.get(k) || null;
      if (match) keyed.delete(k);
    } else if (cursor && keyOf(cursor) === null && same(cursor, next)) {
      match = cursor;
    }
    if (match) {
      if (match !== cursor) from.insertBefore(match, cursor);
      else cursor = cursor.nextSibling;
      const live = morph(match, next);
      if (live !== match) cursor = live.nextSibling;
    } else {
      from.insertBefore(next, cursor);
    }
  }
  while (cursor) {
    const n = cursor.nextSibling;
    cursor.remove();
    cursor = n;
  }
  for (const stale of keyed.values()) if (stale.parentNode === from) stale.remove();
}

/** A text node or a placeholder dash for empty values. */
export function orDash(v) {
  return v === null || v === undefined || v === '' ? '—' : String(v);
}

/**
 * Bring only the children of a live element up to date (its own attributes and
 * listeners stay): for a <select>'s options, a list's items.
 * @param {Element} el live element
 * @param {...any} children as for h()
 */
export function morphInner(el, ...children) {
  const to = el.cloneNode(false);
  to._on = el._on;
  to._props = el._props;
  append(to, children);
  morph(el, to);
}
