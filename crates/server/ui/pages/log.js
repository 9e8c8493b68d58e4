// The log of one attempt: streamed while the task runs (falling back to polling the
// plain log route on servers without the stream route), fetched once otherwise.
// Follows the end unless the user scrolls up.

import { BASE, get, qs, seg } from '../api.js';
import { h } from '../dom.js';
import { offset } from '../format.js';
import { readStream } from '../sse.js';

const MAX_LINES = 50000;
/** Sources not worth a column: the task's own lines. Others (stderr, weft) are shown. */
const QUIET_SOURCES = new Set(['task', 'stdout']);

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

  let programmatic = false;
  let attempt = null; // {try, live, ctrl, count, ended, mode, state}
  let text = []; // plain text of the lines, for download

  function toBottom() {
    programmatic = true;
    lines.scrollTop = lines.scrollHeight;
  }

  /** Add parsed lines to the view. */
  function append(items) {
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
    while (lines.childElementCount > MAX_LINES) lines.firstChild.remove();
    if (follow.checked) toBottom();
    setStatus();
  }

  function setStatus(extra) {
    if (!attempt) return;
    const n = text.length;
    let s = `${n} ${n === 1 ? 'line' : 'lines'}`;
    if (attempt.mode === 'stream' && !attempt.ended) s += ' · live';
    if (attempt.mode === 'poll' && attempt.live) s += ' · refreshing';
    if (extra) s += ` · ${extra}`;
    status.textContent = s;
  }

  function reset(tryNumber, live) {
    if (attempt?.ctrl) attempt.ctrl.abort();
    lines.replaceChildren();
    text = [];
    follow.checked = true;
    attempt = { try: tryNumber, live, ctrl: new AbortController(), ended: false, mode: null, lastId: null };
    title.textContent = tryNumber ? `Log · try ${tryNumber}` : 'Log';
  }

  const query = (a) => qs({ try: a.try, map_index: o.mapIndex });

  async function fetchAll(a) {
    const r = await get(`${base}${query(a)}`, { signal: a.ctrl.signal, quiet: true });
    return r.lines || [];
  }

  /** The attempt is over (or not running): show its whole log once. */
  async function fetchOnce(a) {
    a.mode = 'fetch';
    try {
      const all = await fetchAll(a);
      if (attempt !== a) return;
      append(all.slice(text.length));
      setStatus();
      if (!all.length && !text.length) status.textContent = 'No lines';
    } catch (e) {
      if (e.name !== 'AbortError' && attempt === a) status.textContent = e.message;
    }
  }

  /** Poll the plain route while the attempt runs (servers without the stream route). */
  async function pollLoop(a) {
    a.mode = 'poll';
    while (attempt === a) {
      try {
        const all = await fetchAll(a);
        if (attempt !== a) return;
        append(all.slice(text.length));
        setStatus(text.length ? '' : 'no lines yet');
      } catch (e) {
        if (e.name === 'AbortError') return;
      }
      if (!a.live) break;
      await sleep(1000, a.ctrl.signal);
    }
    setStatus();
  }

  async function streamLoop(a) {
    a.mode = 'stream';
    setStatus('connecting');
    while (attempt === a && !a.ended) {
      try {
        a.lastId = await readStream(`${BASE}${base}/stream${query(a)}`, {
          signal: a.ctrl.signal,
          lastEventId: a.lastId,
          onEvent: (ev) => {
            if (attempt !== a) return;
            if (ev.event === 'line') {
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
              let st = '';
              try {
                st = JSON.parse(ev.data).state;
              } catch {
                /* no state */
              }
              setStatus(st ? `ended: ${st.replace(/_/g, ' ')}` : 'ended');
            }
          },
        });
        if (!a.ended) await sleep(1000, a.ctrl.signal); // closed early: resume
      } catch (e) {
        if (e.name === 'AbortError' || attempt !== a) return;
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
        setStatus('reconnecting');
        await sleep(2000, a.ctrl.signal).catch(() => {});
      }
    }
  }

  function download() {
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
     * @param {boolean} live whether it is running now
     */
    show(tryNumber, live) {
      if (!attempt || attempt.try !== tryNumber) {
        reset(tryNumber, live);
        if (!tryNumber) {
          status.textContent = 'No attempt yet';
          return;
        }
        if (live) streamLoop(attempt);
        else fetchOnce(attempt);
        return;
      }
      const a = attempt;
      const was = a.live;
      a.live = live;
      if (live && !was && a.mode === 'fetch') {
        reset(tryNumber, live);
        streamLoop(attempt);
      } else if (!live && was && a.mode === 'stream' && !a.ended) {
        // The attempt ended: the stream sends its last lines and `end`; make sure of them.
        setTimeout(() => {
          if (attempt === a && !a.ended) {
            a.ctrl.abort();
            const b = { ...a, ctrl: new AbortController(), mode: 'fetch' };
            attempt = b;
            fetchOnce(b);
          }
        }, 3000);
      }
    },
    destroy() {
      attempt?.ctrl.abort();
      attempt = null;
    },
  };
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new DOMException('aborted', 'AbortError'));
    });
  });
}
