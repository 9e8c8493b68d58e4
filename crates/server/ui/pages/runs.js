// Lists of runs: a DAG's (its "runs" tab, with the trigger button) or every DAG's
// (/ui/runs), with a state filter kept in the URL.

import { get, qs, seg } from '../api.js';
import { h, morph } from '../dom.js';
import { between, duration, isoUtc, prettyJson, timeEl } from '../format.js';
import { poll } from '../poll.js';
import { link, setQuery } from '../router.js';
import { badge, label, RUN_STATES } from '../states.js';
import { empty, errorBox, loading, roleButton } from '../widgets.js';
import { openTrigger } from './trigger.js';

/**
 * @param {{query: URLSearchParams}} ctx
 * @param {{dag: Object, dagId: string}} [shared] given on a DAG's tab
 */
export function mount(ctx, shared) {
  const dagId = shared ? shared.dagId : null;
  const state = { runs: null, error: null, filter: ctx.query.get('state') || '', limit: 100 };
  const stateSelect = h(
    'select',
    {
      'aria-label': 'Filter by state',
      'data-testid': 'run-state-filter',
      onChange: () => setQuery({ state: stateSelect.value }),
    },
    h('option', { value: '' }, 'All states'),
    RUN_STATES.map((s) => h('option', { value: s }, label(s))),
  );
  stateSelect.value = state.filter;
  const body = h('div', { class: 'runs-body' }, loading());
  const more = h('button', { type: 'button', class: 'btn small', hidden: true, onClick: () => { state.limit += 100; poller.now(); } }, 'Show more');
  const el = h(
    'section',
    { class: ['runs-view', !shared && 'page'], 'data-testid': 'runs-page' },
    shared ? null : h('div', { class: 'page-head' }, h('h1', {}, 'Runs')),
    h(
      'div',
      { class: 'toolbar' },
      stateSelect,
      h('span', { class: 'spacer' }),
      shared ? roleButton('operator', { class: 'btn primary', onClick: () => openTrigger(shared) }, '▶ Trigger') : null,
    ),
    body,
    more,
  );

  function render() {
    if (!state.runs) {
      if (state.error) morph(body, h('div', { class: 'runs-body' }, errorBox(state.error)));
      return;
    }
    more.hidden = state.runs.length < state.limit;
    const head = ['State', !dagId && 'DAG', 'Run', 'Type', 'Logical date', 'Started', 'Duration', 'Conf'].filter(Boolean);
    morph(
      body,
      h(
        'div',
        { class: 'runs-body' },
        state.runs.length === 0
          ? empty(state.filter ? `No ${label(state.filter)} runs.` : 'No runs yet.')
          : h(
              'div',
              { class: 'table-wrap' },
              h(
                'table',
                { class: 'table', 'data-testid': 'runs-table' },
                h('thead', {}, h('tr', {}, head.map((c) => h('th', { scope: 'col' }, c)))),
                h(
                  'tbody',
                  {},
                  state.runs.map((r) => {
                    const confText = r.conf && Object.keys(r.conf).length ? JSON.stringify(r.conf) : '';
                    return h(
                      'tr',
                      { key: `${r.dag_id}\n${r.run_id}`, 'data-testid': 'run-row', 'data-run': r.run_id, 'data-state': r.state },
                      h('td', {}, badge(r.state)),
                      dagId ? null : h('td', {}, h('a', { href: link('dags', r.dag_id, 'grid') }, r.dag_id)),
                      h('td', { class: 'run-id' }, h('a', { href: link('dags', r.dag_id, 'runs', r.run_id) }, r.run_id)),
                      h('td', {}, r.run_type.replace(/_/g, ' ')),
                      h('td', {}, h('span', { title: isoUtc(r.logical_date) }, isoUtc(r.logical_date).slice(0, 19).replace('T', ' '))),
                      h('td', {}, timeEl(r.started_at)),
                      h('td', {}, r.started_at ? duration(between(r.started_at, r.ended_at)) : '—'),
                      h('td', { class: 'conf-cell' }, confText ? h('code', { title: prettyJson(r.conf) }, confText.length > 60 ? `${confText.slice(0, 60)}…` : confText) : h('span', { class: 'muted' }, '{}')),
                    );
                  }),
                ),
              ),
            ),
      ),
    );
  }

  async function refresh(signal) {
    try {
      const q = qs({ state: state.filter, limit: state.limit, dag_id: dagId ? null : ctx.query.get('dag_id') });
      const r = await get(dagId ? `/dags/${seg(dagId)}/runs${q}` : `/runs${q}`, { signal });
      state.runs = r.runs;
      state.error = null;
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      state.error = e;
    }
    render();
  }

  const poller = poll(refresh);
  return {
    el,
    update(next) {
      const f = next.query.get('state') || '';
      if (f !== state.filter) {
        state.filter = f;
        stateSelect.value = f;
        state.runs = null;
        body.replaceChildren(loading());
        poller.now();
      }
      return true;
    },
    destroy() {
      poller.stop();
    },
  };
}
