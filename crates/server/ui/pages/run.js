// One DAG run: state, dates, conf, version, its task instances, and clearing it.

import { api, seg } from '../api.js';
import { h, morph } from '../dom.js';
import { between, duration, isoUtc, prettyJson, shortDigest, shortUtc, timeEl } from '../format.js';
import { runDetail, taskOrder } from '../data.js';
import { poll } from '../poll.js';
import { link, withQuery } from '../router.js';
import { badge } from '../states.js';
import { confirmDialog, errorBox, facts, loading, notFound, roleButton, toast } from '../widgets.js';

/**
 * @param {{params: {dag: string, run: string}}} ctx
 * @param {{dag: Object, dagId: string}} shared
 * @param {{panel?: boolean, hrefFor?: (p: Object) => string}} [opts]
 */
export function mount(ctx, shared, opts = {}) {
  const { dag: dagId, run: runId } = ctx.params;
  const hrefFor =
    opts.hrefFor || ((p) => withQuery(link('dags', dagId, 'runs', p.run, 'tasks', p.task), { map_index: p.map_index }));
  const state = { run: null, error: null, missing: null };
  const el = h('section', { class: ['run-view', opts.panel && 'in-panel'], 'data-testid': 'run-view', 'data-run': runId }, loading());

  function render() {
    if (state.missing) {
      el.replaceChildren(notFound(state.missing, link('dags', dagId, 'runs'), `Runs of ${dagId}`));
      return;
    }
    if (!state.run) {
      if (state.error) el.replaceChildren(errorBox(state.error));
      return;
    }
    const r = state.run;
    const order = taskOrder(shared.dag || { tasks: [] }, [r]);
    const rank = new Map(order.map((t, i) => [t, i]));
    const tis = (r.task_instances || [])
      .slice()
      .sort((a, b) => (rank.get(a.task_id) ?? 1e9) - (rank.get(b.task_id) ?? 1e9) || (a.map_index ?? -1) - (b.map_index ?? -1));
    const failed = tis.filter((t) => t.state === 'failed' || t.state === 'upstream_failed').map((t) => t.task_id);
    const view = h(
      'div',
      { class: 'run-inner' },
      h(
        'div',
        { class: 'ti-title' },
        h('h2', { class: 'run-title' }, opts.panel ? 'Run' : r.run_id),
        badge(r.state, { 'data-testid': 'run-state' }),
        h('span', { class: 'muted small' }, r.run_type),
      ),
      opts.panel ? h('p', { class: 'muted small run-ref' }, r.run_id) : null,
      h(
        'div',
        { class: 'actions' },
        roleButton('operator', { class: 'btn', 'data-testid': 'clear-run', onClick: (ev) => clear(ev.currentTarget, []) }, '↻ Clear run'),
        failed.length
          ? roleButton('operator', { class: 'btn', 'data-testid': 'clear-failed', onClick: (ev) => clear(ev.currentTarget, [...new Set(failed)]) }, `↻ Clear failed (${new Set(failed).size})`)
          : null,
      ),
      facts([
        ['State', badge(r.state)],
        ['Logical date', h('span', { title: isoUtc(r.logical_date) }, shortUtc(r.logical_date))],
        r.data_interval_start !== r.data_interval_end
          ? ['Data interval', h('span', { title: `${isoUtc(r.data_interval_start)} → ${isoUtc(r.data_interval_end)}` }, `${shortUtc(r.data_interval_start)} → ${shortUtc(r.data_interval_end)}`)]
          : null,
        ['Queued', timeEl(r.queued_at)],
        ['Started', timeEl(r.started_at)],
        ['Ended', timeEl(r.ended_at)],
        ['Duration', duration(between(r.started_at, r.ended_at))],
        ['Version', h('a', { href: link('dags', dagId, 'versions'), title: r.digest }, h('code', {}, shortDigest(r.digest)))],
      ]),
      h('h3', {}, 'Conf'),
      h('pre', { class: 'code', 'data-testid': 'run-conf' }, prettyJson(r.conf || {})),
      h('h3', {}, `Task instances (${tis.length})`),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'table compact' },
          h('thead', {}, h('tr', {}, ['Task', 'State', 'Try', 'Duration', 'Started'].map((c) => h('th', { scope: 'col' }, c)))),
          h(
            'tbody',
            {},
            tis.map((ti) =>
              h(
                'tr',
                { key: `${ti.task_id}\n${ti.map_index ?? ''}` },
                h(
                  'td',
                  {},
                  h(
                    'a',
                    { href: hrefFor({ run: r.run_id, task: ti.task_id, map_index: ti.map_index ?? '' }) },
                    ti.task_id,
                    ti.map_index != null ? h('span', { class: 'muted' }, ` [${ti.map_index}]`) : null,
                    ti.map_count != null ? h('span', { class: 'muted' }, ` (${ti.map_count} mapped)`) : null,
                  ),
                ),
                h('td', {}, badge(ti.state)),
                h('td', {}, ti.try_number ? `${ti.try_number}/${ti.max_tries}` : '—'),
                h('td', {}, duration(ti.duration_ms ?? (ti.state === 'running' ? between(ti.started_at) : null))),
                h('td', {}, timeEl(ti.started_at)),
              ),
            ),
          ),
        ),
      ),
    );
    if (el.firstChild && el.firstChild.classList?.contains('run-inner')) morph(el.firstChild, view);
    else el.replaceChildren(view);
  }

  async function clear(button, taskIds) {
    const all = taskIds.length === 0;
    const ok = await confirmDialog({
      title: all ? 'Clear run' : 'Clear failed tasks',
      message: all
        ? `Clear every task of run ${runId}? They will all run again.`
        : `Clear ${taskIds.join(', ')} and their downstream tasks in run ${runId}?`,
      confirm: 'Clear',
    });
    if (!ok) return;
    button.disabled = true;
    try {
      const res = await api('POST', `/dags/${seg(dagId)}/runs/${seg(runId)}/clear`, all ? {} : { task_ids: taskIds, downstream: true });
      toast(`Cleared ${res.cleared} task ${res.cleared === 1 ? 'instance' : 'instances'}`);
      poller.now();
    } catch (e) {
      toast(e.message, 'error');
    } finally {
      button.disabled = false;
    }
  }

  async function refresh(signal) {
    try {
      state.run = await runDetail(dagId, runId, signal);
      state.error = null;
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      if (e.status === 404) state.missing = e.message;
      state.error = e;
    }
    render();
  }

  const poller = poll(refresh);
  return {
    el,
    destroy() {
      poller.stop();
    },
  };
}
