// A generic admin table of one kind of record (variables, connections, pools, ...):
// listed live, created and edited in a dialog, deleted after a confirmation.

import { api } from '../../api.js';
import { h, morph } from '../../dom.js';
import { poll } from '../../poll.js';
import { can, needs } from '../../session.js';
import { confirmDialog, empty, errorBox, loading, openDialog, toast } from '../../widgets.js';

/**
 * @typedef {Object} Field
 * @property {string} name
 * @property {string} label
 * @property {'text'|'textarea'|'number'|'password'|'select'|'json'} [type]
 * @property {string[]} [options] for a select
 * @property {boolean} [required]
 * @property {boolean} [key] the record's id: read-only when editing
 * @property {string} [hint]
 * @property {string} [placeholder]
 */

/**
 * @typedef {Object} ResourceSpec
 * @property {string} title
 * @property {string} noun "variable"
 * @property {string} testid prefix of data-testid hooks, e.g. "variable"
 * @property {string} role role needed to change records
 * @property {(signal: AbortSignal) => Promise<Object[]>} list
 * @property {(item: Object) => string} id
 * @property {[string, (item: Object) => any][]} columns
 * @property {Field[]} [fields] the form; none: read-only
 * @property {(item: Object|null) => Object} [initial] form values for a record (null: new)
 * @property {(values: Object, item: Object|null) => {id: string, body: Object, method?: string}} [toRequest]
 *   the request that saves the form (PUT unless it names another method)
 * @property {(id: string) => string} [path] API path of one record
 * @property {boolean|((item: Object) => boolean)} [deletable] whether records (or which) can be deleted
 * @property {(item: Object|null) => Node|null} [formNote]
 * @property {(result: any) => void} [afterSave]
 * @property {string} [emptyText]
 */

