// Run and task instance states: names, labels, and the badges and dots that show them
// (always with text or a tooltip, never colour alone).

import { h } from './dom.js';
import { RUN_STATE_CLASSES, RUN_STATES, TASK_STATE_CLASSES, TASK_STATES } from './state-classes.js';

// The states and their classes come from the model, through the server's `state-classes.js`.
export { RUN_STATES, TASK_STATES };

/** The classes a task instance or run state is in (`active`, `finished`, ...). */
export const classesOf = (state) =>
  TASK_STATE_CLASSES[state || 'none'] ?? RUN_STATE_CLASSES[state] ?? [];

/** States in which a task instance or run may still change by itself. */
export const isActive = (state) => classesOf(state).includes('active');
export const isFinished = (state) => classesOf(state).includes('finished');

/**
 * The CSS classes that colour a state: its own (`st-running`) and its classes'
 * (`sc-active`), which colour a state that has no colour of its own.
 */
export const stateClass = (state) => {
  const s = state || 'none';
  return [`st-${s}`, ...classesOf(s).map((c) => `sc-${c}`)].join(' ');
};

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
  return h('span', { class: `badge ${stateClass(s)}`, 'data-state': s, ...attrs }, label(s));
}

/** A small dot with a tooltip. */
export function dot(state, title) {
  const s = state || 'none';
  return h('span', { class: `dot ${stateClass(s)}`, title: title || label(s), 'data-state': s });
}

/** The colour legend of task states. */
export function legend(states = TASK_STATES) {
  return h(
    'ul',
    { class: 'legend', 'aria-label': 'State colours' },
    states.map((s) => h('li', {}, h('span', { class: `swatch ${stateClass(s)}` }, glyph(s)), label(s))),
  );
}
