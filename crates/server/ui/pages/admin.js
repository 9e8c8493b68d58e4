// Admin: variables, connections, pools, secrets, assets and tokens, one tab (and URL) each.

import { get, seg } from '../api.js';
import { h } from '../dom.js';
import { timeEl } from '../format.js';
import { link } from '../router.js';
import { can } from '../session.js';
import { notFound, tabs } from '../widgets.js';
import { resource } from './admin/resource.js';
import { assets } from './admin/assets.js';
import { tokens } from './admin/tokens.js';

const muted = (text) => h('span', { class: 'muted' }, text);
const orMuted = (v, text = '—') => (v === null || v === undefined || v === '' ? muted(text) : String(v));

const SECTIONS = {
  variables: {
    label: 'Variables',
    make: () =>
      resource({
        title: 'Variables',
        noun: 'variable',
        testid: 'variable',
        role: 'editor',
        list: async (signal) => (await get('/variables', { signal })).variables,
        id: (v) => v.key,
        columns: [
          ['Key', (v) => h('code', {}, v.key)],
          ['Value', (v) => h('span', { class: 'value-cell', title: v.value }, v.value.length > 120 ? `${v.value.slice(0, 120)}…` : v.value)],
          ['Description', (v) => orMuted(v.description)],
          ['Updated', (v) => timeEl(v.updated_at)],
        ],
        fields: [
          { name: 'key', label: 'Key', required: true, key: true },
          { name: 'value', label: 'Value', type: 'textarea', hint: 'Stored as text; tasks read it as it is.' },
          { name: 'description', label: 'Description' },
        ],
        initial: (v) => (v ? { key: v.key, value: v.value, description: v.description } : {}),
        toRequest: (vals) => ({ id: vals.key.trim(), body: { value: vals.value, description: vals.description } }),
        path: (id) => `/variables/${seg(id)}`,
        deletable: true,
      }),
  },
  connections: {
    label: 'Connections',
    make: () =>
      resource({
        title: 'Connections',
        noun: 'connection',
        testid: 'connection',
        role: 'editor',
        list: async (signal) => (await get('/connections', { signal })).connections,
        id: (c) => c.conn_id,
        columns: [
          ['Id', (c) => h('code', {}, c.conn_id)],
          ['Type', (c) => c.conn_type],
          ['Host', (c) => (c.host ? `${c.host}${c.port ? `:${c.port}` : ''}` : muted('—'))],
          ['Schema', (c) => orMuted(c.schema)],
          ['Login', (c) => orMuted(c.login)],
          ['Password', (c) => (c.has_password ? h('span', { title: 'Stored sealed; never shown' }, '••••••') : muted('none'))],
          ['Extra', (c) => (c.extra_keys.length ? h('span', { class: 'mono small' }, c.extra_keys.join(', ')) : muted('—'))],
          ['Updated', (c) => timeEl(c.updated_at)],
        ],
        fields: [
          { name: 'conn_id', label: 'Connection id', required: true, key: true },
          { name: 'conn_type', label: 'Type', required: true, placeholder: 'postgres, http, aws, smtp…' },
          { name: 'host', label: 'Host' },
          { name: 'port', label: 'Port', type: 'number' },
          { name: 'schema', label: 'Schema', hint: 'Database, bucket or path, as the type means it.' },
          { name: 'login', label: 'Login' },
          { name: 'password', label: 'Password', type: 'password', hint: 'Stored sealed and never shown again. When editing, left empty keeps the stored one.' },
          { name: 'extra', label: 'Extra (JSON object)', type: 'json', placeholder: '{"sslmode": "require"}', hint: 'Stored sealed; only its keys are shown again. When editing, the keys given are added or replaced (null removes one) and the others kept.' },
          { name: 'description', label: 'Description' },
        ],
        formNote: (c) =>
          c && (c.has_password || c.extra_keys.length)
            ? h(
                'p',
                { class: 'note', 'data-testid': 'connection-kept-note' },
                'Its stored ',
                [c.has_password && 'password', c.extra_keys.length && `extra (${c.extra_keys.join(', ')})`].filter(Boolean).join(' and '),
                ' cannot be shown, and are kept unless you enter new ones.',
              )
            : null,
        initial: (c) =>
          c ? { conn_id: c.conn_id, conn_type: c.conn_type, host: c.host ?? '', port: c.port ?? '', schema: c.schema ?? '', login: c.login ?? '', description: c.description } : {},
        // A new connection is PUT whole; an edit is a merge patch of the fields shown (an
        // emptied one is removed), which keeps the sealed password and extra not entered.
        toRequest: (v, item) => {
          const body = { conn_type: v.conn_type.trim() };
          for (const k of ['host', 'schema', 'login']) {
            if (v[k].trim()) body[k] = v[k].trim();
            else if (item) body[k] = null;
          }
          if (v.port.trim()) {
            const port = Number(v.port);
            if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('Port must be a number from 0 to 65535.');
            body.port = port;
          } else if (item) {
            body.port = null;
          }
          if (v.password) body.password = v.password;
          if (v.extra.trim()) body.extra = JSON.parse(v.extra);
          body.description = v.description;
          return { id: v.conn_id.trim(), body, method: item ? 'PATCH' : 'PUT' };
        },
        path: (id) => `/connections/${seg(id)}`,
        deletable: true,
      }),
  },
  pools: {
    label: 'Pools',
    make: () =>
      resource({
        title: 'Pools',
        noun: 'pool',
        testid: 'pool',
        role: 'editor',
        list: async (signal) => (await get('/pools', { signal })).pools,
        id: (p) => p.name,
        columns: [
          ['Pool', (p) => h('code', {}, p.name)],
          ['Slots', (p) => h('span', { class: 'num' }, String(p.slots))],
          ['Used', (p) => h('span', { class: 'num', 'data-testid': 'pool-used', title: 'Task instances queued or running in it' }, String(p.used_slots))],
          ['Waiting', (p) => h('span', { class: p.waiting ? 'num warn-text' : 'num', 'data-testid': 'pool-waiting', title: 'Task instances ready to run that wait for a slot' }, String(p.waiting))],
          ['Description', (p) => orMuted(p.description)],
        ],
        fields: [
          { name: 'name', label: 'Name', required: true, key: true },
          { name: 'slots', label: 'Slots', type: 'number', required: true, hint: 'Task instances that may run in it at once; 0 holds every task that names it.' },
          { name: 'description', label: 'Description' },
        ],
        initial: (p) => (p ? { name: p.name, slots: String(p.slots), description: p.description } : { slots: '16' }),
        toRequest: (v) => {
          const slots = Number(v.slots);
          if (!Number.isInteger(slots) || slots < 0) throw new Error('Slots must be a whole number, 0 or more.');
          return { id: v.name.trim(), body: { slots, description: v.description } };
        },
        path: (id) => `/pools/${seg(id)}`,
        // The default pool stays; the server refuses to delete a pool in use, and says why.
        deletable: (p) => p.name !== 'default_pool',
      }),
  },
  secrets: {
    label: 'Secrets',
    make: () =>
      resource({
        title: 'Secrets',
        noun: 'secret',
        testid: 'secret',
        role: 'editor',
        list: async (signal) => (await get('/secrets', { signal })).secrets,
        id: (s) => s.name,
        columns: [
          ['Name', (s) => h('code', {}, s.name)],
          ['Description', (s) => orMuted(s.description)],
          ['Created', (s) => timeEl(s.created_at)],
          ['Updated', (s) => timeEl(s.updated_at)],
        ],
        fields: [
          { name: 'name', label: 'Name', required: true, key: true },
          { name: 'value', label: 'Value', type: 'password', required: true, hint: 'Stored sealed; never shown again. Tasks that declare the secret read it.' },
          { name: 'description', label: 'Description' },
        ],
        initial: (s) => (s ? { name: s.name, description: s.description } : {}),
        toRequest: (v) => ({ id: v.name.trim(), body: { value: v.value, description: v.description } }),
        path: (id) => `/secrets/${seg(id)}`,
        deletable: true,
      }),
  },
  assets: { label: 'Assets', make: assets },
  tokens: { label: 'Tokens', make: tokens, role: 'admin' },
};

/** @param {{params: {section?: string}}} ctx */
export function mount(ctx) {
  const el = h('section', { class: 'page', 'data-testid': 'admin-page' });
  let sub = null;
  let section = null;

  function show(name) {
    if (name === section) return;
    sub?.destroy?.();
    section = name;
    const spec = SECTIONS[name];
    const visible = Object.entries(SECTIONS).filter(([, s]) => !s.role || can(s.role));
    el.replaceChildren(
      h('div', { class: 'page-head' }, h('h1', {}, 'Admin')),
      tabs(visible.map(([id, s]) => ({ id, label: s.label, href: link('admin', id), current: id === name }))),
    );
    if (!spec) {
      sub = null;
      el.appendChild(notFound(`There is no admin section “${name}”.`, link('admin', 'variables'), 'Variables'));
      return;
    }
    sub = spec.make();
    el.appendChild(sub.el);
  }

  show(ctx.params.section || 'variables');
  return {
    el,
    update(next) {
      show(next.params.section || 'variables');
      return true;
    },
    destroy() {
      sub?.destroy?.();
    },
  };
}
