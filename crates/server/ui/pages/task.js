// One task instance: its state and timings, attempts and their logs, mapped instances,
// XCom values, and the clear and mark actions.

import { api, get, seg } from '../api.js';
import { h, morph } from '../dom.js';
import { duration, between, prettyJson, timeEl, bytes } from '../format.js';
import { findTi, mappedInstances, runDetail } from '../data.js';
import { poll } from '../poll.js';
import { link, withQuery } from '../router.js';
import { badge, dot, label, stateClass } from '../states.js';
import { confirmDialog, errorBox, facts, loading, notFound, roleButton, toast } from '../widgets.js';
import { logView } from './log.js';

/**
 * @param {{params: {dag: string, run: string, task: string}, query: URLSearchParams}} ctx
 * @param {{dag: Object, dagId: string}} shared
 * @param {{panel?: boolean, hrefFor?: (p: Object) => string}} [opts]
 */
export function mount(ctx, shared, opts = {}) {
  const { dag: dagId, run: runId, task: taskId } = ctx.params;
  const hrefFor =
    opts.hrefFor ||
    ((p) => withQuery(link('dags', dagId, 'runs', p.run, 'tasks', p.task), { map_index: p.map_index, try: p.try }));
  let sel = fromQuery(ctx.query);
  const state = { run: null, error: null, missing: false, xcoms: null, xcomStamp: '' };
  const info = h('div', { class: 'ti-info' }, loading());
  const attempts = h('div', { class: 'attempts' });
  const xcom = h('section', { class: 'xcom-box' });
  let log = null;
  let logKey = '';
  const logSlot = h('div', { class: 'log-slot' });
  const el = h(
    'section',
    { class: ['task-view', opts.panel && 'in-panel'], 'data-testid': 'task-view', 'data-task': taskId, 'data-run': runId },
    info,
    attempts,
    logSlot,
    xcom,
  );

  function ensureLog(mapIndex) {
    const key = String(mapIndex ?? '');
    if (log && key === logKey) return log;
    log?.destroy();
    logKey = key;
    log = logView({ dagId, runId, taskId, mapIndex });
    logSlot.replaceChildren(log.el);
    return log;
  }

  function render() {
    if (state.missing) {
      morph(info, h('div', { class: 'ti-info' }, notFound(state.missing, link('dags', dagId, 'grid'), `Back to ${dagId}`)));
      return;
    }
    if (!state.run) {
      if (state.error) morph(info, h('div', { class: 'ti-info' }, errorBox(state.error)));
      return;
    }
    const run = state.run;
    const mapIndex = sel.map_index;
    const ti = findTi(run, taskId, mapIndex);
    if (!ti) {
      morph(info, h('div', { class: 'ti-info' }, notFound(`Run ${runId} has no task instance ${taskId}${mapIndex != null ? `[${mapIndex}]` : ''}.`, link('dags', dagId, 'grid'), `Back to ${dagId}`)));
      return;
    }
    const mapped = mapIndex == null ? mappedInstances(run, taskId) : [];
    const isSummary = mapIndex == null && (ti.map_count != null || mapped.length > 0);
    const tryNumber = sel.try && sel.try <= ti.try_number ? sel.try : ti.try_number;
    // Queued counts: the stream follows an attempt from the moment it is queued.
    const live = tryNumber === ti.try_number && (ti.state === 'running' || ti.state === 'queued');
    const dur = ti.duration_ms ?? (ti.state === 'running' ? between(ti.started_at, null) : null);

    morph(
      info,
      h(
        'div',
        { class: 'ti-info' },
        h(
          'div',
          { class: 'ti-title' },
          h('h2', {}, taskId, mapIndex != null ? h('span', { class: 'muted' }, ` [${mapIndex}]`) : null),
          badge(ti.state, { 'data-testid': 'ti-state' }),
          h('span', { class: 'muted small', 'data-testid': 'ti-try', 'data-try': String(ti.try_number) }, `try ${ti.try_number} of ${ti.max_tries}`),
        ),
        opts.panel ? h('p', { class: 'muted small run-ref' }, 'Run ', h('a', { href: link('dags', dagId, 'runs', runId) }, runId)) : null,
        actions(ti, mapIndex),
        ti.error || ti.error_class
          ? h('div', { class: 'error-box', role: 'note' }, ti.error_class ? h('strong', {}, ti.error_class, ': ') : null, h('pre', { class: 'error-text' }, ti.error || ''))
          : null,
        facts([
          ['State', badge(ti.state)],
          ['Try', `${ti.try_number} of ${ti.max_tries}`],
          ['Duration', duration(dur)],
          ['Queued', timeEl(ti.queued_at)],
          ['Started', timeEl(ti.started_at)],
          ['Ended', timeEl(ti.ended_at)],
          ['Queue', ti.queue],
          ['Pool', ti.pool],
          ['Priority', String(ti.priority_weight)],
          ['Worker', ti.worker_id ? h('a', { href: link('workers'), title: ti.worker_id }, ti.hostname ? `${ti.hostname} · ${ti.worker_id}` : ti.worker_id) : '—'],
          ti.next_retry_at ? [ti.state === 'up_for_reschedule' ? 'Next poke' : 'Next retry', timeEl(ti.next_retry_at)] : null,
          ti.pokes || ti.sensor_started_at ? ['Sensor', h('span', {}, `${ti.pokes} ${ti.pokes === 1 ? 'poke' : 'pokes'}`, ti.sensor_started_at ? [' · first ', timeEl(ti.sensor_started_at)] : null)] : null,
          ti.map_count != null ? ['Mapped', `${ti.map_count} instances`] : null,
        ]),
        ti.deferral ? h('div', { class: 'deferral' }, h('h3', {}, 'Deferred'), h('pre', { class: 'code' }, prettyJson(ti.deferral))) : null,
        isSummary && mapped.length
          ? h(
              'div',
              { class: 'mapped' },
              h('h3', {}, `Mapped instances (${mapped.length})`),
              h(
                'ul',
                { class: 'mapped-list' },
                mapped.map((m) =>
                  h(
                    'li',
                    { key: String(m.map_index) },
                    h(
                      'a',
                      { href: hrefFor({ run: runId, task: taskId, map_index: m.map_index }), class: `chip ${stateClass(m.state)}`, title: label(m.state), 'data-testid': 'mapped-instance', 'data-state': m.state },
                      dot(m.state),
                      ` ${m.map_index}`,
                    ),
                  ),
                ),
              ),
            )
          : null,
      ),
    );

    // Attempts: one link per try, the selected one shows its log.
    morph(
      attempts,
      h(
        'div',
        { class: 'attempts' },
        ti.try_number > 0 && !isSummary
          ? h(
              'nav',
              { class: 'tries', 'aria-label': 'Attempts' },
              h('span', { class: 'muted small' }, 'Attempts'),
              Array.from({ length: ti.try_number }, (_, i) => i + 1).map((n) =>
                h(
                  'a',
                  {
                    key: String(n),
                    href: hrefFor({ run: runId, task: taskId, map_index: mapIndex, try: n === ti.try_number ? '' : n }),
                    class: ['try-link', n === tryNumber && 'current'],
                    'aria-current': n === tryNumber ? 'true' : null,
                    'data-testid': 'attempt',
                  },
                  n === ti.try_number ? [h('span', {}, String(n)), ' ', dot(ti.state)] : String(n),
                ),
              ),
            )
          : null,
      ),
    );

    if (isSummary) {
      log?.destroy();
      log = null;
      logKey = '';
      logSlot.replaceChildren(h('p', { class: 'muted' }, 'A mapped task: choose an instance above to see its log.'));
    } else {
      // queued_at tells one run of a try from the next (a sensor's poke, a resumed deferral).
      ensureLog(mapIndex).show(tryNumber, live, tryNumber === ti.try_number ? ti.queued_at ?? null : null);
    }
    renderXcom(mapIndex);
  }

  function actions(ti, mapIndex) {
    const downstream = h('input', { type: 'checkbox', checked: true, id: `ds-${taskId}`, 'data-testid': 'clear-downstream' });
    return h(
      'div',
      { class: 'actions' },
      roleButton('operator', { class: 'btn', 'data-testid': 'clear-button', onClick: (ev) => clear(ev.currentTarget, liveDownstream()) }, '↻ Clear'),
      h('label', { class: 'check', for: `ds-${taskId}` }, downstream, 'with downstream'),
      mapIndex == null
        ? [
            roleButton('operator', { class: 'btn', 'data-testid': 'mark-success', onClick: (ev) => mark(ev.currentTarget, 'success') }, 'Mark success'),
            roleButton('operator', { class: 'btn', 'data-testid': 'mark-failed', onClick: (ev) => mark(ev.currentTarget, 'failed') }, 'Mark failed'),
          ]
        : null,
    );
  }

  /** The live "with downstream" box (the one built by a render may have been replaced). */
  function liveDownstream() {
    const box = info.querySelector('[data-testid="clear-downstream"]');
    return box ? box.checked : true;
  }

  async function clear(button, downstream) {
    const ok = await confirmDialog({
      title: 'Clear task',
      message: `Clear ${taskId}${downstream ? ' and its downstream tasks' : ''} in run ${runId}? They will run again.`,
      confirm: 'Clear',
    });
    if (!ok) return;
    button.disabled = true;
    try {
      const r = await api('POST', `/dags/${seg(dagId)}/runs/${seg(runId)}/clear`, { task_ids: [taskId], downstream });
      toast(`Cleared ${r.cleared} task ${r.cleared === 1 ? 'instance' : 'instances'}`);
      sel = { ...sel, try: 0 };
      poller.now();
    } catch (e) {
      toast(e.message, 'error');
    } finally {
      button.disabled = false;
    }
  }

  async function mark(button, to) {
    const ok = await confirmDialog({
      title: `Mark ${to}`,
      message: `Mark ${taskId} in run ${runId} as ${to}?`,
      confirm: `Mark ${to}`,
      danger: to === 'failed',
    });
    if (!ok) return;
    button.disabled = true;
    try {
      await api('POST', `/dags/${seg(dagId)}/runs/${seg(runId)}/tasks/${seg(taskId)}/mark`, { state: to });
      toast(`${taskId} marked ${to}`);
      poller.now();
    } catch (e) {
      toast(e.message, 'error');
    } finally {
      button.disabled = false;
    }
  }

  async function loadXcom(signal) {
    const ti = state.run && findTi(state.run, taskId, sel.map_index);
    const stamp = ti ? `${ti.state}|${ti.try_number}` : '';
    if (stamp === state.xcomStamp) return;
    try {
      const r = await get(`/dags/${seg(dagId)}/runs/${seg(runId)}/xcom`, { signal, quiet: true });
      state.xcoms = r.xcoms;
      state.xcomStamp = stamp;
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      state.xcoms = null;
    }
  }

  function renderXcom(mapIndex) {
    const list = (state.xcoms || []).filter((x) => x.task_id === taskId && (x.map_index ?? null) === (mapIndex ?? null));
    morph(
      xcom,
      h(
        'section',
        { class: 'xcom-box' },
        h('h3', {}, 'XCom'),
        state.xcoms === null
          ? h('p', { class: 'muted' }, '…')
          : list.length === 0
            ? h('p', { class: 'muted' }, 'No XCom values.')
            : list.map((x) =>
                h(
                  'div',
                  { class: 'xcom', key: `${x.key}`, 'data-testid': 'xcom' },
                  h('div', { class: 'xcom-head' }, h('code', {}, x.key), h('span', { class: 'muted small' }, `${x.encoding} · ${bytes(x.size)}`)),
                  h('pre', { class: 'code' }, x.encoding === 'json' ? prettyJson(x.value) : String(x.value)),
                ),
              ),
      ),
    );
  }

  async function refresh(signal) {
    try {
      state.run = await runDetail(dagId, runId, signal);
      state.error = null;
      state.missing = false;
      await loadXcom(signal);
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
    update(next) {
      const before = sel.map_index;
      sel = fromQuery(next.query);
      if (before !== sel.map_index) state.xcomStamp = '';
      render();
      if (before !== sel.map_index) poller.now();
    },
    destroy() {
      poller.stop();
      log?.destroy();
    },
  };
}

function fromQuery(query) {
  const m = query.get('map_index');
  const t = query.get('try');
  return {
    map_index: m === null || m === '' ? null : Number(m),
    try: t ? Number(t) : 0,
  };
}
