// The trigger dialog: a conf editor validated as you type (the parse error's line and
// column shown, submit disabled while invalid), an optional logical date and run id.

import { api, get, seg } from '../api.js';
import { h } from '../dom.js';
import { prettyJson } from '../format.js';
import { link, navigate, withQuery } from '../router.js';
import { openDialog, toast } from '../widgets.js';

/**
 * Check a conf text: a JSON object, or empty (no conf).
 * @param {string} text
 * @returns {{ok: true, value: Object|null} | {ok: false, message: string}}
 */
export function checkConf(text) {
  if (!text.trim()) return { ok: true, value: null };
  try {
    const value = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return { ok: false, message: 'The conf must be a JSON object: { "key": value, … }' };
    }
    return { ok: true, value };
  } catch (e) {
    return { ok: false, message: describeJsonError(text, e.message) };
  }
}

/** "Unexpected token } in JSON at position 12" → "line 2, column 5: Unexpected token }". */
function describeJsonError(text, message) {
  const m = /position (\d+)/.exec(message);
  let where = '';
  if (m) {
    const pos = Number(m[1]);
    const before = text.slice(0, pos);
    const line = before.split('\n').length;
    const col = pos - before.lastIndexOf('\n');
    where = `Line ${line}, column ${col}: `;
  } else if (/end of (JSON|data) input/i.test(message)) {
    const lines = text.split('\n');
    where = `Line ${lines.length}, column ${lines[lines.length - 1].length + 1}: `;
  }
  const clean = message.replace(/^JSON\.parse: /, '').replace(/ in JSON at position \d+( \(line \d+ column \d+\))?/, '').replace(/^SyntaxError: /, '');
  return `${where}${clean}`;
}

/**
 * Open the trigger dialog for a DAG.
 * @param {{dag: Object, dagId: string}} shared
 */
export function openTrigger(shared) {
  const dagId = shared.dagId;
  const conf = h('textarea', {
    class: 'code-input',
    rows: '10',
    spellcheck: 'false',
    autocapitalize: 'off',
    'aria-label': 'Conf (JSON object)',
    'aria-describedby': 'conf-error',
    id: 'conf',
    'data-testid': 'conf-editor',
    value: '{}',
  });
  const confError = h('p', { class: 'form-error', id: 'conf-error', 'aria-live': 'polite', 'data-testid': 'conf-error' });
  const date = h('input', { type: 'datetime-local', step: '1', id: 'logical-date', 'data-testid': 'logical-date' });
  const runId = h('input', { type: 'text', id: 'run-id', placeholder: 'manual__<logical date>', autocomplete: 'off', 'data-testid': 'run-id' });
  const formError = h('p', { class: 'form-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'btn primary', 'data-testid': 'trigger-submit' }, 'Trigger');
  const lastConf = h('button', { type: 'button', class: 'btn small', hidden: true, onClick: useLast }, 'Use the latest run’s conf');
  let latest = null;

  function validate() {
    const r = checkConf(conf.value);
    conf.classList.toggle('invalid', !r.ok);
    conf.setAttribute('aria-invalid', String(!r.ok));
    confError.textContent = r.ok ? '' : r.message;
    submit.disabled = !r.ok;
    return r;
  }
  conf.addEventListener('input', validate);
  conf.addEventListener('keydown', (ev) => {
    if (ev.key === 'Tab' && !ev.shiftKey && ev.ctrlKey) return;
    if ((ev.ctrlKey || ev.metaKey) && ev.key === 'Enter') {
      ev.preventDefault();
      form.requestSubmit();
    }
  });

  function useLast() {
    if (latest) {
      conf.value = prettyJson(latest);
      validate();
    }
  }

  const form = h(
    'form',
    { class: 'form', novalidate: true, onSubmit: onSubmit },
    h('label', { for: 'conf' }, 'Conf ', h('span', { class: 'muted small' }, '(a JSON object; Ctrl+Enter triggers)')),
    conf,
    confError,
    lastConf,
    h(
      'div',
      { class: 'form-row' },
      h('div', { class: 'field' }, h('label', { for: 'logical-date' }, 'Logical date ', h('span', { class: 'muted small' }, '(UTC, optional)')), date),
      h('div', { class: 'field' }, h('label', { for: 'run-id' }, 'Run id ', h('span', { class: 'muted small' }, '(optional)')), runId),
    ),
    formError,
    h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn', onClick: () => d.close() }, 'Cancel'), submit),
  );

  async function onSubmit(ev) {
    ev.preventDefault();
    const r = validate();
    if (!r.ok) return;
    const body = {};
    if (r.value) body.conf = r.value;
    if (date.value) {
      const v = date.value.length === 16 ? `${date.value}:00` : date.value;
      body.logical_date = `${v}Z`;
    }
    if (runId.value.trim()) body.run_id = runId.value.trim();
    submit.disabled = true;
    formError.textContent = '';
    try {
      const run = await api('POST', `/dags/${seg(dagId)}/runs`, body);
      d.close();
      toast(`Triggered ${run.run_id}`);
      navigate(withQuery(link('dags', dagId, 'grid'), { run: run.run_id }));
    } catch (e) {
      formError.textContent = e.message;
      submit.disabled = false;
    }
  }

  const d = openDialog({ title: `Trigger ${dagId}`, body: form, testid: 'trigger-dialog', wide: true });
  validate();
  conf.focus();
  conf.select();
  get(`/dags/${seg(dagId)}/runs?limit=1`, { quiet: true })
    .then((r) => {
      const c = r.runs[0] && r.runs[0].conf;
      if (c && Object.keys(c).length) {
        latest = c;
        lastConf.hidden = false;
      }
    })
    .catch(() => {});
}
