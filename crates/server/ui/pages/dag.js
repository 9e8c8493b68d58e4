// A DAG: its header (pause, trigger, schedule) and tabs, each a URL: grid, graph, runs,
// versions, details; and the pages of one run and one task instance.

import { api, get, seg } from '../api.js';
import { h, morph } from '../dom.js';
import { isoUtc, timeEl } from '../format.js';
import { poll } from '../poll.js';
import { link } from '../router.js';
import { can, needs } from '../session.js';
import { errorBox, loading, notFound, roleButton, tabs, toast } from '../widgets.js';
import * as grid from './grid.js';
import * as graph from './graph.js';
import * as runs from './runs.js';
import * as versions from './versions.js';
import * as details from './details.js';
import * as run from './run.js';
import * as task from './task.js';
import { openTrigger } from './trigger.js';

const TABS = [
  ['grid', 'Grid'],
  ['graph', 'Graph'],
  ['runs', 'Runs'],
  ['versions', 'Versions'],
  ['details', 'Details'],
];
const VIEWS = { grid, graph, runs, versions, details, run, task };

function viewOf(ctx) {
  if (ctx.params.task) return 'task';
  if (ctx.params.run) return 'run';
  return ctx.params.tab || 'grid';
}

/** @param {{params: Object, query: URLSearchParams}} ctx */
export function mount(ctx) {
  const dagId = ctx.params.dag;
  /** Shared with the tab views: the DAG as last fetched. */
  const shared = { dag: null, dagId };
  const head = h('div', { class: 'dag-head' }, loading());
  const tabBar = h('div', { class: 'tab-bar' });
  const content = h('div', { class: 'dag-content' });
  const el = h('section', { class: 'page dag-page', 'data-testid': 'dag-page', 'data-dag': dagId }, head, tabBar, content);
  let current = ctx;
  let sub = null;
  let subKey = '';
  let missing = false;
  let nextRun = null;

  function renderHead() {
    const d = shared.dag;
    if (!d) return;
    const view = viewOf(current);
    const allowed = can('operator');
    morph(
      head,
      h(
        'div',
        { class: 'dag-head' },
        h(
          'nav',
          { class: 'crumbs', 'aria-label': 'Breadcrumbs' },
          h('a', { href: link('dags') }, 'DAGs'),
          h('span', { 'aria-hidden': 'true' }, '/'),
          h('a', { href: link('dags', dagId, 'grid'), 'aria-current': view === 'grid' ? 'page' : null }, dagId),
          current.params.run ? [h('span', { 'aria-hidden': 'true' }, '/'), h('a', { href: link('dags', dagId, 'runs', current.params.run) }, current.params.run)] : null,
          current.params.task ? [h('span', { 'aria-hidden': 'true' }, '/'), h('span', {}, current.params.task)] : null,
        ),
        h(
          'div',
          { class: 'title-row' },
          h(
            'label',
            { class: 'switch', title: allowed ? (d.paused ? 'Paused: click to unpause' : 'Active: click to pause') : needs('operator') },
            h('input', {
              type: 'checkbox',
              role: 'switch',
              checked: !d.paused,
              disabled: !allowed,
              'aria-label': d.paused ? `Unpause ${dagId}` : `Pause ${dagId}`,
              'data-testid': 'dag-pause',
              onChange: (ev) => setPaused(!ev.target.checked, ev.target),
            }),
            h('span', { class: 'slider', 'aria-hidden': 'true' }),
          ),
          h('h1', { class: 'dag-title' }, dagId),
          d.paused ? h('span', { class: 'chip muted-chip' }, 'paused') : null,
          h('span', { class: 'spacer' }),
          roleButton(
            'operator',
            { class: 'btn primary', 'data-testid': 'trigger-button', onClick: () => openTrigger(shared) },
            '▶ Trigger',
          ),
        ),
        h(
          'div',
          { class: 'dag-meta' },
          d.description ? h('span', { class: 'desc' }, d.description) : null,
          h('span', {}, h('span', { class: 'muted' }, 'Schedule '), d.schedule ? h('code', {}, d.schedule) : 'manual only', d.schedule ? h('span', { class: 'muted' }, ` (${d.timezone})`) : null),
          nextRun ? h('span', {}, h('span', { class: 'muted' }, 'Next run '), timeEl(nextRun.data_interval_end), h('span', { class: 'muted', title: 'Logical date' }, ` · ${nextRun.logical_date_local || isoUtc(nextRun.logical_date)}`)) : null,
          h('span', {}, h('span', { class: 'muted' }, 'Tasks '), String(d.task_count)),
          (d.tags || []).map((t) => h('a', { class: 'chip', href: `${link('dags')}?tag=${encodeURIComponent(t)}` }, t)),
        ),
      ),
    );
    morph(
      tabBar,
      h(
        'div',
        { class: 'tab-bar' },
        tabs(TABS.map(([id, text]) => ({ id, label: text, href: link('dags', dagId, id), current: view === id }))),
      ),
    );
  }

  async function setPaused(paused, input) {
    input.disabled = true;
    try {
      shared.dag = await api('PATCH', `/dags/${seg(dagId)}`, { paused });
      toast(`${dagId} ${paused ? 'paused' : 'unpaused'}`);
    } catch (e) {
      toast(e.message, 'error');
    }
    input.disabled = false;
    renderHead();
  }

  function route(ctx2) {
    current = ctx2;
    if (missing) return;
    const view = viewOf(ctx2);
    if (!VIEWS[view]) {
      sub?.destroy?.();
      sub = null;
      subKey = '';
      content.replaceChildren(notFound(`The DAG ${dagId} has no tab “${view}”.`, link('dags', dagId, 'grid'), `Back to ${dagId}`));
      renderHead();
      return;
    }
    const key = `${view}\n${ctx2.params.run || ''}\n${ctx2.params.task || ''}`;
    renderHead();
    if (!shared.dag) return; // mounted once the DAG is known
    if (sub && key === subKey) {
      sub.update?.(ctx2);
      return;
    }
    sub?.destroy?.();
    subKey = key;
    sub = VIEWS[view].mount(ctx2, shared);
    content.replaceChildren(sub.el);
  }

  async function refresh(signal) {
    try {
      shared.dag = await get(`/dags/${seg(dagId)}`, { signal });
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      if (e.status === 404) {
        missing = true;
        poller.stop();
        sub?.destroy?.();
        sub = null;
        el.replaceChildren(notFound(`There is no DAG “${dagId}”.`, link('dags'), 'Back to DAGs'));
        return;
      }
      if (!shared.dag) head.replaceChildren(errorBox(e));
      return;
    }
    if (!sub) route(current);
    if (shared.dag.schedule && !shared.dag.paused) {
      if (!nextRun || Date.parse(nextRun.data_interval_end) < Date.now() || !nextRun.fresh || nextRun.fresh < Date.now() - 60000) {
        try {
          const n = await get(`/dags/${seg(dagId)}/next-runs?count=1`, { signal, quiet: true });
          nextRun = n.runs[0] ? { ...n.runs[0], fresh: Date.now() } : null;
        } catch {
          nextRun = null;
        }
      }
    } else {
      nextRun = null;
    }
    renderHead();
    sub?.dagChanged?.();
  }

  const poller = poll(refresh, 5000);

  return {
    el,
    update(ctx2) {
      if (ctx2.params.dag !== dagId) return false;
      route(ctx2);
      return true;
    },
    destroy() {
      poller.stop();
      sub?.destroy?.();
    },
  };
}
