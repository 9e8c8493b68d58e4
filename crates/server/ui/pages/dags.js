// The DAGs list: search, tag and paused filters, pause toggles, recent run states,
// next scheduled run, task counts.

import { api, get, seg } from '../api.js';
import { h, morph, morphInner } from '../dom.js';
import { isoUtc, timeEl } from '../format.js';
import { poll } from '../poll.js';
import { link, setQuery } from '../router.js';
import { can, needs } from '../session.js';
import { dot, label } from '../states.js';
import { empty, errorBox, loading, toast } from '../widgets.js';

/** Runs shown per DAG. */
const RECENT = 12;
/** The recent runs of every DAG are one large answer: fetched at most this often (ms). */
const RUNS_EVERY = 10000;
const nextRunCache = new Map(); // dag_id -> {at: ms, value: NextRun|null, schedule}

/** @param {{query: URLSearchParams}} ctx */
export function mount(ctx) {
  const state = {
    dags: null,
    runsByDag: new Map(),
    error: null,
    q: ctx.query.get('q') || '',
    tag: ctx.query.get('tag') || '',
    show: ctx.query.get('show') || 'all',
  };

  const search = h('input', {
    type: 'search',
    placeholder: 'Search DAGs',
    'aria-label': 'Search DAGs by id or description',
    value: state.q,
    'data-testid': 'dag-search',
    onInput: () => {
      state.q = search.value;
      setQuery({ q: state.q });
      render();
    },
  });
  const tagSelect = h('select', {
    'aria-label': 'Filter by tag',
    'data-testid': 'tag-filter',
    onChange: () => {
      state.tag = tagSelect.value;
      setQuery({ tag: state.tag });
      render();
    },
  });
  const showSelect = h(
    'select',
    {
      'aria-label': 'Filter by paused',
      onChange: () => {
        state.show = showSelect.value;
        setQuery({ show: state.show === 'all' ? '' : state.show });
        render();
      },
    },
    h('option', { value: 'all' }, 'All DAGs'),
    h('option', { value: 'active' }, 'Active'),
    h('option', { value: 'paused' }, 'Paused'),
  );
  showSelect.value = state.show;

  const body = h('div', { class: 'dags-body' }, loading());
  const count = h('span', { class: 'muted count' });
  const el = h(
    'section',
    { class: 'page', 'data-testid': 'dags-page' },
    h('div', { class: 'page-head' }, h('h1', {}, 'DAGs'), count),
    h('div', { class: 'toolbar' }, search, tagSelect, showSelect),
    body,
  );

  function filtered() {
    const q = state.q.trim().toLowerCase();
    return (state.dags || []).filter((d) => {
      if (q && !d.dag_id.toLowerCase().includes(q) && !(d.description || '').toLowerCase().includes(q)) return false;
      if (state.tag && !(d.tags || []).includes(state.tag)) return false;
      if (state.show === 'active' && d.paused) return false;
      if (state.show === 'paused' && !d.paused) return false;
      return true;
    });
  }

  function renderTags() {
    const tags = [...new Set((state.dags || []).flatMap((d) => d.tags || []))].sort();
    morphInner(tagSelect, h('option', { value: '' }, 'All tags'), tags.map((t) => h('option', { value: t, key: t }, t)));
    tagSelect.value = state.tag;
  }

  function render() {
    if (state.error && !state.dags) {
      morph(body, h('div', { class: 'dags-body' }, errorBox(state.error)));
      return;
    }
    if (!state.dags) return;
    renderTags();
    const list = filtered();
    count.textContent = `${list.length} of ${state.dags.length}`;
    const view = h(
      'div',
      { class: 'dags-body' },
      state.dags.length === 0
        ? h('div', { class: 'empty' }, h('p', {}, 'No DAGs yet. Deploy one with '), h('pre', { class: 'code' }, 'wfctl deploy my_dag.wasm'))
        : list.length === 0
          ? empty('No DAG matches these filters.')
          : h(
              'div',
              { class: 'table-wrap' },
              h(
                'table',
                { class: 'table dags', 'data-testid': 'dags-table' },
                h(
                  'thead',
                  {},
                  h(
                    'tr',
                    {},
                    h('th', { scope: 'col', class: 'narrow' }, h('span', { class: 'sr-only' }, 'Active')),
                    h('th', { scope: 'col' }, 'DAG'),
                    h('th', { scope: 'col' }, 'Schedule'),
                    h('th', { scope: 'col' }, 'Recent runs'),
                    h('th', { scope: 'col' }, 'Next run'),
                    h('th', { scope: 'col', class: 'num' }, 'Tasks'),
                  ),
                ),
                h('tbody', {}, list.map(row)),
              ),
            ),
    );
    morph(body, view);
  }

  function row(d) {
    const runs = state.runsByDag.get(d.dag_id) || [];
    const next = nextRunCache.get(d.dag_id);
    const allowed = can('operator');
    return h(
      'tr',
      { key: d.dag_id, 'data-testid': 'dag-row', 'data-dag': d.dag_id, class: d.paused ? 'paused' : null },
      h(
        'td',
        { class: 'narrow' },
        h(
          'label',
          { class: 'switch', title: allowed ? (d.paused ? 'Paused: click to unpause' : 'Active: click to pause') : needs('operator') },
          h('input', {
            type: 'checkbox',
            role: 'switch',
            checked: !d.paused,
            disabled: !allowed,
            'aria-label': `${d.paused ? 'Unpause' : 'Pause'} ${d.dag_id}`,
            'data-testid': 'pause-toggle',
            onChange: (ev) => togglePause(d, ev.target),
          }),
          h('span', { class: 'slider', 'aria-hidden': 'true' }),
        ),
      ),
      h(
        'td',
        { class: 'dag-cell' },
        h('a', { href: link('dags', d.dag_id, 'grid'), class: 'dag-link' }, d.dag_id),
        d.paused ? h('span', { class: 'chip muted-chip' }, 'paused') : null,
        d.description ? h('div', { class: 'muted small desc' }, d.description) : null,
        (d.tags || []).length
          ? h(
              'div',
              { class: 'tags' },
              d.tags.map((t) =>
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'chip',
                    title: `Show DAGs tagged ${t}`,
                    onClick: () => {
                      state.tag = t;
                      tagSelect.value = t;
                      setQuery({ tag: t });
                      render();
                    },
                  },
                  t,
                ),
              ),
            )
          : null,
      ),
      h(
        'td',
        {},
        d.schedule ? h('code', { class: 'schedule' }, d.schedule) : h('span', { class: 'muted' }, 'manual only'),
        d.schedule && d.timezone ? h('div', { class: 'muted small' }, d.timezone) : null,
      ),
      h(
        'td',
        {},
        runs.length
          ? h(
              'span',
              { class: 'dots', 'data-testid': 'recent-runs' },
              runs.map((r) =>
                h(
                  'a',
                  {
                    href: link('dags', d.dag_id, 'runs', r.run_id),
                    class: 'dot-link',
                    key: r.run_id,
                    'aria-label': `Run ${r.run_id}: ${label(r.state)}`,
                  },
                  dot(r.state, `${label(r.state)} · ${r.run_id} · ${isoUtc(r.logical_date)}`),
                ),
              ),
            )
          : h('span', { class: 'muted' }, 'no runs'),
      ),
      h('td', {}, nextRunCell(d, next)),
      h('td', { class: 'num' }, String(d.task_count)),
    );
  }

  function nextRunCell(d, next) {
    if (!d.schedule) return h('span', { class: 'muted' }, '—');
    if (!next) return h('span', { class: 'muted' }, '…');
    if (next.continuous) return h('span', {}, 'continuous');
    if (!next.value) return h('span', { class: 'muted' }, 'none');
    return h('span', {}, timeEl(next.value.data_interval_end), h('div', { class: 'muted small', title: 'Logical date' }, next.value.logical_date_local || isoUtc(next.value.logical_date)));
  }

  async function togglePause(d, input) {
    const paused = !input.checked;
    input.disabled = true;
    try {
      await api('PATCH', `/dags/${seg(d.dag_id)}`, { paused });
      d.paused = paused;
      nextRunCache.delete(d.dag_id);
      toast(`${d.dag_id} ${paused ? 'paused' : 'unpaused'}`);
    } catch (e) {
      input.checked = !d.paused;
      toast(e.message, 'error');
    } finally {
      input.disabled = false;
      render();
      poller.now();
    }
  }

  async function refreshNextRuns(signal) {
    const now = Date.now();
    const due = (state.dags || []).filter((d) => {
      if (!d.schedule) return false;
      const c = nextRunCache.get(d.dag_id);
      if (!c || c.schedule !== d.schedule || c.paused !== d.paused) return true;
      const at = c.value && Date.parse(c.value.data_interval_end);
      return now - c.at > 60000 || (at && at < now);
    });
    await Promise.all(
      due.slice(0, 8).map(async (d) => {
        try {
          const r = await get(`/dags/${seg(d.dag_id)}/next-runs?count=1`, { signal, quiet: true });
          nextRunCache.set(d.dag_id, { at: Date.now(), schedule: d.schedule, paused: d.paused, continuous: r.continuous, value: r.runs[0] || null });
        } catch {
          nextRunCache.set(d.dag_id, { at: Date.now(), schedule: d.schedule, paused: d.paused, value: null });
        }
      }),
    );
  }

  let runsAt = 0; // when the recent runs were last asked for

  /** The recent runs, grouped by DAG: at most every RUNS_EVERY, and only on a visible tab. */
  async function refreshRuns(signal) {
    if (document.hidden || Date.now() - runsAt < RUNS_EVERY) return;
    runsAt = Date.now(); // also after a failure: it is tried again RUNS_EVERY later
    const runList = await get(`/runs?limit=1000`, { signal });
    const byDag = new Map();
    for (const r of runList.runs) {
      const list = byDag.get(r.dag_id) || [];
      if (list.length < RECENT) list.push(r);
      byDag.set(r.dag_id, list);
    }
    for (const list of byDag.values()) list.reverse(); // newest last
    state.runsByDag = byDag;
  }

  async function refresh(signal) {
    try {
      const [dagList] = await Promise.all([get('/dags', { signal }), refreshRuns(signal)]);
      state.dags = dagList.dags;
      state.error = null;
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      state.error = e;
    }
    render();
    await refreshNextRuns(signal);
    render();
  }

  const poller = poll(refresh);

  return {
    el,
    update(next) {
      state.q = next.query.get('q') || '';
      state.tag = next.query.get('tag') || '';
      state.show = next.query.get('show') || 'all';
      if (search.value !== state.q && document.activeElement !== search) search.value = state.q;
      showSelect.value = state.show;
      render();
      return true;
    },
    destroy() {
      poller.stop();
    },
  };
}
