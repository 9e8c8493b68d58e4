// Server-sent events over fetch(): EventSource cannot send the Authorization header,
// so the stream is read and parsed here.

import { ApiError, authHeaders } from './api.js';

/**
 * @typedef {Object} SseEvent
 * @property {string} event the event type (`message` when none was given)
 * @property {string} data the data lines joined with "\n"
 * @property {string|null} id the event's id, if it had one
 */

/**
 * Parse SSE text incrementally: feed chunks, get whole events.
 * @returns {{push: (chunk: string) => SseEvent[], lastId: () => string|null}}
 */
export function sseParser() {
  let buf = '';
  let event = '';
  let data = [];
  let id = null;
  let lastId = null;
  return {
    push(chunk) {
      buf += chunk;
      const out = [];
      const lines = buf.split(/\r\n|\r|\n/);
      buf = lines.pop(); // a line without its end yet
      for (const line of lines) {
        if (line === '') {
          if (data.length) {
            if (id !== null) lastId = id;
            out.push({ event: event || 'message', data: data.join('\n'), id });
          }
          event = '';
          data = [];
          id = null;
          continue;
        }
        if (line.startsWith(':')) continue; // a comment (keep-alive)
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
        else if (field === 'id') id = value;
      }
      return out;
    },
    lastId: () => lastId,
  };
}

/**
 * Read an event stream until it closes. `onEvent` runs for each event as it arrives; when
 * it throws, the connection is closed and the error passed on (so a caller that needs the
 * last id seen on a connection that fails should record it in `onEvent`).
 * @param {string} url
 * @param {{signal?: AbortSignal, lastEventId?: string|null, onEvent: (e: SseEvent) => void}} o
 * @returns {Promise<string|null>} the id of the last event seen (to resume from)
 */
export async function readStream(url, o) {
  const headers = authHeaders({ Accept: 'text/event-stream' });
  if (o.lastEventId != null && o.lastEventId !== '') headers['Last-Event-ID'] = String(o.lastEventId);
  let res;
  try {
    res = await fetch(url, { headers, signal: o.signal, cache: 'no-store' });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', 'Cannot reach the Weft server.');
  }
  if (!res.ok) {
    let detail = {};
    try {
      detail = (await res.json()).error || {};
    } catch {
      /* not JSON */
    }
    throw new ApiError(res.status, detail.code || `http_${res.status}`, detail.message || res.statusText);
  }
  const parser = sseParser();
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let lastId = o.lastEventId || null;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      for (const ev of parser.push(value)) {
        if (ev.id !== null) lastId = ev.id;
        o.onEvent(ev);
      }
    }
  } catch (e) {
    reader.cancel().catch(() => {}); // close the connection, not just stop reading it
    throw e;
  } finally {
    reader.releaseLock();
  }
  return lastId;
}
