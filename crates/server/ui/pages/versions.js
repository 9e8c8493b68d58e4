// A DAG's deployed versions, and which of its recent runs used each.

import { get, seg } from '../api.js';
import { h, morph } from '../dom.js';
import { bytes, shortDigest, timeEl } from '../format.js';
import { poll } from '../poll.js';
import { link } from '../router.js';
import { dot, label } from '../states.js';
import { empty, errorBox, loading } from '../widgets.js';

const RUNS_SCANNED = 1000;
const RUNS_SHOWN = 20;

/**
 * @param {Object} ctx
 * @param {{dag: Object, dagId: string}} shared
 */
export function mount(ctx, shared) {
  const dagId = shared.dagId;
  const el = h('div', { class: 'versions-view' }, loading());
  const state = { versions: null, runs: [], error: null };

  function render() {
    if (!state.versions) {
      if (state.error) morph(el, h('div', { class: 'versions-view' }, errorBox(state.error)));
      return;
    }
    const byDigest = new Map();
    for (const r of state.runs) {
      const list = byDigest.get(r.digest) || [];
      list.push(r);
      byDigest.set(r.digest, list);
    }
    morph(
      el,
      h(
        'div',
        { class: 'versions-view' },
        state.versions.length === 0
          ? empty('No versions.')
          : h(
              'div',
              { class: 'table-wrap' },
              h(
                'table',
                { class: 'table', 'data-testid': 'versions-table' },
                h('thead', {}, h('tr', {}, ['Digest', 'Deployed', 'Size', 'Tasks', `Runs (of the latest ${RUNS_SCANNED})`].map((c) => h('th', { scope: 'col' }, c)))),
                h(
                  'tbody',
                  {},
                  state.versions.map((v) => {
                    const runs = byDigest.get(v.digest) || [];
                    return h(
                      'tr',
                      { key: v.digest, class: v.current ? 'current' : null, 'data-testid': 'version-row' },
                      h('td', {}, h('code', { title: v.digest, class: 'digest' }, shortDigest(v.digest)), v.current ? h('span', { class: 'chip' }, 'current') : null),
                      h('td', {}, timeEl(v.created_at)),
                      h('td', {}, bytes(v.size)),
                      h('td', { class: 'num' }, String(v.task_count)),
                      h(
                        'td',
                        {},
                        runs.length
                          ? h(
                              'span',
                              { class: 'dots' },
                              h('span', { class: 'muted small' }, `${runs.length} `),
                              runs.slice(0, RUNS_SHOWN).reverse().map((r) =>
                                h('a', { href: link('dags', dagId, 'runs', r.run_id), class: 'dot-link', key: r.run_id, 'aria-label': `Run ${r.run_id}: ${label(r.state)}` }, dot(r.state, `${r.run_id} · ${label(r.state)}`)),
                              ),
                            )
                          : h('span', { class: 'muted' }, 'none'),
                      ),
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
      const [v, r] = await Promise.all([
        get(`/dags/${seg(dagId)}/versions`, { signal }),
        get(`/dags/${seg(dagId)}/runs?limit=${RUNS_SCANNED}`, { signal }),
      ]);
      state.versions = v.versions;
      state.runs = r.runs;
      state.error = null;
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      state.error = e;
    }
    render();
  }

  const poller = poll(refresh, 5000);
  return { el, destroy: () => poller.stop() };
}
