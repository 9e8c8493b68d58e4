// The log of one attempt: streamed while the task runs (falling back to polling the
// plain log route on servers without the stream route), fetched once otherwise.
// Follows the end unless the user scrolls up. New lines are drawn once per animation
// frame; the stream is closed while the tab is hidden and resumed after the last line
// seen when it shows again.

import { BASE, get, qs, seg } from '../api.js';
import { h } from '../dom.js';
import { offset } from '../format.js';
import { readStream } from '../sse.js';

/** Lines kept (drawn and for download): the newest ones. */
const MAX_LINES = 50000;
/** Sources not worth a column: the task's own lines. Others (stderr, weft) are shown. */
const QUIET_SOURCES = new Set(['task', 'stdout']);

/**
 * One attempt shown (a new one for each try, and for each run of the same try: a sensor's
 * next poke, a resumed deferral).
 * @typedef {Object} Attempt
 * @property {number} try
 * @property {boolean} live whether it is running (or queued) now
 * @property {?string} run what tells this run of the try from another (when it was queued)
 * @property {AbortController} ctrl aborted when another attempt is shown
 * @property {?AbortController} conn the open stream connection, closed when the tab hides
 * @property {?string} mode 'stream', 'poll' or 'fetch'
 * @property {number} next the number of the next line: lines 0..next-1 were received
 * @property {boolean} ended the stream sent `end`
 * @property {string|null|undefined} endState the state `end` reported
 * @property {boolean} paused the stream is closed while the tab is hidden
 * @property {number} failures failed connections in a row, for backing off
 */

/**
 * @param {{dagId: string, runId: string, taskId: string, mapIndex: ?number}} o
 */
