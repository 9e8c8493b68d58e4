// Weft's web UI: the shell (header, navigation, banner, sign-in) and the page switcher.

import { api, getToken, onApiEvent, setToken } from './api.js';
import { h, setChildren } from './dom.js';
import { match, route, start, PREFIX } from './router.js';
import { session } from './session.js';
import * as dags from './pages/dags.js';
import * as dag from './pages/dag.js';
import * as runs from './pages/runs.js';
import * as workers from './pages/workers.js';
import * as admin from './pages/admin.js';
import { notFound } from './widgets.js';

const ROUTES = [
  route('/', 'dags'),
  route('/dags', 'dags'),
  route('/dags/:dag', 'dag'),
  route('/dags/:dag/:tab', 'dag'),
  route('/dags/:dag/runs/:run', 'dag'),
  route('/dags/:dag/runs/:run/tasks/:task', 'dag'),
  route('/runs', 'runs'),
  route('/workers', 'workers'),
  route('/admin', 'admin'),
  route('/admin/:section', 'admin'),
];

const PAGES = {
  dags,
  dag,
  runs,
  workers,
  admin,
  notfound: {
    mount: () => ({ el: notFound('There is no page at this address.') }),
  },
};

/** Sections of the main navigation: [page names it covers, href, label]. */
const NAV = [
  [['dags', 'dag'], `${PREFIX}/dags`, 'DAGs'],
  [['runs'], `${PREFIX}/runs`, 'Runs'],
  [['workers'], `${PREFIX}/workers`, 'Workers'],
  [['admin'], `${PREFIX}/admin/variables`, 'Admin'],
];

const root = document.getElementById('app');
const main = h('main', { id: 'main', class: 'main', tabindex: '-1' });
const banner = h('div', { class: 'banner', role: 'alert', hidden: true, 'data-testid': 'banner' });
const navEl = h('nav', { class: 'nav', id: 'nav', 'aria-label': 'Main' });
const who = h('div', { class: 'who' });
const menuBtn = h(
  'button',
  {
    type: 'button',
    class: 'icon-btn menu-btn',
    'aria-label': 'Menu',
    'aria-expanded': 'false',
    'aria-controls': 'nav',
    onClick: () => {
      const open = header.classList.toggle('open');
      menuBtn.setAttribute('aria-expanded', String(open));
    },
  },
  '☰',
);
const header = h(
  'header',
  { class: 'header' },
  h('a', { href: `${PREFIX}/`, class: 'brand', 'aria-label': 'Weft home' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), 'Weft'),
  menuBtn,
  navEl,
  who,
);

/** @type {{page: string, instance: any}|null} */
let current = null;
let signedIn = false;

function renderNav(page) {
  navEl.hidden = !session.who;
  setChildren(
    navEl,
    NAV.map(([pages, href, text]) =>
      h('a', { href, class: 'nav-link', 'aria-current': pages.includes(page) ? 'page' : null }, text),
    ),
  );
  const w = session.who;
  setChildren(
    who,
    w
      ? h(
          'span',
          { class: 'tenant', title: w.installation_admin ? 'Installation administrator' : `Role: ${w.role}`, 'data-testid': 'tenant' },
          h('span', { class: 'tenant-name' }, w.tenant),
          h('span', { class: 'role' }, w.installation_admin ? 'admin' : w.role),
        )
      : null,
    getToken()
      ? h('button', { type: 'button', class: 'btn small', 'data-testid': 'sign-out', onClick: signOut }, 'Sign out')
      : null,
  );
}

function show() {
  if (!signedIn) return;
  const m = match(ROUTES, location);
  header.classList.remove('open');
  menuBtn.setAttribute('aria-expanded', 'false');
  renderNav(m.page);
  document.title = titleOf(m);
  const ctx = { ...m };
  if (current && current.page === m.page && current.instance.update && current.instance.update(ctx) !== false) {
    return;
  }
  if (current && current.instance.destroy) current.instance.destroy();
  const instance = PAGES[m.page].mount(ctx);
  current = { page: m.page, instance };
  setChildren(main, instance.el);
  window.scrollTo(0, 0);
}

/** The tab's title for a route. */
function titleOf(m) {
  const p = m.params;
  const parts = {
    dags: ['DAGs'],
    dag: [p.task, p.run && !p.task ? p.run : null, p.dag].filter(Boolean),
    runs: ['Runs'],
    workers: ['Workers'],
    admin: [`Admin: ${p.section || 'variables'}`],
    notfound: ['Not found'],
  }[m.page] || [];
  return [...parts, 'Weft'].join(' · ');
}

function stopPage() {
  if (current && current.instance.destroy) current.instance.destroy();
  current = null;
}

function signOut() {
  setToken('');
  signedIn = false;
  session.who = null;
  stopPage();
  boot();
}

/** The sign-in page: asks for an API token. */
function signIn(message) {
  signedIn = false;
  stopPage();
  renderNav('');
  const input = h('input', {
    type: 'password',
    id: 'token',
    name: 'token',
    autocomplete: 'current-password',
    required: true,
    'data-testid': 'token-input',
  });
  const err = h('p', { class: 'form-error', role: 'alert' }, message || '');
  const form = h(
    'form',
    {
      class: 'signin card',
      onSubmit: async (ev) => {
        ev.preventDefault();
        const token = input.value.trim();
        if (!token) return;
        setToken(token);
        try {
          session.who = await api('GET', '/whoami', undefined, { quiet: true });
          signedIn = true;
          start(show);
        } catch (e) {
          setToken('');
          err.textContent = e.status === 401 ? 'This token is not accepted.' : e.message;
          input.focus();
        }
      },
    },
    h('h1', {}, 'Sign in to Weft'),
    h('p', { class: 'muted' }, 'This server needs an API token. Ask an administrator of your tenant for one (', h('code', {}, 'wfctl tokens create'), ').'),
    h('label', { for: 'token' }, 'API token'),
    input,
    err,
    h('button', { type: 'submit', class: 'btn primary', 'data-testid': 'sign-in' }, 'Sign in'),
  );
  setChildren(main, form);
  input.focus();
}

async function boot() {
  try {
    session.who = await api('GET', '/whoami', undefined, { quiet: true });
  } catch (e) {
    if (e.status === 401) {
      signIn(getToken() ? 'Your token is no longer accepted. Sign in again.' : '');
    } else {
      showBanner(`${e.message} Retrying…`);
      setTimeout(boot, 2000);
    }
    return;
  }
  hideBanner();
  signedIn = true;
  start(show);
}

function showBanner(text) {
  banner.textContent = text;
  banner.hidden = false;
}
function hideBanner() {
  banner.hidden = true;
}

onApiEvent((ev) => {
  if (ev.type === 'unauthorized' && signedIn) {
    setToken('');
    signIn('Your session ended: sign in again.');
  } else if (ev.type === 'error') {
    showBanner(
      ev.error.status === 0
        ? 'Cannot reach the Weft server. Retrying…'
        : `The server answered: ${ev.error.message} Retrying…`,
    );
  } else if (ev.type === 'ok') {
    hideBanner();
  }
});

setChildren(
  root,
  h('a', { href: '#main', class: 'skip' }, 'Skip to content'),
  header,
  banner,
  main,
);
boot();