/** @param {ResourceSpec} spec */
export function resource(spec) {
  const state = { items: null, error: null, filter: '' };
  const allowed = can(spec.role);
  const filter = h('input', {
    type: 'search',
    placeholder: `Filter ${spec.title.toLowerCase()}`,
    'aria-label': `Filter ${spec.title.toLowerCase()}`,
    onInput: () => {
      state.filter = filter.value.toLowerCase();
      render();
    },
  });
  const body = h('div', { class: 'res-body' }, loading());
  const el = h(
    'section',
    { class: 'resource', 'data-testid': `${spec.testid}-section` },
    h(
      'div',
      { class: 'toolbar' },
      filter,
      h('span', { class: 'spacer' }),
      spec.fields
        ? h(
            'button',
            { type: 'button', class: 'btn primary', disabled: !allowed, title: allowed ? null : needs(spec.role), 'data-testid': 'add-button', onClick: () => edit(null) },
            `+ Add ${spec.noun}`,
          )
        : null,
    ),
    body,
  );

  function render() {
    if (!state.items) {
      if (state.error) morph(body, h('div', { class: 'res-body' }, errorBox(state.error)));
      return;
    }
    const items = state.items.filter((it) => !state.filter || JSON.stringify(it).toLowerCase().includes(state.filter));
    const hasActions = spec.fields || spec.deletable;
    morph(
      body,
      h(
        'div',
        { class: 'res-body' },
        state.items.length === 0
          ? empty(spec.emptyText || `No ${spec.title.toLowerCase()} yet.`)
          : items.length === 0
            ? empty('Nothing matches the filter.')
            : h(
                'div',
                { class: 'table-wrap' },
                h(
                  'table',
                  { class: 'table', 'data-testid': `${spec.testid}-table` },
                  h('thead', {}, h('tr', {}, spec.columns.map(([c]) => h('th', { scope: 'col' }, c)), hasActions ? h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')) : null)),
                  h(
                    'tbody',
                    {},
                    items.map((it) =>
                      h(
                        'tr',
                        { key: spec.id(it), 'data-testid': `${spec.testid}-row`, 'data-id': spec.id(it) },
                        spec.columns.map(([, f]) => h('td', {}, f(it))),
                        hasActions
                          ? h(
                              'td',
                              { class: 'row-actions' },
                              spec.fields
                                ? h('button', { type: 'button', class: 'btn small', disabled: !allowed, title: allowed ? null : needs(spec.role), 'data-testid': 'edit-button', onClick: () => edit(it) }, 'Edit')
                                : null,
                              (typeof spec.deletable === 'function' ? spec.deletable(it) : spec.deletable)
                                ? h('button', { type: 'button', class: 'btn small danger', disabled: !allowed, title: allowed ? null : needs(spec.role), 'data-testid': 'delete-button', onClick: (ev) => remove(it, ev.currentTarget) }, 'Delete')
                                : null,
                            )
                          : null,
                      ),
                    ),
                  ),
                ),
              ),
      ),
    );
  }

  function edit(item) {
    const values = spec.initial(item);
    const inputs = {};
    const error = h('p', { class: 'form-error', role: 'alert' });
    const fields = spec.fields.map((f) => {
      const id = `f-${spec.testid}-${f.name}`;
      let input;
      const common = { id, name: f.name, 'data-testid': `${spec.testid}-${f.name}`, required: f.required && !(item && f.key), placeholder: f.placeholder };
      if (f.type === 'textarea' || f.type === 'json') {
        input = h('textarea', { ...common, rows: f.type === 'json' ? '5' : '4', class: f.type === 'json' ? 'code-input' : null, spellcheck: 'false', value: values[f.name] ?? '' });
      } else if (f.type === 'select') {
        input = h('select', { ...common }, f.options.map((o) => h('option', { value: o }, o)));
        input.value = values[f.name] ?? f.options[0];
      } else {
        input = h('input', {
          ...common,
          type: f.type === 'number' ? 'number' : f.type === 'password' ? 'password' : 'text',
          autocomplete: f.type === 'password' ? 'new-password' : 'off',
          value: values[f.name] ?? '',
          readonly: Boolean(item && f.key),
        });
      }
      inputs[f.name] = input;
      return h('div', { class: 'field' }, h('label', { for: id }, f.label, f.required ? null : h('span', { class: 'muted small' }, ' (optional)')), input, f.hint ? h('p', { class: 'muted small hint' }, f.hint) : null);
    });
    const save = h('button', { type: 'submit', class: 'btn primary', 'data-testid': 'save' }, item ? 'Save' : `Add ${spec.noun}`);
    const form = h(
      'form',
      {
        class: 'form',
        onSubmit: async (ev) => {
          ev.preventDefault();
          const vals = {};
          for (const [k, input] of Object.entries(inputs)) vals[k] = input.value;
          for (const f of spec.fields) {
            if (f.required && !vals[f.name].trim()) {
              error.textContent = `${f.label} is needed.`;
              inputs[f.name].focus();
              return;
            }
            if (f.type === 'json' && vals[f.name].trim()) {
              try {
                const v = JSON.parse(vals[f.name]);
                if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('must be a JSON object');
              } catch (e) {
                error.textContent = `${f.label}: ${e.message}`;
                inputs[f.name].focus();
                return;
              }
            }
          }
          let req;
          try {
            req = spec.toRequest(vals, item);
          } catch (e) {
            error.textContent = e.message;
            return;
          }
          save.disabled = true;
          try {
            const result = await api(req.method || 'PUT', spec.path(req.id), req.body);
            d.close();
            toast(`${cap(spec.noun)} ${req.id} ${item ? 'saved' : 'added'}`);
            spec.afterSave?.(result);
            poller.now();
          } catch (e) {
            error.textContent = e.message;
            save.disabled = false;
          }
        },
      },
      spec.formNote ? spec.formNote(item) : null,
      fields,
      error,
      h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn', onClick: () => d.close() }, 'Cancel'), save),
    );
    const d = openDialog({ title: item ? `Edit ${spec.noun} ${spec.id(item)}` : `Add a ${spec.noun}`, body: form, testid: `${spec.testid}-dialog` });
    const first = spec.fields.find((f) => !(item && f.key));
    if (first) inputs[first.name].focus();
  }

  async function remove(item, button) {
    const id = spec.id(item);
    const ok = await confirmDialog({ title: `Delete ${spec.noun}`, message: `Delete ${spec.noun} ${id}? This cannot be undone.`, confirm: 'Delete', danger: true });
    if (!ok) return;
    button.disabled = true;
    try {
      await api('DELETE', spec.path(id));
      toast(`${cap(spec.noun)} ${id} deleted`);
      poller.now();
    } catch (e) {
      toast(e.message, 'error');
      button.disabled = false;
    }
  }

  async function refresh(signal) {
    try {
      state.items = await spec.list(signal);
      state.error = null;
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      state.error = e;
    }
    render();
  }

  const poller = poll(refresh, 3000);
  return { el, destroy: () => poller.stop() };
}

const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);
