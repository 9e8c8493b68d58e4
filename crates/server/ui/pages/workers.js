// Workers and queues, for monitoring: each worker's status, host, queues, load and
// heartbeat; each queue's depth and the age of its oldest waiting task.

import { ApiError, get } from '../api.js';
import { h, morph } from '../dom.js';
import { ageSeconds, timeEl } from '../format.js';
import { poll } from '../poll.js';
import { empty, errorBox, loading } from '../widgets.js';

const STATUS_ORDER = { alive: 0, stopped: 1, dead: 2 };

export function mount() {
  const state = { workers: null, queues: null, queuesMissing: false, error: null, showGone: true };
  const workersBox = h('div', { class: 'workers-body' }, loading());
  const queuesBox = h('div', { class: 'queues-body' }, loading());
  const summary = h('span', { class: 'muted count' });
  const showGone = h('input', {
    type: 'checkbox',
    checked: true,
    onChange: () => {
      state.showGone = showGone.checked;
      render();
    },
  });
  const el = h(
    'section',
    { class: 'page', 'data-testid': 'workers-page' },
    h('div', { class: 'page-head' }, h('h1', {}, 'Workers'), summary),
    h('div', { class: 'toolbar' }, h('label', { class: 'check' }, showGone, 'Show stopped and dead workers')),
    workersBox,
    h('h2', { class: 'section-title' }, 'Queues'),
    queuesBox,
  );

  function render() {
    if (state.workers) {
      const all = state.workers.slice().sort((a, b) => (STATUS_ORDER[a.status] ?? 9) - (STATUS_ORDER[b.status] ?? 9) || a.worker_id.localeCompare(b.worker_id));
      const list = state.showGone ? all : all.filter((w) => w.status === 'alive');
      const alive = all.filter((w) => w.status === 'alive');
      const running = alive.reduce((s, w) => s + w.running, 0);
      const slots = alive.reduce((s, w) => s + w.concurrency, 0);
      summary.textContent = `${alive.length} alive · ${running} of ${slots} slots busy`;
      morph(
        workersBox,
        h(
          'div',
          { class: 'workers-body' },
          list.length === 0
            ? empty(all.length ? 'No worker is alive.' : 'No worker has registered.')
            : h(
                'div',
                { class: 'table-wrap' },
                h(
                  'table',
                  { class: 'table', 'data-testid': 'workers-table' },
                  h('thead', {}, h('tr', {}, ['Status', 'Worker', 'Queues', 'Labels', 'Running', 'Done', 'Failed', 'Heartbeat', 'Started', 'Version', 'Arch'].map((c) => h('th', { scope: 'col', class: c === 'Done' || c === 'Failed' ? 'num' : null }, c)))),
                  h('tbody', {}, list.map(workerRow)),
                ),
              ),
        ),
      );
    } else if (state.error) {
      morph(workersBox, h('div', { class: 'workers-body' }, errorBox(state.error)));
    }

    if (state.queuesMissing) {
      morph(queuesBox, h('div', { class: 'queues-body' }, queuesFromWorkers()));
    } else if (state.queues) {
      morph(queuesBox, h('div', { class: 'queues-body' }, queueTable(state.queues)));
    }
  }

  function workerRow(w) {
    const pct = w.concurrency ? Math.min(100, Math.round((w.running / w.concurrency) * 100)) : 0;
    return h(
      'tr',
      { key: w.worker_id, 'data-testid': 'worker-row', 'data-worker': w.worker_id, 'data-status': w.status, class: `w-${w.status}` },
      h('td', {}, h('span', { class: `badge ws-${w.status}` }, w.status)),
      h('td', {}, h('div', { class: 'strong' }, w.hostname), h('div', { class: 'muted small mono' }, w.worker_id)),
      h('td', {}, h('span', { class: 'tags', 'data-testid': 'worker-queues' }, w.queues.map((q) => h('span', { class: 'chip', key: q }, q)))),
      h('td', {}, (w.labels || []).length ? h('span', { class: 'tags', 'data-testid': 'worker-labels' }, w.labels.map((l) => h('span', { class: 'chip', key: l }, l))) : h('span', { class: 'muted' }, '—')),
      h(
        'td',
        {},
        h(
          'div',
          { class: 'load', title: `${w.running} of ${w.concurrency} slots busy` },
          h('span', { class: 'load-bar', role: 'meter', 'aria-valuemin': '0', 'aria-valuemax': String(w.concurrency), 'aria-valuenow': String(w.running), 'aria-label': 'Slots busy' }, h('span', { class: 'load-fill', style: { width: `${pct}%` } })),
          h('span', { class: 'small' }, `${w.running}/${w.concurrency}`),
        ),
      ),
      h('td', { class: 'num', 'data-testid': 'worker-finished', title: 'Attempts run to an end since the worker started' }, String(w.finished ?? 0)),
      h('td', { class: 'num', 'data-testid': 'worker-failed', title: 'Of those, attempts that failed' }, h('span', { class: w.failed ? 'warn-text' : null }, String(w.failed ?? 0))),
      h('td', { title: w.last_heartbeat }, h('span', { class: w.seconds_since_heartbeat > 30 ? 'warn-text' : null }, `${ageSeconds(w.seconds_since_heartbeat)} ago`)),
      h('td', {}, timeEl(w.started_at), w.stopped_at ? h('div', { class: 'muted small' }, 'stopped ', timeEl(w.stopped_at)) : null),
      h('td', { class: 'mono small' }, w.version),
      h('td', { class: 'mono small' }, w.arch),
    );
  }

  function queueTable(reported) {
    const served = servedBy();
    // Queues the workers take from appear too, empty, when the server reports none there.
    const queues = reported.slice();
    const known = new Set(queues.map((q) => q.queue));
    for (const name of [...served.keys()].sort()) {
      if (!known.has(name)) queues.push({ queue: name, queued: 0, running: 0, oldest_queued_at: null, oldest_age_seconds: null });
    }
    if (!queues.length) return empty('No queue has tasks waiting or running.');
    return h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'table', 'data-testid': 'queues-table' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Queue'), h('th', { scope: 'col', class: 'num' }, 'Queued'), h('th', { scope: 'col', class: 'num' }, 'Running'), h('th', { scope: 'col' }, 'Oldest waiting'), h('th', { scope: 'col', class: 'num' }, 'Workers'))),
        h(
          'tbody',
          {},
          queues.map((q) =>
            h(
              'tr',
              { key: q.queue, 'data-testid': 'queue-row', 'data-queue': q.queue },
              h('td', {}, h('code', {}, q.queue)),
              h('td', { class: 'num' }, String(q.queued)),
              h('td', { class: 'num' }, String(q.running)),
              h('td', {}, q.oldest_age_seconds == null ? h('span', { class: 'muted' }, '—') : h('span', { title: q.oldest_queued_at || '', class: q.oldest_age_seconds > 60 ? 'warn-text' : null }, ageSeconds(q.oldest_age_seconds))),
              h('td', { class: 'num' }, served.get(q.queue) ? String(served.get(q.queue)) : h('span', { class: 'warn-text', title: 'No alive worker takes tasks from this queue' }, 'none')),
            ),
          ),
        ),
      ),
    );
  }

  /** Alive workers per queue: a queue of tasks that ask for labels or an architecture
   * (`default@arch=aarch64+gpu`) counts the workers of its queue that meet all of them. */
  function servedBy() {
    const m = new Map();
    const alive = (state.workers || []).filter((w) => w.status === 'alive');
    for (const w of alive) for (const q of w.queues) m.set(q, (m.get(q) || 0) + 1);
    for (const q of state.queues || []) {
      const at = q.queue.indexOf('@');
      if (at < 0) continue;
      const [queue, needs] = [q.queue.slice(0, at), q.queue.slice(at + 1).split('+')];
      const meets = (w) => w.queues.includes(queue) && needs.every((n) => n === `arch=${w.arch}` || (w.labels || []).includes(n));
      m.set(q.queue, alive.filter(meets).length);
    }
    return m;
  }

  /** Without the queues route: the queues the workers serve, without depths. */
  function queuesFromWorkers() {
    const served = servedBy();
    const names = [...new Set((state.workers || []).flatMap((w) => w.queues))].sort();
    return h(
      'div',
      {},
      h('p', { class: 'muted small' }, 'Queue depths need a newer server; the queues the workers take tasks from:'),
      names.length === 0
        ? empty('No queue.')
        : h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              { class: 'table', 'data-testid': 'queues-table' },
              h('thead', {}, h('tr', {}, ['Queue', 'Alive workers'].map((c) => h('th', { scope: 'col' }, c)))),
              h('tbody', {}, names.map((q) => h('tr', { key: q, 'data-testid': 'queue-row', 'data-queue': q }, h('td', {}, h('code', {}, q)), h('td', { class: 'num' }, String(served.get(q) || 0))))),
            ),
          ),
    );
  }

  async function refresh(signal) {
    const [w, q] = await Promise.allSettled([
      get('/workers', { signal }),
      state.queuesMissing ? Promise.resolve(null) : get('/queues', { signal }),
    ]);
    if (w.status === 'fulfilled') {
      state.workers = w.value.workers;
      state.error = null;
    } else if (w.reason.name !== 'AbortError') {
      state.error = w.reason;
    }
    if (q.status === 'fulfilled' && q.value) state.queues = q.value.queues;
    else if (q.status === 'rejected' && q.reason instanceof ApiError && q.reason.noRoute) state.queuesMissing = true;
    render();
  }

  const poller = poll(refresh);
  return { el, destroy: () => poller.stop() };
}
