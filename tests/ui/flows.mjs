// Browser flows of Weft's web UI, run against a live server with headless Chromium:
//
//   WEFT_UI_URL=http://127.0.0.1:8080 [WEFT_UI_TOKEN=...] [WEFT_UI_SCREENSHOTS=dir] \
//   [CHROMIUM=/usr/bin/chromium] node tests/ui/flows.mjs
//
// The server needs the DAG `ui_flow` deployed (extract >> (transform, audit) >> report;
// transform logs "tick 1".."tick N" every tick_ms) and two workers registered.
// Prints one line per passed step and a closing "N passed, N failed"; exits non-zero on
// the first failure, on any uncaught page error and on any console error.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const BASE = (process.env.WEFT_UI_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');
const TOKEN = process.env.WEFT_UI_TOKEN || '';
const SHOTS = process.env.WEFT_UI_SCREENSHOTS || '';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const DAG = 'ui_flow';
const TASKS = ['extract', 'transform', 'audit', 'report'];
const STREAMED = 'transform';
const CLEARED = 'report';
const CONF = { ticks: 20, tick_ms: 400 }; // 8 s: room for the steps that watch it run
// The run whose log stream is cut and resumed: 16 s, so that the page's reconnect comes while
// the task runs even on a loaded machine (the first stream may open only once the attempt
// has started, then waits for the lines it keeps, then the page waits to reconnect).
const CUT_CONF = { ticks: 40, tick_ms: 400 };
const WAIT = 15_000;

if (SHOTS) mkdirSync(SHOTS, { recursive: true });

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});

/** Problems the page reported: uncaught errors and console errors. */
const pageProblems = [];

