// Tokens of the tenant (its admins only): list, make (shown once), revoke.

import { api, get, seg } from '../../api.js';
import { h, morph } from '../../dom.js';
import { timeEl } from '../../format.js';
import { poll } from '../../poll.js';
import { session } from '../../session.js';
import { confirmDialog, empty, errorBox, loading, openDialog, toast } from '../../widgets.js';

const ROLES = ['viewer', 'operator', 'editor', 'admin'];

export function tokens() {
  const state = { tokens: null, error: null };
  const body = h('div', { class: 'res-body' }, loading());
  const el = h(
    'section',
    { class: 'resource', 'data-testid': 'token-section' },
    h('div', { class: 'toolbar' }, h('span', { class: 'spacer' }), h('button', { type: 'button', class: 'btn primary', onClick: create }, '+ Make a token')),
    body,
  );

  function render() {
    if (!state.tokens) {
      if (state.error) morph(body, h('div', { class: 'res-body' }, errorBox(state.error)));
      return;
    }
    morph(
      body,
      h(
        'div',
        { class: 'res-body' },
        state.tokens.length === 0
          ? empty('No tokens.')
          : h(
              'div',
              { class: 'table-wrap' },
              h(
                'table',
                { class: 'table' },
                h('thead', {}, h('tr', {}, ['Name', 'Id', 'Role', 'State', 'Created', 'Expires', ''].map((c) => h('th', { scope: 'col' }, c)))),
                h(
                  'tbody',
                  {},
                  state.tokens.map((t) =>
                    h(
                      'tr',
                      { key: t.token_id, class: t.state !== 'live' ? 'gone' : null },
                      h('td', {}, t.name, session.who && session.who.token_id === t.token_id ? h('span', { class: 'chip' }, 'this session') : null),
                      h('td', { class: 'mono small' }, t.token_id),
                      h('td', {}, t.role),
                      h('td', {}, h('span', { class: `badge tk-${t.state}` }, t.state)),
                      h('td', {}, timeEl(t.created_at)),
                      h('td', {}, t.expires_at ? timeEl(t.expires_at) : h('span', { class: 'muted' }, 'never')),
                      h('td', { class: 'row-actions' }, t.state === 'live' ? h('button', { type: 'button', class: 'btn small danger', onClick: (ev) => revoke(t, ev.currentTarget) }, 'Revoke') : null),
                    ),
                  ),
                ),
              ),
            ),
      ),
    );
  }

  function create() {
    const name = h('input', { id: 'tk-name', required: true, autocomplete: 'off' });
    const role = h('select', { id: 'tk-role' }, ROLES.map((r) => h('option', { value: r }, r)));
    const expires = h('input', { id: 'tk-exp', placeholder: '90d, 12h — empty: until revoked', autocomplete: 'off' });
    const error = h('p', { class: 'form-error', role: 'alert' });
    const form = h(
      'form',
      {
        class: 'form',
        onSubmit: async (ev) => {
          ev.preventDefault();
          if (!name.value.trim()) {
            error.textContent = 'A name is needed.';
            return;
          }
          try {
            const t = await api('POST', '/tokens', { name: name.value.trim(), role: role.value, expires_in: expires.value.trim() || null });
            d.close();
            showToken(t);
            poller.now();
          } catch (e) {
            error.textContent = e.message;
          }
        },
      },
      h('div', { class: 'field' }, h('label', { for: 'tk-name' }, 'Name'), name),
      h('div', { class: 'field' }, h('label', { for: 'tk-role' }, 'Role'), role),
      h('div', { class: 'field' }, h('label', { for: 'tk-exp' }, 'Expires in'), expires),
      error,
      h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn', onClick: () => d.close() }, 'Cancel'), h('button', { type: 'submit', class: 'btn primary' }, 'Make token')),
    );
    const d = openDialog({ title: 'Make a token', body: form });
    name.focus();
  }

  function showToken(t) {
    const field = h('input', { readonly: true, value: t.token, class: 'mono', 'aria-label': 'The new token' });
    openDialog({
      title: `Token ${t.name}`,
      body: [
        h('p', {}, 'Copy the token now: it is shown this once.'),
        field,
        h('button', {
          type: 'button',
          class: 'btn small',
          onClick: async () => {
            try {
              await navigator.clipboard.writeText(t.token);
              toast('Copied');
            } catch {
              field.select();
            }
          },
        }, 'Copy'),
      ],
    });
    field.select();
  }

  async function revoke(t, button) {
    const ok = await confirmDialog({ title: 'Revoke token', message: `Revoke the token ${t.name} (${t.token_id})? Whoever uses it is refused from now on.`, confirm: 'Revoke', danger: true });
    if (!ok) return;
    button.disabled = true;
    try {
      await api('DELETE', `/tokens/${seg(t.token_id)}`);
      toast(`Token ${t.name} revoked`);
      poller.now();
    } catch (e) {
      toast(e.message, 'error');
      button.disabled = false;
    }
  }

  async function refresh(signal) {
    try {
      state.tokens = (await get('/tokens', { signal })).tokens;
      state.error = null;
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      state.error = e;
    }
    render();
  }

  const poller = poll(refresh, 5000);
  return { el, destroy: () => poller.stop() };
}
