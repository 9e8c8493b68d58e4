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
const CONF = { ticks: 12, tick_ms: 400 };
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
    await editor.fill('{"ticks": 12,');
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
    // The log followed to the end, and the stream ended.
    const lines = await page.locator('[data-testid="task-view"] [data-testid="log-line"]').count();
    assert(lines >= CONF.ticks, `the log shows ${lines} lines, expected at least ${CONF.ticks}`);
    await shot(page, '04-grid-green');
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
