// The graph: the DAG's tasks laid out left to right, coloured by the states of a chosen
// run (the latest by default); pan by scrolling, zoom, fit to width.

import { get, seg } from '../api.js';
import { h, morphInner } from '../dom.js';
import { isoUtc } from '../format.js';
import { edgePath, layout } from '../layout.js';
import { runDetail, tiByTask } from '../data.js';
import { poll } from '../poll.js';
import { link, setQuery, withQuery } from '../router.js';
import { glyph, label, legend, stateClass } from '../states.js';
import { empty, errorBox } from '../widgets.js';

/**
 * @param {{query: URLSearchParams}} ctx
 * @param {{dag: Object, dagId: string}} shared
 */
export function mount(ctx, shared) {
  const dagId = shared.dagId;
  const state = { runs: null, run: null, error: null, runId: ctx.query.get('run') || '', zoom: null };
  const picker = h('select', {
    'aria-label': 'Run shown',
    'data-testid': 'graph-run-picker',
    onChange: () => setQuery({ run: picker.value }),
  });
  const zoomLabel = h('span', { class: 'muted small zoom-label' });
  const scroller = h('div', { class: 'graph-scroll', tabindex: '0', 'aria-label': 'DAG graph (scroll to pan)' });
  const el = h(
    'div',
    { class: 'graph-view' },
    h(
      'div',
      { class: 'toolbar' },
      h('label', { class: 'inline' }, h('span', { class: 'muted small' }, 'Run '), picker),
      h('span', { class: 'spacer' }),
      h('button', { type: 'button', class: 'btn small', 'aria-label': 'Zoom out', onClick: () => zoomBy(1 / 1.25) }, '−'),
      zoomLabel,
      h('button', { type: 'button', class: 'btn small', 'aria-label': 'Zoom in', onClick: () => zoomBy(1.25) }, '+'),
      h('button', { type: 'button', class: 'btn small', 'data-testid': 'graph-fit', onClick: fit }, 'Fit'),
      h('details', { class: 'legend-box' }, h('summary', {}, 'Legend'), legend()),
    ),
    scroller,
  );
  let geo = null;

  function zoomBy(f) {
    state.zoom = Math.min(3, Math.max(0.2, (state.zoom || 1) * f));
    render();
  }

  function fit() {
    if (!geo) return;
    // The whole graph in view: width and height (the page below the toolbar).
    const w = scroller.clientWidth - 24;
    const top = scroller.getBoundingClientRect().top;
    const hgt = Math.max(200, window.innerHeight - top - 40);
    state.zoom = Math.min(1.25, Math.max(0.1, Math.min(w / (geo.width + 40), hgt / (geo.height + 40))));
    render();
  }

  function render() {
    const dag = shared.dag;
    if (!dag) return;
    if (state.runs) {
      morphInner(
        picker,
        state.runs.length === 0 ? h('option', { value: '' }, 'no runs') : null,
        state.runs.map((r) => h('option', { value: r.run_id, key: r.run_id }, `${isoUtc(r.logical_date).slice(0, 19).replace('T', ' ')} · ${label(r.state)}`)),
      );
      picker.value = state.run ? state.run.run_id : '';
    }
    const tasks = dag.tasks || [];
    if (!tasks.length) {
      morphInner(scroller, empty('This DAG has no tasks.'));
      return;
    }
    const longest = Math.max(...tasks.map((t) => t.task_id.length));
    const nodeW = Math.min(260, Math.max(140, longest * 7.4 + 44));
    geo = layout(tasks, { nodeW });
    if (state.zoom === null) {
      const w = scroller.clientWidth - 24;
      state.zoom = w > 0 ? Math.min(1, Math.max(0.35, w / (geo.width + 40))) : 1;
    }
    zoomLabel.textContent = `${Math.round(state.zoom * 100)}%`;
    const tis = state.run ? tiByTask(state.run) : new Map();
    const pad = 20;
    const vw = geo.width + pad * 2;
    const vh = geo.height + pad * 2;
    const runId = state.run ? state.run.run_id : '';
    const svg = h(
      'svg',
      {
        class: 'graph',
        'data-testid': 'graph',
        viewBox: `${-pad} ${-pad} ${vw} ${vh}`,
        width: String(Math.round(vw * state.zoom)),
        height: String(Math.round(vh * state.zoom)),
        role: 'group',
        'aria-label': `Tasks of ${dagId}`,
      },
      h(
        'defs',
        {},
        h(
          'marker',
          { id: 'arrow', viewBox: '0 0 10 10', refX: '9', refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse' },
          h('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow-head' }),
        ),
      ),
      h(
        'g',
        { class: 'edges' },
        geo.edges.map((e) =>
          h('path', {
            key: `${e.from}\n${e.to}`,
            class: 'edge',
            d: edgePath(geo.nodes.get(e.from), geo.nodes.get(e.to), geo.nodeW, geo.nodeH),
            'marker-end': 'url(#arrow)',
          }),
        ),
      ),
      h(
        'g',
        { class: 'nodes' },
        tasks.map((t) => {
          const n = geo.nodes.get(t.task_id);
          const ti = tis.get(t.task_id);
          const st = ti ? ti.state : 'none';
          const mapped = ti && ti.map_count != null ? ` [${ti.map_count}]` : '';
          const href = runId
            ? withQuery(link('dags', dagId, 'grid'), { run: runId, task: t.task_id })
            : link('dags', dagId, 'details');
          return h(
            'svg:a',
            {
              key: t.task_id,
              href,
              class: `node ${stateClass(st)}`,
              'data-testid': 'graph-node',
              'data-task': t.task_id,
              'data-state': st,
              'aria-label': `${t.task_id}: ${label(st)}`,
            },
            h('title', {}, `${t.task_id}\n${label(st)}${ti && ti.try_number > 1 ? `\ntry ${ti.try_number}` : ''}`),
            h('rect', { x: String(n.x), y: String(n.y), width: String(geo.nodeW), height: String(geo.nodeH), rx: '6', class: 'node-box' }),
            h('rect', { x: String(n.x), y: String(n.y), width: '6', height: String(geo.nodeH), rx: '3', class: 'node-state' }),
            h('text', { x: String(n.x + 16), y: String(n.y + 19), class: 'node-label' }, truncate(t.task_id, geo.nodeW) + mapped),
            h('text', { x: String(n.x + 16), y: String(n.y + 35), class: 'node-sub' }, `${glyph(st)} ${label(st)}`.trim()),
          );
        }),
      ),
    );
    morphInner(scroller, state.error ? errorBox(state.error) : null, svg);
  }

  async function refresh(signal) {
    try {
      const list = await get(`/dags/${seg(dagId)}/runs?limit=50`, { signal });
      state.runs = list.runs;
      const chosen = state.runId || (list.runs[0] && list.runs[0].run_id);
      state.run = chosen ? await runDetail(dagId, chosen, signal) : null;
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
      const r = next.query.get('run') || '';
      if (r !== state.runId) {
        state.runId = r;
        poller.now();
      }
    },
    dagChanged() {
      render();
    },
    destroy() {
      poller.stop();
    },
  };
}

function truncate(text, width) {
  const max = Math.floor((width - 24) / 7.4);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
