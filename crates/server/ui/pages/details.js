// A DAG's details: its settings and tasks as deployed, and the spec it describes.

import { h, morph } from '../dom.js';
import { duration, prettyJson, shortDigest, timeEl } from '../format.js';
import { link, withQuery } from '../router.js';
import { facts } from '../widgets.js';

/**
 * @param {Object} ctx
 * @param {{dag: Object, dagId: string}} shared
 */
export function mount(ctx, shared) {
  const el = h('div', { class: 'details-view' });

  function render() {
    const d = shared.dag;
    if (!d) return;
    const spec = d.spec || {};
    morph(
      el,
      h(
        'div',
        { class: 'details-view' },
        facts([
          ['DAG id', h('code', {}, d.dag_id)],
          ['Description', d.description || '—'],
          ['Schedule', d.schedule ? h('code', {}, d.schedule) : 'manual only'],
          ['Time zone', d.timezone],
          ['Catchup', spec.catchup === undefined ? '—' : String(spec.catchup)],
          ['Tags', (d.tags || []).join(', ') || '—'],
          ['Paused', String(d.paused)],
          ['Version', h('a', { href: link('dags', d.dag_id, 'versions'), title: d.digest }, h('code', {}, shortDigest(d.digest)))],
          ['First deployed', timeEl(d.created_at)],
          ['Last changed', timeEl(d.updated_at)],
        ]),
        h('h3', {}, `Tasks (${(d.tasks || []).length})`),
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'table compact', 'data-testid': 'tasks-table' },
            h('thead', {}, h('tr', {}, ['Task', 'Upstream', 'Trigger rule', 'Queue', 'Pool', 'Priority', 'Retries', 'Retry delay', 'Timeout'].map((c) => h('th', { scope: 'col' }, c)))),
            h(
              'tbody',
              {},
              (d.tasks || []).map((t) =>
                h(
                  'tr',
                  { key: t.task_id },
                  h('td', {}, h('a', { href: withQuery(link('dags', d.dag_id, 'graph'), {}) }, t.task_id)),
                  h('td', {}, t.upstream.length ? t.upstream.join(', ') : h('span', { class: 'muted' }, '—')),
                  h('td', {}, h('code', {}, t.trigger_rule)),
                  h('td', {}, t.queue),
                  h('td', {}, t.pool),
                  h('td', {}, String(t.priority_weight)),
                  h('td', {}, String(t.retries)),
                  h('td', {}, `${duration(t.retry_delay_ms)}${t.retry_exponential_backoff ? ' (doubling)' : ''}`),
                  h('td', {}, t.execution_timeout_ms == null ? h('span', { class: 'muted' }, 'default') : duration(t.execution_timeout_ms)),
                ),
              ),
            ),
          ),
        ),
        h('details', { class: 'spec' }, h('summary', {}, 'Spec (as the component describes it)'), h('pre', { class: 'code' }, prettyJson(spec))),
      ),
    );
  }

  render();
  return { el, dagChanged: render };
}
