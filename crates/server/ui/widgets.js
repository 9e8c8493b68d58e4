// Shared pieces of pages: dialogs, confirmations, toasts, tabs, empty and error states.

import { h } from './dom.js';
import { can, needs } from './session.js';

/**
 * Open a modal dialog (Escape or the close button closes it).
 * @param {{title: string, body: Node|Node[], actions?: Node[], onClose?: () => void, wide?: boolean, testid?: string}} o
 * @returns {{el: HTMLDialogElement, close: () => void}}
 */
export function openDialog(o) {
  const el = h(
    'dialog',
    { class: ['dialog', o.wide && 'wide'], 'aria-label': o.title, 'data-testid': o.testid },
    h(
      'div',
      { class: 'dialog-head' },
      h('h2', {}, o.title),
      h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Close', onClick: () => close() }, '✕'),
    ),
    h('div', { class: 'dialog-body' }, o.body),
    o.actions ? h('div', { class: 'dialog-actions' }, o.actions) : null,
  );
  let closed = false;
  function close() {
    if (closed) return;
    closed = true;
    if (el.open) el.close();
    el.remove();
    if (o.onClose) o.onClose();
  }
  el.addEventListener('close', close);
  el.addEventListener('click', (ev) => {
    if (ev.target === el) close(); // a click on the backdrop
  });
  document.body.appendChild(el);
  el.showModal();
  return { el, close };
}

/**
 * Ask before acting. Resolves true when confirmed.
 * @param {{title: string, message: string|Node, confirm?: string, danger?: boolean, extra?: Node}} o
 * @returns {Promise<boolean>}
 */
export function confirmDialog(o) {
  return new Promise((resolve) => {
    let answer = false;
    const ok = h(
      'button',
      {
        type: 'button',
        class: ['btn', o.danger ? 'danger' : 'primary'],
        'data-testid': 'confirm',
        onClick: () => {
          answer = true;
          d.close();
        },
      },
      o.confirm || 'Confirm',
    );
    const d = openDialog({
      title: o.title,
      body: [h('p', {}, o.message), o.extra || null],
      actions: [
        h('button', { type: 'button', class: 'btn', 'data-testid': 'cancel', onClick: () => d.close() }, 'Cancel'),
        ok,
      ],
      onClose: () => resolve(answer),
    });
    ok.focus();
  });
}

let toastBox = null;

/** Show a short message (the result of an action) for a few seconds. */
export function toast(message, kind = 'ok') {
  if (!toastBox) {
    toastBox = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.appendChild(toastBox);
  }
  const t = h('div', { class: `toast ${kind}`, 'data-testid': 'toast' }, message);
  toastBox.appendChild(t);
  setTimeout(() => t.remove(), kind === 'error' ? 8000 : 4000);
}

/** Tabs as links: items [{href, label, current}] */
export function tabs(items) {
  return h(
    'nav',
    { class: 'tabs', 'aria-label': 'Sections' },
    items.map((it) =>
      h(
        'a',
        {
          href: it.href,
          class: ['tab', it.current && 'current'],
          'aria-current': it.current ? 'page' : null,
          'data-testid': `tab-${it.id}`,
          key: it.id,
        },
        it.label,
      ),
    ),
  );
}

/** A page's "not found" with a way back. */
export function notFound(message, backHref = '/ui/', backLabel = 'Back to DAGs') {
  return h(
    'section',
    { class: 'empty notfound', 'data-testid': 'not-found' },
    h('h1', {}, 'Not found'),
    h('p', {}, message),
    h('a', { href: backHref, class: 'btn' }, backLabel),
  );
}

/** An error message block. */
export function errorBox(err) {
  return h('div', { class: 'error-box', role: 'alert' }, err && err.message ? err.message : String(err));
}

/** "Loading…" placeholder. */
export const loading = () => h('p', { class: 'muted loading' }, 'Loading…');

/** An empty-state line. */
export const empty = (text) => h('p', { class: 'muted empty-line' }, text);

/**
 * A button for an action that needs a role: disabled (with a tooltip) when the role lacks it.
 * @param {string} role
 * @param {Object} attrs
 * @param {...any} children
 */
export function roleButton(role, attrs, ...children) {
  const allowed = can(role);
  return h(
    'button',
    {
      type: 'button',
      ...attrs,
      disabled: !allowed || attrs.disabled,
      title: allowed ? attrs.title : needs(role),
    },
    ...children,
  );
}

/** A scrollable table wrapper. */
export function table(attrs, head, rows) {
  return h(
    'div',
    { class: 'table-wrap' },
    h('table', { class: 'table', ...attrs }, h('thead', {}, h('tr', {}, head.map((c) => h('th', { scope: 'col' }, c)))), h('tbody', {}, rows)),
  );
}

/** Key/value list. */
export function facts(pairs) {
  return h(
    'dl',
    { class: 'facts' },
    pairs.filter(Boolean).map(([k, v]) => h('div', { class: 'fact' }, h('dt', {}, k), h('dd', {}, v))),
  );
}

/** Run an action with a busy button and report its result as a toast. */
export async function act(button, fn, okMessage) {
  if (button) button.disabled = true;
  try {
    const result = await fn();
    if (okMessage) toast(typeof okMessage === 'function' ? okMessage(result) : okMessage, 'ok');
    return result;
  } catch (e) {
    toast(e.message || String(e), 'error');
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}