async function newPage(viewport = { width: 1280, height: 800 }, colorScheme = 'light') {
  const context = await browser.newContext({ viewport, colorScheme });
  if (TOKEN) {
    await context.addInitScript((token) => {
      try {
        localStorage.setItem('weft.token', token);
      } catch {
        /* storage unavailable */
      }
    }, TOKEN);
  }
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT);
  page.on('pageerror', (err) => pageProblems.push(`uncaught page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    const url = msg.location()?.url || '';
    // A 4xx answer of the API is logged by the browser as a failed resource; the UI shows
    // and handles those (a task's log stream before the attempt starts answers 404).
    if (/Failed to load resource: the server responded with a status of 4\d\d/.test(text) && url.includes('/api/v1/')) return;
    pageProblems.push(`console error: ${text}${url ? ` (${url})` : ''}`);
  });
  return page;
}

async function shot(page, name) {
  if (!SHOTS) return;
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

/** Call the API from the test itself (not through a page). */
async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (TOKEN) headers.Authorization = `Bearer ${TOKEN}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${BASE}/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** The numbers N of the "tick N" lines the task view's log shows, in order. */
function tickNumbers(page) {
  return page
    .locator('[data-testid="task-view"] [data-testid="log-line"]')
    .evaluateAll((ls) => ls.map((l) => /^tick (\d+)$/.exec((l.querySelector('.msg') || l).textContent.trim())).filter(Boolean).map((m) => Number(m[1])));
}

/** The log shows "tick 1".."tick N" once each, in order (N: the run's `ticks`). */
async function assertTicks(page, where, count = CONF.ticks) {
  const ticks = await tickNumbers(page);
  const want = Array.from({ length: count }, (_, i) => i + 1);
  assert(
    JSON.stringify(ticks) === JSON.stringify(want),
    `${where}: the log shows the tick lines ${JSON.stringify(ticks)}, expected 1..${count} once each, in order`,
  );
}

/** Wait for the log status to say the attempt ended with success (its stream's `end`). */
function waitEndedSuccess(page, what, timeout = 30_000) {
  return waitUntil(
    page,
    what,
    () => /ended: success/.test(document.querySelector('[data-testid="task-view"] [data-testid="log-status"]')?.textContent || ''),
    undefined,
    timeout,
  );
}

/** Wait for a condition evaluated in the page, with a clear failure message. */
async function waitUntil(page, what, fn, arg, timeout = WAIT) {
  try {
    return await page.waitForFunction(fn, arg, { timeout, polling: 100 });
  } catch (e) {
    throw new Error(`timed out after ${timeout / 1000} s waiting for ${what}`);
  }
}

const cellSel = (run, task) => `[data-testid="grid-cell"][data-run="${cssEscape(run)}"][data-task="${cssEscape(task)}"]`;
function cssEscape(s) {
  return String(s).replace(/["\\]/g, '\\$&');
}

let passed = 0;
let failed = 0;
let stepNo = 0;
const ctx = {};

async function step(name, fn) {
  stepNo += 1;
  try {
    await fn();
    if (pageProblems.length) throw new Error(pageProblems.join('; '));
    passed += 1;
    console.log(`ok ${stepNo} - ${name}`);
  } catch (e) {
    failed += 1;
    console.log(`not ok ${stepNo} - ${name}: ${e.message}`);
    if (ctx.page && SHOTS) await ctx.page.screenshot({ path: join(SHOTS, `failed-${stepNo}.png`), fullPage: true }).catch(() => {});
    throw e;
  }
}

/**
 * Open the log stream at `url` from here, keep its first `count` line events, and answer
 * the page with those and then an `error` event: a connection the server's store failed on.
 * Another answer (the attempt not started yet) is passed on as it is.
 */
async function cutStream(url, headers, count) {
  const pass = {};
  for (const k of ['accept', 'authorization', 'last-event-id']) if (headers[k]) pass[k] = headers[k];
  const ctrl = new AbortController();
  const res = await fetch(url, { headers: pass, signal: ctrl.signal });
  if (res.status !== 200) {
    return { status: res.status, contentType: res.headers.get('content-type') || 'application/json', body: await res.text() };
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  const kept = [];
  while (kept.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value.replace(/\r\n?/g, '\n');
    const blocks = text.split('\n\n');
    text = blocks.pop(); // not complete yet
    for (const b of blocks) if (/^event: ?line$/m.test(b) && kept.length < count) kept.push(b);
  }
  ctrl.abort();
  assert(kept.length === count, `the stream closed after ${kept.length} lines`);
  return {
    status: 200,
    contentType: 'text/event-stream',
    headers: { 'cache-control': 'no-cache' },
    body: `${kept.join('\n\n')}\n\nevent: error\ndata: {"message":"cut by the test"}\n\n`,
  };
}

try {
  const page = await newPage();
  ctx.page = page;

  await step(`DAGs page lists DAG ${DAG}`, async () => {
    await page.goto(`${BASE}/ui/dags`);
    await page.locator(`[data-testid="dag-row"][data-dag="${DAG}"]`).waitFor();
    await shot(page, '01-dags');
  });

  await step(`trigger ${DAG} with conf through the conf editor`, async () => {
    await page.locator(`[data-testid="dag-row"][data-dag="${DAG}"] a.dag-link`).click();
    await page.waitForURL(`**/ui/dags/${DAG}/grid**`);
    await page.locator('[data-testid="trigger-button"]').click();
    const editor = page.locator('[data-testid="conf-editor"]');
    await editor.waitFor();
    await editor.fill(`{"ticks": ${CONF.ticks},`);
    const submit = page.locator('[data-testid="trigger-submit"]');
    assert(await submit.isDisabled(), 'the trigger button is enabled while the conf is invalid JSON');
    const error = (await page.locator('[data-testid="conf-error"]').textContent()).trim();
    assert(error.length > 0, 'no error is shown for invalid JSON');
    assert(/line \d+, column \d+/i.test(error), `the error does not say where: "${error}"`);
    await editor.fill('[1, 2]');
    assert(await submit.isDisabled(), 'the trigger button is enabled while the conf is not an object');
    await editor.fill(JSON.stringify(CONF, null, 2));
    assert(await submit.isEnabled(), 'the trigger button stays disabled for a valid conf');
    await shot(page, '02-trigger-dialog');
    await submit.click();
    await page.waitForURL(/\/ui\/dags\/[^/]+\/grid\?.*run=/);
    ctx.run = new URL(page.url()).searchParams.get('run');
    assert(ctx.run, 'the grid URL names no run after triggering');
  });

  await step(`grid shows the new run and ${STREAMED}'s log streams while it runs`, async () => {
    await page.locator(`[data-testid="grid-run"][data-run="${cssEscape(ctx.run)}"]`).waitFor();
    await shot(page, '03-grid-new-run');
    const running = page.locator(`${cellSel(ctx.run, STREAMED)}[data-state="running"]`);
    await running.waitFor({ timeout: 30_000 });
    await running.click();
    await page.locator(`[data-testid="task-view"][data-task="${STREAMED}"]`).waitFor();
    const seen = await waitUntil(
      page,
      `2 log lines of ${STREAMED}`,
      () => {
        const view = document.querySelector('[data-testid="task-view"]');
        if (!view) return false;
        const lines = [...view.querySelectorAll('[data-testid="log-line"]')].map((l) => l.textContent);
        if (lines.length < 2) return false;
        const badge = view.querySelector('[data-testid="ti-state"]');
        return { lines, state: badge && badge.getAttribute('data-state') };
      },
      undefined,
      20_000,
    ).then((h) => h.jsonValue());
    assert(seen.state === 'running', `the log lines came after the task ended (state shown: ${seen.state})`);
    // The state badge is polled every 2 s and can lag: the lines were live only if the
    // log did not hold them all yet.
    assert(seen.lines.length < CONF.ticks, `all ${seen.lines.length} lines were there at once: they did not stream`);
    assert(/tick 1\b/.test(seen.lines[0]) && /tick 2\b/.test(seen.lines[1]), `unexpected first lines: ${JSON.stringify(seen.lines.slice(0, 2))}`);
    await shot(page, '03-task-streaming');
  });

  await step('grid turns green: every task of the run succeeds', async () => {
    await waitUntil(
      page,
      'every cell of the run to be success',
      ({ run, count }) => {
        const cells = [...document.querySelectorAll('[data-testid="grid-cell"]')].filter((c) => c.getAttribute('data-run') === run);
        return cells.length === count && cells.every((c) => c.getAttribute('data-state') === 'success');
      },
      { run: ctx.run, count: TASKS.length },
      60_000,
    );
    // The log followed to the end, the stream ended with the attempt's state, and no line
    // came twice.
    await waitEndedSuccess(page, `the log status of ${STREAMED} to say it ended with success`);
    await assertTicks(page, 'after the stream ended');
    await shot(page, '04-grid-green');
  });

  await step(`reloading ${STREAMED}'s task page shows each log line once`, async () => {
    await page.goto(`${BASE}/ui/dags/${DAG}/runs/${encodeURIComponent(ctx.run)}/tasks/${STREAMED}`);
    await page.locator(`[data-testid="task-view"][data-task="${STREAMED}"] [data-testid="ti-state"][data-state="success"]`).waitFor();
    await waitUntil(page, `${CONF.ticks} tick lines`, (n) => document.querySelectorAll('[data-testid="task-view"] [data-testid="log-line"]').length >= n, CONF.ticks);
    await page.waitForTimeout(1000); // time for any line shown twice to arrive
    await assertTicks(page, 'after a reload');
  });

  await step(`a stream cut mid-run resumes after the last line seen (Last-Event-ID), without repeats`, async () => {
    // A second run, watched by a page whose first log stream carries CUT lines, then the
    // store's `error` event (as the server sends when its store fails), and closes.
    const CUT = 3;
    const run = (await api('POST', `/dags/${DAG}/runs`, { conf: CUT_CONF })).run_id;
    const p = await newPage();
    const calls = []; // per stream request: its Last-Event-ID, the task's state then
    let resumed = null; // the body the server sent the reconnected stream
    await p.route(/\/logs\/stream(\?|$)/, async (route) => {
      const request = route.request();
      const headers = request.headers();
      const call = { lastEventId: headers['last-event-id'] ?? null };
      if (!calls.length) {
        const answer = await cutStream(request.url(), headers, CUT);
        if (answer.status === 200) calls.push(call); // else the attempt had not started yet
        await route.fulfill(answer);
        return;
      }
      calls.push(call);
      const ti = (await api('GET', `/dags/${DAG}/runs/${encodeURIComponent(run)}`)).task_instances.find((t) => t.task_id === STREAMED);
      call.state = ti && ti.state;
      const response = await route.fetch({ timeout: 60_000 });
      resumed = await response.text();
      await route.fulfill({ response, body: resumed });
    });
    try {
      await p.goto(`${BASE}/ui/dags/${DAG}/runs/${encodeURIComponent(run)}/tasks/${STREAMED}`);
      // Its run's start, extract, then transform's 16 s.
      await waitEndedSuccess(p, `the log status of ${STREAMED} (run ${run}) to say it ended with success`, 60_000);
      assert(calls.length === 2, `the log was streamed by ${calls.length} requests, expected 2: ${JSON.stringify(calls)}`);
      assert(calls[0].lastEventId === null, `the first stream request sent Last-Event-ID ${calls[0].lastEventId}`);
      assert(calls[1].lastEventId === String(CUT - 1), `the reconnect sent Last-Event-ID ${calls[1].lastEventId}, expected ${CUT - 1}`);
      assert(calls[1].state === 'running', `the reconnect came when ${STREAMED} was ${calls[1].state}, not while it ran`);
      const first = /^id: ?(\d+)$/m.exec(resumed || '');
      assert(first && Number(first[1]) === CUT, `the resumed stream began at line ${first && first[1]}, expected ${CUT}`);
      await p.waitForTimeout(500);
      await assertTicks(p, 'after the reconnect', CUT_CONF.ticks);
      await shot(p, '05-log-resumed');
    } finally {
      await p.context().close();
    }
  });

  await step('graph tab: 4 nodes, all success', async () => {
    await page.locator('[data-testid="tab-graph"]').click();
    await page.waitForURL(`**/ui/dags/${DAG}/graph**`);
    await page.locator('[data-testid="graph-run-picker"]').selectOption(ctx.run);
    await waitUntil(
      page,
      `${TASKS.length} graph nodes in state success`,
      (count) => {
        const nodes = [...document.querySelectorAll('[data-testid="graph-node"]')];
        return nodes.length === count && nodes.every((n) => n.getAttribute('data-state') === 'success');
      },
      TASKS.length,
    );
    const names = await page.locator('[data-testid="graph-node"]').evaluateAll((ns) => ns.map((n) => n.getAttribute('data-task')).sort());
    assert(JSON.stringify(names) === JSON.stringify([...TASKS].sort()), `graph nodes are ${names.join(', ')}`);
    await shot(page, '05-graph');
  });

  await step(`clear ${CLEARED} with downstream; it runs again (try 2) and succeeds`, async () => {
    await page.goto(`${BASE}/ui/dags/${DAG}/runs/${encodeURIComponent(ctx.run)}/tasks/${CLEARED}`);
    const view = page.locator(`[data-testid="task-view"][data-task="${CLEARED}"]`);
    await view.locator('[data-testid="ti-state"][data-state="success"]').waitFor();
    const before = Number(await view.locator('[data-testid="ti-try"]').getAttribute('data-try'));
    assert(before === 1, `${CLEARED} is at try ${before} before clearing`);
    await view.locator('[data-testid="clear-downstream"]').check();
    await view.locator('[data-testid="clear-button"]').click();
    const confirm = page.locator('dialog[open] [data-testid="confirm"]');
    await confirm.waitFor();
    await shot(page, '06-clear-confirm');
    await confirm.click();
    await page.locator('[data-testid="toast"]', { hasText: /Cleared \d+ task/ }).waitFor();
    await waitUntil(
      page,
      `${CLEARED} to reach try 2 in state success`,
      (task) => {
        const v = document.querySelector(`[data-testid="task-view"][data-task="${task}"]`);
        const t = v && v.querySelector('[data-testid="ti-try"]');
        const s = v && v.querySelector('[data-testid="ti-state"]');
        return t && s && t.getAttribute('data-try') === '2' && s.getAttribute('data-state') === 'success';
      },
      CLEARED,
      60_000,
    );
    assert((await view.locator('[data-testid="attempt"]').count()) === 2, 'the attempts list does not show 2 tries');
    await shot(page, '06-cleared-rerun');
  });

  await step('workers page shows two workers with their queues, and the default queue', async () => {
    await page.goto(`${BASE}/ui/workers`);
    await waitUntil(page, 'at least 2 worker rows', () => document.querySelectorAll('[data-testid="worker-row"]').length >= 2);
    const queues = await page.locator('[data-testid="worker-row"] [data-testid="worker-queues"]').allTextContents();
    assert(queues.length >= 2 && queues.every((q) => q.trim().length > 0), `a worker row shows no queues: ${JSON.stringify(queues)}`);
    await page.locator('[data-testid="queue-row"][data-queue="default"]').waitFor();
    // Done and failed, per worker, from their heartbeats: by now the first run's 4 tasks
    // and the cleared task's second try have finished (heartbeats lag by up to 5 s), and
    // nothing failed.
    await waitUntil(
      page,
      'the workers to count 5 finished attempts',
      () => [...document.querySelectorAll('[data-testid="worker-row"] [data-testid="worker-finished"]')].reduce((s, td) => s + Number(td.textContent), 0) >= 5,
    );
    const failed = (await page.locator('[data-testid="worker-row"] [data-testid="worker-failed"]').allTextContents()).map(Number);
    assert(failed.length >= 2 && failed.every((n) => n === 0), `the workers count failed attempts where none failed: ${JSON.stringify(failed)}`);
    await shot(page, '07-workers');
  });

  await step('variables: create one, see it listed, delete it', async () => {
    const key = `ui_flow_var_${Date.now()}`;
    await page.goto(`${BASE}/ui/admin/variables`);
    await page.locator('[data-testid="variable-section"] [data-testid="add-button"]').click();
    await page.locator('[data-testid="variable-key"]').fill(key);
    await page.locator('[data-testid="variable-value"]').fill('{"from": "the UI flows"}');
    await page.locator('[data-testid="variable-description"]').fill('made by tests/ui/flows.mjs');
    await page.locator('[data-testid="save"]').click();
    const row = page.locator(`[data-testid="variable-row"][data-id="${key}"]`);
    await row.waitFor();
    assert((await row.textContent()).includes('the UI flows'), 'the new variable row does not show its value');
    await shot(page, '08-variable-created');
    await row.locator('[data-testid="delete-button"]').click();
    await page.locator('dialog[open] [data-testid="confirm"]').click();
    await row.waitFor({ state: 'detached' });
    await shot(page, '08-variable-deleted');
  });

  await step('connections: an edit changes the host and keeps the sealed password and extra', async () => {
    const id = `ui_flow_conn_${Date.now()}`;
    const password = `pw-${Math.random().toString(36).slice(2)}`;
    await page.goto(`${BASE}/ui/admin/connections`);
    await page.locator('[data-testid="connection-section"] [data-testid="add-button"]').click();
    await page.locator('[data-testid="connection-conn_id"]').fill(id);
    await page.locator('[data-testid="connection-conn_type"]').fill('postgres');
    await page.locator('[data-testid="connection-host"]').fill('db.internal');
    await page.locator('[data-testid="connection-port"]').fill('5432');
    await page.locator('[data-testid="connection-password"]').fill(password);
    await page.locator('[data-testid="connection-extra"]').fill('{"sslmode": "require"}');
    await page.locator('[data-testid="save"]').click();
    const row = page.locator(`[data-testid="connection-row"][data-id="${id}"]`);
    await row.waitFor();
    await row.locator('[data-testid="edit-button"]').click();
    await page.locator('[data-testid="connection-kept-note"]').waitFor();
    await page.locator('[data-testid="connection-host"]').fill('db2.internal');
    await page.locator('[data-testid="connection-port"]').fill('');
    await page.locator('[data-testid="save"]').click();
    await waitUntil(page, 'the row to show the new host', (sel) => document.querySelector(sel)?.textContent.includes('db2.internal'), `[data-testid="connection-row"][data-id="${id}"]`);
    const stored = await api('GET', `/connections/${encodeURIComponent(id)}`);
    assert(stored.host === 'db2.internal' && stored.port === null, `the edit did not apply: ${JSON.stringify(stored)}`);
    assert(stored.has_password === true && JSON.stringify(stored.extra_keys) === '["sslmode"]', `the edit dropped the sealed fields: ${JSON.stringify(stored)}`);
    assert(!(await page.content()).includes(password), 'the page shows the password');
    await shot(page, '09-connection-edited');
    await api('DELETE', `/connections/${encodeURIComponent(id)}`);
  });

  await step('pools: used and waiting slots shown; a pool is made and deleted, the default pool cannot be', async () => {
    const name = `ui_flow_pool_${Date.now()}`;
    await page.goto(`${BASE}/ui/admin/pools`);
    const defaultRow = page.locator('[data-testid="pool-row"][data-id="default_pool"]');
    await defaultRow.waitFor();
    assert(/^\d+$/.test((await defaultRow.locator('[data-testid="pool-used"]').textContent()).trim()), 'the default pool shows no used slots');
    assert((await defaultRow.locator('[data-testid="delete-button"]').count()) === 0, 'the default pool offers Delete');
    await page.locator('[data-testid="pool-section"] [data-testid="add-button"]').click();
    await page.locator('[data-testid="pool-name"]').fill(name);
    await page.locator('[data-testid="pool-slots"]').fill('3');
    await page.locator('[data-testid="save"]').click();
    const row = page.locator(`[data-testid="pool-row"][data-id="${name}"]`);
    await row.waitFor();
    assert((await row.locator('[data-testid="pool-used"]').textContent()).trim() === '0', 'a new pool shows slots used');
    await shot(page, '10-pools');
    await row.locator('[data-testid="delete-button"]').click();
    await page.locator('dialog[open] [data-testid="confirm"]').click();
    await row.waitFor({ state: 'detached' });
  });

  if (SHOTS) {
    // Not assertions: the same pages on a phone and in dark mode, for people to look at.
    for (const [label, viewport, scheme] of [
      ['phone', { width: 390, height: 844 }, 'light'],
      ['dark', { width: 1280, height: 800 }, 'dark'],
      ['phone-dark', { width: 390, height: 844 }, 'dark'],
    ]) {
      const p = await newPage(viewport, scheme);
      for (const [name, path] of [
        ['dags', '/ui/dags'],
        ['grid', `/ui/dags/${DAG}/grid?run=${encodeURIComponent(ctx.run)}&task=${STREAMED}`],
        ['graph', `/ui/dags/${DAG}/graph`],
        ['workers', '/ui/workers'],
      ]) {
        await p.goto(`${BASE}${path}`);
        // Drawn once the page's first requests are answered (polls come every 2 s).
        await p.waitForLoadState('networkidle');
        await shot(p, `90-${label}-${name}`);
      }
      await p.context().close();
    }
    if (pageProblems.length) throw new Error(pageProblems.join('; '));
  }
} catch (e) {
  if (!failed) {
    failed += 1;
    console.log(`not ok - ${e.message}`);
  }
} finally {
  await browser.close();
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}