export function logView(o) {
  const base = `/dags/${seg(o.dagId)}/runs/${seg(o.runId)}/tasks/${seg(o.taskId)}/logs`;
  const lines = h('div', {
    class: 'log',
    role: 'log',
    tabindex: '0',
    'aria-label': 'Task log',
    'aria-live': 'off',
    'data-testid': 'log',
  });
  const status = h('span', { class: 'muted small log-status', 'data-testid': 'log-status' });
  const follow = h('input', { type: 'checkbox', checked: true, 'data-testid': 'log-follow' });
  const wrap = h('input', { type: 'checkbox', checked: true });
  const title = h('h3', {}, 'Log');
  const el = h(
    'section',
    { class: 'log-box', 'data-keep': '' },
    h(
      'div',
      { class: 'log-head' },
      title,
      status,
      h('span', { class: 'spacer' }),
      h('label', { class: 'check' }, wrap, 'Wrap'),
      h('label', { class: 'check', title: 'Keep the newest line in view' }, follow, 'Follow'),
      h('button', { type: 'button', class: 'btn small', onClick: download }, 'Download'),
    ),
    lines,
  );
  wrap.addEventListener('change', () => lines.classList.toggle('nowrap', !wrap.checked));
  follow.addEventListener('change', () => {
    if (follow.checked) toBottom();
  });
  lines.addEventListener('scroll', () => {
    const atBottom = lines.scrollHeight - lines.scrollTop - lines.clientHeight < 8;
    if (!atBottom && follow.checked && !programmatic) follow.checked = false;
    else if (atBottom && !follow.checked) follow.checked = true;
    programmatic = false;
  });
  document.addEventListener('visibilitychange', onVisibility);

  let programmatic = false;
  /** @type {?Attempt} */
  let attempt = null;
  let text = []; // plain text of the lines drawn (at most MAX_LINES), for download
  let pending = []; // lines received, drawn with the next frame
  let frame = 0;

  function toBottom() {
    programmatic = true;
    lines.scrollTop = lines.scrollHeight;
  }

  /** Queue parsed lines: they are drawn together with the next frame. */
  function append(items) {
    if (!items.length) return;
    for (const item of items) pending.push(item);
    if (pending.length > MAX_LINES) pending.splice(0, pending.length - MAX_LINES);
    if (!frame) frame = requestAnimationFrame(flush);
  }

  /** Draw the queued lines, drop the oldest beyond MAX_LINES, scroll once. */
  function flush() {
    if (frame) cancelAnimationFrame(frame);
    frame = 0;
    const items = pending;
    pending = [];
    if (!items.length) return;
    const frag = document.createDocumentFragment();
    for (const item of items) {
      const line = typeof item === 'string' ? { message: item } : item || {};
      const lvl = String(line.level || '').toLowerCase();
      const off = offset(line.offset);
      text.push(`${off}\t${lvl}\t${line.source || ''}\t${line.message ?? ''}`);
      frag.appendChild(
        h(
          'div',
          { class: ['log-line', lvl && `lvl-${lvl}`], 'data-testid': 'log-line' },
          h('span', { class: 'off' }, off),
          h('span', { class: 'lvl' }, lvl || ' '),
          line.source && !QUIET_SOURCES.has(line.source) ? h('span', { class: 'src' }, line.source) : null,
          h('span', { class: 'msg' }, String(line.message ?? JSON.stringify(line))),
        ),
      );
    }
    lines.appendChild(frag);
    for (let extra = lines.childElementCount - MAX_LINES; extra > 0; extra--) lines.firstChild.remove();
    if (text.length > MAX_LINES) text.splice(0, text.length - MAX_LINES);
    if (follow.checked) toBottom();
    setStatus();
  }

  function setStatus(extra) {
    const a = attempt;
    if (!a) return;
    const n = a.next;
    let s = `${n} ${n === 1 ? 'line' : 'lines'}`;
    if (n > MAX_LINES) s += ` (the last ${MAX_LINES} shown)`;
    if (a.mode === 'stream' && !a.ended) s += a.paused ? ' · paused while the tab is hidden' : ' · live';
    if (a.mode === 'poll' && a.live) s += ' · refreshing';
    if (a.endState !== undefined) s += a.endState ? ` · ended: ${a.endState.replace(/_/g, ' ')}` : ' · ended';
    if (extra) s += ` · ${extra}`;
    status.textContent = s;
  }

  function reset(tryNumber, live, run) {
    attempt?.ctrl.abort();
    if (frame) cancelAnimationFrame(frame);
    frame = 0;
    pending = [];
    lines.replaceChildren();
    text = [];
    follow.checked = true;
    attempt = {
      try: tryNumber,
      live,
      run: run ?? null,
      ctrl: new AbortController(),
      conn: null,
      mode: null,
      next: 0,
      ended: false,
      endState: undefined,
      paused: false,
      failures: 0,
    };
    title.textContent = tryNumber ? `Log · try ${tryNumber}` : 'Log';
  }

  /** Show an attempt from its start: streamed while it runs, else fetched once. */
  function start(tryNumber, live, run) {
    reset(tryNumber, live, run);
    if (!tryNumber) {
      status.textContent = 'No attempt yet';
      return;
    }
    if (live) streamLoop(attempt);
    else fetchOnce(attempt);
  }

  const query = (a) => qs({ try: a.try, map_index: o.mapIndex });

  async function fetchAll(a) {
    const r = await get(`${base}${query(a)}`, { signal: a.ctrl.signal, quiet: true });
    return r.lines || [];
  }

  /** Add the lines of a whole log that were not received yet. */
  function appendNew(a, all) {
    if (all.length <= a.next) return;
    append(all.slice(a.next));
    a.next = all.length;
  }

  /** The attempt is over (or not running): show its whole log once. */
  async function fetchOnce(a) {
    a.mode = 'fetch';
    try {
      const all = await fetchAll(a);
      if (attempt !== a) return;
      appendNew(a, all);
      setStatus();
      if (!a.next) status.textContent = 'No lines';
    } catch (e) {
      if (e.name !== 'AbortError' && attempt === a) status.textContent = e.message;
    }
  }

  /** Poll the plain route while the attempt runs (servers without the stream route). */
  async function pollLoop(a) {
    a.mode = 'poll';
    while (attempt === a) {
      try {
        await whenVisible(a.ctrl.signal);
        const all = await fetchAll(a);
        if (attempt !== a) return;
        appendNew(a, all);
        setStatus(a.next ? '' : 'no lines yet');
      } catch (e) {
        if (e.name === 'AbortError') return;
      }
      if (!a.live) break;
      try {
        await sleep(1000, a.ctrl.signal);
      } catch {
        return;
      }
    }
    setStatus();
  }

  /** One event of the stream. Throws on `error`, to drop the connection and resume. */
  function onStreamEvent(a, ev) {
    if (attempt !== a) return;
    if (ev.event === 'line') {
      a.failures = 0;
      const id = ev.id !== null && /^\d+$/.test(ev.id) ? Number(ev.id) : a.next;
      if (id < a.next) return; // shown already: sent again after a reconnect
      a.next = id + 1; // recorded at once: a reconnect goes on after it
      let line;
      try {
        line = JSON.parse(ev.data);
      } catch {
        line = ev.data;
      }
      append([line]);
    } else if (ev.event === 'error') {
      // The server could not read the log: drop this connection and resume.
      throw new Error('stream error');
    } else if (ev.event === 'end') {
      a.ended = true;
      a.endState = null;
      try {
        a.endState = JSON.parse(ev.data).state || null;
      } catch {
        /* no state */
      }
      setStatus();
    }
  }

  async function streamLoop(a) {
    a.mode = 'stream';
    setStatus('connecting');
    while (attempt === a && !a.ended) {
      try {
        await whenVisible(a.ctrl.signal);
        if (attempt !== a) return;
        // This connection: closed with the attempt, or when the tab hides.
        const conn = new AbortController();
        const close = () => conn.abort();
        a.ctrl.signal.addEventListener('abort', close, { once: true });
        a.conn = conn;
        a.paused = false;
        try {
          await readStream(`${BASE}${base}/stream${query(a)}`, {
            signal: conn.signal,
            lastEventId: a.next > 0 ? String(a.next - 1) : null,
            onEvent: (ev) => onStreamEvent(a, ev),
          });
        } finally {
          a.ctrl.signal.removeEventListener('abort', close);
          if (a.conn === conn) a.conn = null;
        }
        if (!a.ended) await sleep(1000, a.ctrl.signal); // closed early: resume
      } catch (e) {
        if (attempt !== a || a.ctrl.signal.aborted) return;
        if (e.name === 'AbortError') continue; // closed as the tab hid: resume once it shows
        if (e.noRoute || e.status === 405) return pollLoop(a); // an older server: poll instead
        if (e.status === 400) {
          status.textContent = e.message;
          return;
        }
        if (e.status === 404) {
          // The attempt has not started yet: its stream appears once it has.
          setStatus('waiting for the attempt to start');
          if (!a.live) return fetchOnce(a);
          await sleep(1000, a.ctrl.signal).catch(() => {});
          continue;
        }
        // A dropped connection, the store's `error`, or the server at its stream limit (503):
        // retry, less often while it keeps failing.
        a.failures += 1;
        setStatus(e.status === 503 ? 'the server is busy, retrying' : 'reconnecting');
        await sleep(Math.min(30000, 1000 * 2 ** a.failures), a.ctrl.signal).catch(() => {});
      }
    }
  }

  /** Close the stream while the tab is hidden; its loop resumes it when the tab shows. */
  function onVisibility() {
    const a = attempt;
    if (!a || a.mode !== 'stream' || a.ended) return;
    if (document.hidden) {
      if (!a.conn) return;
      a.paused = true;
      a.conn.abort();
      setStatus();
    } else if (a.paused) {
      a.paused = false;
      setStatus('connecting');
    }
  }

  function download() {
    flush();
    const blob = new Blob([text.join('\n') + '\n'], { type: 'text/plain' });
    const a = h('a', {
      href: URL.createObjectURL(blob),
      download: `${o.dagId}.${o.taskId}${o.mapIndex != null ? `.${o.mapIndex}` : ''}.${attempt?.try || 0}.log`,
    });
    document.body.appendChild(a);
    a.click();
    setTimeout(() => {
      URL.revokeObjectURL(a.href);
      a.remove();
    }, 1000);
  }

  return {
    el,
    /**
     * Show an attempt. Called on every refresh of the task instance.
     * @param {number} tryNumber the attempt (0: none yet)
     * @param {boolean} live whether it is running (or queued) now
     * @param {?string} [run] what tells one run of the try from another (when it was
     *   queued): a new value while live is a new run, whose log replaces the one shown
     */
    show(tryNumber, live, run = null) {
      const a = attempt;
      if (!a || a.try !== tryNumber) {
        start(tryNumber, live, run);
        return;
      }
      const was = a.live;
      const rerun = live && (!was || (run !== null && a.run !== null && run !== a.run));
      a.live = live;
      if (run !== null) a.run = run;
      if (rerun) {
        // The try runs (again): a sensor's next poke, a resumed deferral, or the attempt
        // shown before it started. Follow it from its first line.
        start(tryNumber, live, run);
      } else if (!live && was && a.mode === 'stream' && !a.ended) {
        // The attempt ended: the stream sends its last lines and `end`; make sure of them.
        setTimeout(() => {
          if (attempt === a && !a.ended && !a.live) {
            a.ctrl.abort();
            const b = { ...a, ctrl: new AbortController(), conn: null, mode: 'fetch', paused: false };
            attempt = b;
            fetchOnce(b);
          }
        }, 3000);
      }
    },
    destroy() {
      attempt?.ctrl.abort();
      attempt = null;
      if (frame) cancelAnimationFrame(frame);
      frame = 0;
      pending = [];
      document.removeEventListener('visibilitychange', onVisibility);
    },
  };
}

function abortError() {
  return new DOMException('aborted', 'AbortError');
}

/** Wait `ms`; rejects with an AbortError once `signal` aborts. */
function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const onAbort = () => {
      clearTimeout(t);
      reject(abortError());
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Wait until the tab is visible (at once when it is); rejects once `signal` aborts. */
function whenVisible(signal) {
  if (signal.aborted) return Promise.reject(abortError());
  if (!document.hidden) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = () => {
      document.removeEventListener('visibilitychange', onChange);
      signal.removeEventListener('abort', onAbort);
    };
    const onChange = () => {
      if (document.hidden) return;
      done();
      resolve();
    };
    const onAbort = () => {
      done();
      reject(abortError());
    };
    document.addEventListener('visibilitychange', onChange);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
