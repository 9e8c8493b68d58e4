// The grid: one column per run (oldest left, newest right), one row per task in
// topological order, cells coloured by state; a side panel shows the selected run or
// task instance. Arrow keys move between cells.

import { h, morph } from '../dom.js';
import { between, duration, isoUtc } from '../format.js';
import { gridRuns, taskOrder, tiByTask } from '../data.js';
import { poll } from '../poll.js';
import { link, navigate, setQuery, withQuery } from '../router.js';
import { glyph, label, legend, stateClass } from '../states.js';
import { empty, errorBox, loading } from '../widgets.js';
import * as task from './task.js';
import * as run from './run.js';

const LIMITS = [10, 25, 50, 100];

/**
 * @param {{params: Object, query: URLSearchParams}} ctx
 * @param {{dag: Object, dagId: string}} shared
 */
export function mount(ctx, shared) {
  const dagId = shared.dagId;
  const state = { runs: null, error: null, sel: selection(ctx.query), limit: limitOf(ctx.query) };
  const limitSelect = h(
    'select',
    {
      'aria-label': 'Runs shown',
      onChange: () => setQuery({ runs: limitSelect.value === '25' ? '' : limitSelect.value }),
    },
    LIMITS.map((n) => h('option', { value: String(n) }, `${n} runs`)),
  );
  limitSelect.value = String(state.limit);
  const table = h('div', { class: 'grid-scroll' }, loading());
  const panel = h('aside', { class: 'panel', 'aria-label': 'Details', hidden: true });
  const el = h(
    'div',
    { class: 'grid-layout' },
    h(
      'div',
      { class: 'grid-main' },
      h('div', { class: 'toolbar' }, limitSelect, h('details', { class: 'legend-box' }, h('summary', {}, 'Legend'), legend())),
      table,
    ),
    panel,
  );
  let panelView = null;
  let panelKey = '';

  function gridHref(sel) {
    return withQuery(link('dags', dagId, 'grid'), {
      runs: state.limit === 25 ? '' : state.limit,
      run: sel.run,
      task: sel.task,
      map_index: sel.map_index,
      try: sel.try,
    });
  }

  function render() {
    if (!state.runs) {
      if (state.error) morph(table, h('div', { class: 'grid-scroll' }, errorBox(state.error)));
      return;
    }
    const dag = shared.dag;
    const runs = state.runs.slice().reverse(); // oldest left
    const tasks = taskOrder(dag, runs);
    const byRun = runs.map((r) => tiByTask(r));
    const maxDur = Math.max(1, ...runs.map((r) => between(r.started_at, r.ended_at) || 0));
    const mapCount = new Map();
    for (const m of byRun) for (const [t, ti] of m) if (ti.map_count != null) mapCount.set(t, ti.map_count);
    const sel = state.sel;

    const headRow = h(
      'tr',
      {},
      h('th', { class: 'corner', scope: 'col' }, h('span', { class: 'muted small' }, `${runs.length} ${runs.length === 1 ? 'run' : 'runs'}`)),
      runs.map((r, c) => {
        const d = between(r.started_at, r.ended_at);
        const pct = d ? Math.max(8, Math.round((d / maxDur) * 100)) : 8;
        return h(
          'th',
          { scope: 'col', key: r.run_id, class: ['run-col', sel.run === r.run_id && 'selected'] },
          h(
            'a',
            {
              href: gridHref({ run: r.run_id }),
              class: `run-bar ${stateClass(r.state)}`,
              'data-testid': 'grid-run',
              'data-run': r.run_id,
              'data-state': r.state,
              'data-r': '-1',
              'data-c': String(c),
              title: `${r.run_id}\n${label(r.state)} · ${r.run_type}\nlogical date ${isoUtc(r.logical_date)}\nduration ${duration(d)}`,
              'aria-label': `Run ${r.run_id}, ${label(r.state)}`,
            },
            h('span', { class: 'bar', style: { height: `${pct}%` } }),
          ),
        );
      }),
    );

    const rows = tasks.map((t, r) =>
      h(
        'tr',
        { key: t, class: sel.task === t ? 'selected' : null },
        h(
          'th',
          { scope: 'row', class: 'task-name', title: t },
          h('span', { class: 'name' }, t),
          mapCount.has(t) ? h('span', { class: 'map-count', title: `Mapped into ${mapCount.get(t)} instances` }, `[${mapCount.get(t)}]`) : null,
        ),
        runs.map((run, c) => {
          const ti = byRun[c].get(t);
          if (!ti) return h('td', { key: run.run_id, class: 'cell-td' }, h('span', { class: 'cell absent', title: `${t} is not in run ${run.run_id}` }));
          const selected = sel.task === t && sel.run === run.run_id;
          return h(
            'td',
            { key: run.run_id, class: 'cell-td' },
            h(
              'a',
              {
                href: gridHref({ run: run.run_id, task: t }),
                class: ['cell', stateClass(ti.state), selected && 'selected'],
                'data-testid': 'grid-cell',
                'data-task': t,
                'data-run': run.run_id,
                'data-state': ti.state,
                'data-try': String(ti.try_number),
                'data-r': String(r),
                'data-c': String(c),
                'aria-current': selected ? 'true' : null,
                title: `${t} · ${label(ti.state)}\n${run.run_id}${ti.try_number > 1 ? `\ntry ${ti.try_number}` : ''}${ti.duration_ms != null ? `\n${duration(ti.duration_ms)}` : ''}${ti.map_count != null ? `\n${ti.map_count} mapped instances` : ''}`,
                'aria-label': `${t} in run ${run.run_id}: ${label(ti.state)}`,
              },
              glyph(ti.state),
            ),
          );
        }),
      ),
    );

    morph(
      table,
      h(
        'div',
        { class: 'grid-scroll' },
        runs.length === 0
          ? empty('No runs yet. Trigger one with the button above.')
          : h('table', { class: 'grid', 'data-testid': 'grid', onKeydown: onKey }, h('thead', {}, headRow), h('tbody', {}, rows)),
      ),
    );
  }

  /** Arrow keys move focus between the run bars and cells. */
  function onKey(ev) {
    const from = ev.target.closest('[data-r]');
    if (!from) return;
    let r = Number(from.dataset.r);
    let c = Number(from.dataset.c);
    if (ev.key === 'ArrowLeft') c -= 1;
    else if (ev.key === 'ArrowRight') c += 1;
    else if (ev.key === 'ArrowUp') r -= 1;
    else if (ev.key === 'ArrowDown') r += 1;
    else if (ev.key === 'Home') c = 0;
    else if (ev.key === 'End') c = 1e6;
    else return;
    const all = table.querySelectorAll(`[data-r="${r}"]`);
    if (!all.length) return;
    const target = table.querySelector(`[data-r="${r}"][data-c="${Math.min(Math.max(c, 0), all.length - 1)}"]`);
    if (target) {
      ev.preventDefault();
      target.focus();
    }
  }

  function renderPanel() {
    const sel = state.sel;
    const key = sel.task ? `t\n${sel.run}\n${sel.task}` : sel.run ? `r\n${sel.run}` : '';
    if (key === panelKey) {
      if (panelView && sel.task) panelView.update?.(panelCtx(sel));
      return;
    }
    panelView?.destroy?.();
    panelView = null;
    panelKey = key;
    if (!key) {
      panel.hidden = true;
      panel.replaceChildren();
      el.classList.remove('with-panel');
      return;
    }
    const opts = {
      panel: true,
      hrefFor: (p) => gridHref({ run: p.run, task: p.task, map_index: p.map_index, try: p.try }),
    };
    panelView = sel.task ? task.mount(panelCtx(sel), shared, opts) : run.mount(panelCtx(sel), shared, opts);
    const full = sel.task
      ? withQuery(link('dags', dagId, 'runs', sel.run, 'tasks', sel.task), { map_index: sel.map_index, try: sel.try })
      : link('dags', dagId, 'runs', sel.run);
    panel.replaceChildren(
      h(
        'div',
        { class: 'panel-head' },
        h('a', { href: full, class: 'small' }, 'Open as page ↗'),
        h('a', { href: gridHref({}), class: 'icon-btn', 'aria-label': 'Close details', 'data-testid': 'panel-close' }, '✕'),
      ),
      panelView.el,
    );
    panel.hidden = false;
    el.classList.add('with-panel');
  }

  function panelCtx(sel) {
    const query = new URLSearchParams();
    if (sel.map_index) query.set('map_index', sel.map_index);
    if (sel.try) query.set('try', sel.try);
    return { params: { dag: dagId, run: sel.run, task: sel.task }, query };
  }

  async function refresh(signal) {
    try {
      state.runs = await gridRuns(dagId, state.limit, signal);
      state.error = null;
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      state.error = e;
    }
    render();
  }

  function onEscape(ev) {
    if (ev.key === 'Escape' && panelKey && !document.querySelector('dialog[open]')) navigate(gridHref({}));
  }
  document.addEventListener('keydown', onEscape);

  const poller = poll(refresh);
  renderPanel();

  return {
    el,
    update(next) {
      state.sel = selection(next.query);
      const limit = limitOf(next.query);
      limitSelect.value = String(limit);
      if (limit !== state.limit) {
        state.limit = limit;
        poller.now();
      }
      render();
      renderPanel();
    },
    dagChanged() {
      render();
    },
    destroy() {
      poller.stop();
      panelView?.destroy?.();
      document.removeEventListener('keydown', onEscape);
    },
  };
}

function selection(query) {
  return {
    run: query.get('run') || '',
    task: query.get('task') || '',
    map_index: query.get('map_index') || '',
    try: query.get('try') || '',
  };
}

function limitOf(query) {
  const n = Number(query.get('runs') || 25);
  return LIMITS.includes(n) ? n : 25;
}
