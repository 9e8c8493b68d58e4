// Assets: every asset of the tenant (producers, consumers, events) and the latest events.

import { get, qs } from '../../api.js';
import { h, morph } from '../../dom.js';
import { timeEl } from '../../format.js';
import { poll } from '../../poll.js';
import { link } from '../../router.js';
import { empty, errorBox, loading } from '../../widgets.js';

export function assets() {
  const state = { assets: null, events: null, error: null, uri: '' };
  const list = h('div', { class: 'assets-body' }, loading());
  const events = h('div', { class: 'events-body' });
  const eventsTitle = h('h2', { class: 'section-title' }, 'Latest events');
  const el = h('section', { class: 'resource', 'data-testid': 'assets-section' }, list, eventsTitle, events);

  function choose(uri) {
    state.uri = state.uri === uri ? '' : uri;
    poller.now();
  }

  function render() {
    if (state.error && !state.assets) {
      morph(list, h('div', { class: 'assets-body' }, errorBox(state.error)));
      return;
    }
    if (!state.assets) return;
    morph(
      list,
      h(
        'div',
        { class: 'assets-body' },
        state.assets.length === 0
          ? empty('No assets. A DAG names one as a task outlet or a schedule; an event makes one too.')
          : h(
              'div',
              { class: 'table-wrap' },
              h(
                'table',
                { class: 'table', 'data-testid': 'assets-table' },
                h('thead', {}, h('tr', {}, ['Asset', 'Updated by', 'Starts', 'Events', 'Last event'].map((c) => h('th', { scope: 'col' }, c)))),
                h(
                  'tbody',
                  {},
                  state.assets.map((a) =>
                    h(
                      'tr',
                      { key: a.uri, class: state.uri === a.uri ? 'selected' : null, 'data-testid': 'asset-row' },
                      h('td', {}, h('button', { type: 'button', class: 'link-btn mono', title: 'Show its events', onClick: () => choose(a.uri) }, a.uri)),
                      h('td', {}, a.producers.length ? a.producers.map((p) => h('div', {}, h('a', { href: link('dags', p.dag_id, 'grid') }, p.dag_id), h('span', { class: 'muted' }, ` · ${p.task_id}`))) : h('span', { class: 'muted' }, '—')),
                      h('td', {}, a.consumers.length ? a.consumers.map((c) => h('div', {}, h('a', { href: link('dags', typeof c === 'string' ? c : c.dag_id, 'grid') }, typeof c === 'string' ? c : c.dag_id))) : h('span', { class: 'muted' }, '—')),
                      h('td', { class: 'num' }, String(a.events)),
                      h('td', {}, timeEl(a.last_event_at)),
                    ),
                  ),
                ),
              ),
            ),
      ),
    );
    eventsTitle.textContent = state.uri ? `Events of ${state.uri}` : 'Latest events';
    if (!state.events) return;
    morph(
      events,
      h(
        'div',
        { class: 'events-body' },
        state.events.length === 0
          ? empty('No events.')
          : h(
              'div',
              { class: 'table-wrap' },
              h(
                'table',
                { class: 'table compact', 'data-testid': 'asset-events-table' },
                h('thead', {}, h('tr', {}, ['When', 'Asset', 'Source', 'Extra'].map((c) => h('th', { scope: 'col' }, c)))),
                h(
                  'tbody',
                  {},
                  state.events.map((e) =>
                    h(
                      'tr',
                      { key: String(e.id) },
                      h('td', {}, timeEl(e.created_at)),
                      h('td', { class: 'mono small' }, e.uri),
                      h(
                        'td',
                        {},
                        e.source
                          ? h('a', { href: link('dags', e.source.dag_id, 'runs', e.source.run_id, 'tasks', e.source.task_id) }, `${e.source.dag_id} · ${e.source.task_id}${e.source.map_index != null ? `[${e.source.map_index}]` : ''}`)
                          : h('span', { class: 'muted' }, 'posted through the API'),
                      ),
                      h('td', {}, Object.keys(e.extra || {}).length ? h('code', { class: 'small' }, JSON.stringify(e.extra)) : h('span', { class: 'muted' }, '{}')),
                    ),
                  ),
                ),
              ),
            ),
      ),
    );
  }

  async function refresh(signal) {
    try {
      const [a, ev] = await Promise.all([
        get('/assets', { signal }),
        get(`/assets/events${qs({ uri: state.uri, limit: 100 })}`, { signal }),
      ]);
      state.assets = a.assets;
      state.events = ev.events;
      state.error = null;
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      state.error = e;
    }
    render();
  }

  const poller = poll(refresh, 3000);
  return { el, destroy: () => poller.stop() };
}
