// Run and task instance states: names, labels, and the badges and dots that show them
// (always with text or a tooltip, never colour alone).

import { h } from './dom.js';

/** Task instance states, in the order the legend lists them. */
export const TASK_STATES = [
  'none', 'scheduled', 'queued', 'running', 'success', 'failed', 'up_for_retry',
  'up_for_reschedule', 'deferred', 'upstream_failed', 'skipped', 'removed',
];

/** Run states. */
export const RUN_STATES = ['queued', 'running', 'success', 'failed'];

/** States in which a task instance or run may still change by itself. */
const ACTIVE = new Set([
  'scheduled', 'queued', 'running', 'up_for_retry', 'up_for_reschedule', 'deferred',
]);

export const isActive = (state) => ACTIVE.has(state);
export const isFinished = (state) =>
  ['success', 'failed', 'skipped', 'upstream_failed', 'removed'].includes(state);

/** "up_for_retry" → "up for retry". */
export const label = (state) => (state || 'none').replace(/_/g, ' ');

/** A one-glyph mark shown inside small cells, so states differ without colour too. */
const GLYPH = {
  success: '✓', failed: '✕', running: '▶', queued: '·', scheduled: '·',
  up_for_retry: '↻', up_for_reschedule: '⟳', deferred: '⏸', skipped: '»',
  upstream_failed: '!', removed: '−', none: '',
};
export const glyph = (state) => GLYPH[state] ?? '';

/** A pill with the state's name. */
export function badge(state, attrs = {}) {
  const s = state || 'none';
  return h('span', { class: `badge st-${s}`, 'data-state': s, ...attrs }, label(s));
}

/** A small dot with a tooltip. */
export function dot(state, title) {
  const s = state || 'none';
  return h('span', { class: `dot st-${s}`, title: title || label(s), 'data-state': s });
}

/** The colour legend of task states. */
export function legend(states = TASK_STATES) {
  return h(
    'ul',
    { class: 'legend', 'aria-label': 'State colours' },
    states.map((s) => h('li', {}, h('span', { class: `swatch st-${s}` }, glyph(s)), label(s))),
  );
}
