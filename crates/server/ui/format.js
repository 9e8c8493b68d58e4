// Formatting of times, durations, sizes and ids, and the <time> element that shows
// a relative time with the exact UTC time in its title.

import { h } from './dom.js';

/** Parse an API timestamp; null for empty or invalid. */
export function parseTime(s) {
  if (!s) return null;
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : t;
}

/** Exact time in UTC, ISO 8601 to the millisecond. */
export function isoUtc(s) {
  const t = parseTime(s);
  return t === null ? '' : new Date(t).toISOString().replace('.000Z', 'Z');
}

/** Short absolute time "2026-11-24 06:22:54" (UTC). */
export function shortUtc(s) {
  const t = parseTime(s);
  if (t === null) return '—';
  return new Date(t).toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * "3 min ago", "in 2 h", "just now".
 * @param {string} s timestamp
 * @param {number} [now]
 */
export function relative(s, now = Date.now()) {
  const t = parseTime(s);
  if (t === null) return '—';
  const diff = (t - now) / 1000;
  const abs = Math.abs(diff);
  if (abs < 5) return 'just now';
  let text;
  if (abs < 60) text = `${Math.round(abs)} s`;
  else if (abs < 3600) text = `${Math.round(abs / 60)} min`;
  else if (abs < 86400) text = `${(abs / 3600).toFixed(abs < 36000 ? 1 : 0).replace(/\.0$/, '')} h`;
  else if (abs < 86400 * 60) text = `${Math.round(abs / 86400)} d`;
  else return shortUtc(s).slice(0, 10);
  return diff < 0 ? `${text} ago` : `in ${text}`;
}

/** A <time> showing the relative time, the exact UTC time in its title. */
export function timeEl(s, opts = {}) {
  if (!s) return h('span', { class: 'muted' }, '—');
  const iso = isoUtc(s);
  return h('time', { datetime: iso, title: `${iso} (UTC)`, class: opts.class }, relative(s));
}

/**
 * Human duration from milliseconds: "850 ms", "1.2 s", "3 min 4 s", "2 h 5 min".
 * @param {number|null|undefined} ms
 */
export function duration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '—';
  if (ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1).replace(/\.0$/, '') : Math.round(s)} s`;
  const total = Math.round(s);
  const d = Math.floor(total / 86400);
  const hr = Math.floor((total % 86400) / 3600);
  const min = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  if (d) return `${d} d ${hr} h`;
  if (hr) return `${hr} h ${min} min`;
  return sec ? `${min} min ${sec} s` : `${min} min`;
}

/** Duration between two timestamps (to now when `end` is empty). */
export function between(start, end) {
  const a = parseTime(start);
  if (a === null) return null;
  const b = parseTime(end) ?? Date.now();
  return b - a;
}

/** Seconds as a human age: 1.25 → "1.3 s". */
export function ageSeconds(sec) {
  return sec === null || sec === undefined ? '—' : duration(sec * 1000);
}

/** 1536 → "1.5 KiB". */
export function bytes(n) {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** "sha256:abcdef…" → "abcdef12" (for display; the full digest goes in a title). */
export function shortDigest(d) {
  if (!d) return '—';
  const hex = d.includes(':') ? d.split(':')[1] : d;
  return hex.slice(0, 12);
}

/** A log line offset {secs, nanos} → "12.345 s". */
export function offset(o) {
  if (o === null || o === undefined) return '';
  if (typeof o === 'number') return `${o.toFixed(3)} s`;
  const secs = Number(o.secs || 0) + Number(o.nanos || 0) / 1e9;
  return `${secs.toFixed(3)} s`;
}

/** Pretty JSON, for conf and XCom values. */
export function prettyJson(v) {
  try {
    return JSON.stringify(v, null, 2);
  } catch {
    return String(v);
  }
}

/** Pluralise: plural(3, 'task') → "3 tasks". */
export function plural(n, word, many = `${word}s`) {
  return `${n} ${n === 1 ? word : many}`;
}
