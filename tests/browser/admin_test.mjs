#!/usr/bin/env node
// Browser test of HBF's /_admin (issue #13): a real Chromium drives the
// admin of one running henv, as its owner would.
//
//   HBF_URL=http://abc123.localhost:5309 HBF_USER=owner HBF_PASSWORD=... \
//   SHOT_DIR=/tmp/shots node tests/browser/admin_test.mjs
//
// (or the same as arguments: --url= --user= --password= --shots=, or
// HBF_URL=... style arguments). Needs playwright-core (npm install in this
// folder) and Debian's chromium at /usr/bin/chromium (CHROMIUM overrides).
//
// It logs in through the HTML form at /login?next=/_admin; opens
// _system/router.js from the documents tree in Monaco (creating it through
// the UI when the henv has none); saves a new route with Ctrl+S and sees the
// preview show it; saves a router with a syntax error and sees the error
// inline (the error list and a Monaco marker) while GET / still answers the
// previous text; runs SELECT 1 AS one in the SQL console; creates a user;
// saves a route that calls console.log('hello-from-test'), requests it, and
// sees the line in the Logs panel. A screenshot of each panel goes to
// SHOT_DIR/<panel>.png. Exit 0 on success, 1 with a message naming the first
// failed expectation. Every wait is bounded (15 s at most); the whole run
// stops itself after 115 s.
import fs from 'node:fs';
import path from 'node:path';

const WAIT = 15000;
const TOTAL = 115000;

// ------------------------------------------------------------ configuration

function arg(names) {
  for (const a of process.argv.slice(2)) {
    for (const n of names) {
      if (a.startsWith(`--${n}=`)) return a.slice(n.length + 3);
      if (a.startsWith(`${n}=`)) return a.slice(n.length + 1);
    }
  }
  return undefined;
}
const URL_ = (arg(['url', 'HBF_URL']) || process.env.HBF_URL || '').replace(/\/+$/, '');
const USER = arg(['user', 'HBF_USER']) || process.env.HBF_USER;
const PASSWORD = arg(['password', 'HBF_PASSWORD']) || process.env.HBF_PASSWORD;
const SHOT_DIR = arg(['shots', 'SHOT_DIR']) || process.env.SHOT_DIR || '';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

function usage(msg) {
  console.error(`admin_test: ${msg}\nusage: HBF_URL=http://<hash>.localhost:<port> HBF_USER=<owner> HBF_PASSWORD=<password> SHOT_DIR=<dir> node ${path.basename(process.argv[1])}`);
  process.exit(1);
}
if (!URL_) usage('HBF_URL is not set');
if (!USER || !PASSWORD) usage('HBF_USER and HBF_PASSWORD must be set');
if (SHOT_DIR) fs.mkdirSync(SHOT_DIR, { recursive: true });

let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (e) {
  usage(`cannot load playwright-core (${e.message}); run npm install in ${path.dirname(new URL(import.meta.url).pathname)}`);
}

// ------------------------------------------------------------------ helpers

class Expectation extends Error {}
let step = 'starting';
const started = Date.now();
const log = (msg) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${msg}`);

function fail(msg) { throw new Expectation(`${step}: ${msg}`); }

// Polls `probe` (sync or async; a truthy result ends the wait) for at most
// `ms`, then fails with `msg` (a string or a function of the last value).
async function until(probe, msg, ms = WAIT) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try { last = await probe(); } catch (e) { last = e; }
    if (last && !(last instanceof Error)) return last;
    if (Date.now() > deadline) {
      let text = msg;
      if (typeof msg === 'function') { try { text = await msg(last); } catch (e) { text = `(and describing the failure failed: ${e.message})`; } }
      fail(`${text}${last instanceof Error ? ` (${last.message.split('\n')[0]})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
}

const tid = (id) => `[data-testid="${id}"]`;
const esc = (s) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

async function shot(page, name) {
  if (!SHOT_DIR) return;
  await page.screenshot({ path: path.join(SHOT_DIR, `${name}.png`) }).catch((e) => log(`screenshot ${name} failed: ${e.message}`));
}

async function openPanel(page, id) {
  await page.click(tid(`nav-${id}`), { timeout: WAIT });
  await page.waitForSelector(`${tid(`panel-${id}`)}:not([hidden])`, { timeout: WAIT });
  await until(() => page.evaluate((p) => location.pathname === `/_admin/${p}`, id), `the address is not /_admin/${id}`);
}

// The preview frame's text, or null while it navigates.
async function previewText(page) {
  const handle = await page.$(tid('preview-frame'));
  if (!handle) return null;
  const frame = await handle.contentFrame();
  if (!frame) return null;
  return frame.evaluate(() => (document.body ? document.body.innerText : null)).catch(() => null);
}

async function setEditorSource(page, source) {
  await page.evaluate((src) => window.hbfAdmin.editor.getModel().setValue(src), source);
  await page.evaluate(() => window.hbfAdmin.editor.focus());
}

// GET `path` of the app from inside the page: Chromium resolves
// <hash>.localhost to loopback, Node's resolver (page.request) does not.
async function appGet(page, p) {
  return page.evaluate(async (u) => {
    const r = await fetch(u, { cache: 'no-store', credentials: 'same-origin' });
    return { status: r.status, text: await r.text() };
  }, p);
}

async function statusText(page) { return (await page.textContent(tid('save-status'))) || ''; }

// ------------------------------------------------------------------- the run

const token = `admin-test-${Date.now().toString(36)}`;
const routerSource = (extra = '') => `import { Router } from "hbf:router";

const router = new Router();

router.get("/", (req, res) => res.send("<h1>${token}</h1>"));
${extra}
export default router;
`;
const brokenSource = `import { Router } from "hbf:router";

const router = new Router();

router.get("/", (req, res) => res.send("broken ${token}";
export default router;
`;
const logRoute = `router.get("/admin-test-log", (req, res) => {
  console.log('hello-from-test');
  res.send("logged");
});
`;

const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] }).catch((e) => usage(`cannot start ${CHROMIUM}: ${e.message}`));
const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
const page = await context.newPage();
page.setDefaultTimeout(WAIT);
page.setDefaultNavigationTimeout(WAIT);
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(`page error: ${e.message}`));
page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(`console: ${m.text()}`); });
const errorToasts = [];

const watchdog = setTimeout(async () => {
  console.error(`FAIL ${step}: the test ran past ${TOTAL / 1000} s`);
  await shot(page, 'failure');
  process.exit(1);
}, TOTAL);

let exitCode = 0;
try {
  // 1. Log in through the HTML form.
  step = 'login';
  log(`logging in at ${URL_}/login?next=/_admin as ${USER}`);
  const loginPage = await page.goto(`${URL_}/login?next=/_admin`, { waitUntil: 'domcontentloaded' });
  if (!loginPage || loginPage.status() >= 400 || !(await page.$('input[name="password"]'))) {
    // /login may be the app's own route; /_hbf/login is always HBF's.
    log(`GET /login?next=/_admin answered ${loginPage ? loginPage.status() : 'nothing'} without a password field; trying /_hbf/login`);
    const hbfLogin = await page.goto(`${URL_}/_hbf/login?next=/_admin`, { waitUntil: 'domcontentloaded' });
    if (!hbfLogin || hbfLogin.status() >= 400) fail(`GET /_hbf/login?next=/_admin answered ${hbfLogin ? hbfLogin.status() : 'nothing'}`);
  }
  const userField = page.locator('input[name="username"], input[name="email"]').first();
  const passField = page.locator('input[name="password"]').first();
  await userField.waitFor({ timeout: WAIT }).catch(() => fail('the login page has no input named username (or email)'));
  await passField.waitFor({ timeout: WAIT }).catch(() => fail('the login page has no input named password'));
  await userField.fill(USER);
  await passField.fill(PASSWORD);
  await page.locator('form button[type="submit"], form input[type="submit"], form button:not([type])').first().click();
  await page.waitForURL(/\/_admin(\/|$|\?)/, { timeout: WAIT }).catch(async () => fail(`the login did not land on /_admin (at ${page.url()}: ${((await page.textContent('body').catch(() => '')) || '').trim().slice(0, 200)})`));
  await page.waitForSelector(tid('nav-documents'), { timeout: WAIT }).catch(() => fail('the admin did not render its navigation (is js/main.js served?)'));
  const who = (await page.textContent(tid('current-user'))) || '';
  if (!who.includes(USER)) fail(`the header shows "${who.trim()}", not the user ${USER}`);
  await page.exposeFunction('__hbfToast', (kind, text) => { if (kind === 'error') errorToasts.push(text); }).catch(() => {});
  await page.evaluate(() => {
    const region = document.querySelector('[data-testid="toasts"]');
    new MutationObserver((ms) => { for (const m of ms) for (const n of m.addedNodes) if (n.dataset) window.__hbfToast(n.dataset.kind, n.textContent); }).observe(region, { childList: true });
  });
  log('logged in; the admin is up');

  // 2. Open _system/router.js from the tree, in Monaco.
  step = 'open _system/router.js';
  await openPanel(page, 'documents');
  const routerItem = `${tid('doc-item')}[data-doc-id="_system/router.js"]`;
  await until(() => page.evaluate(() => document.querySelectorAll('[data-testid="doc-item"]').length > 0), 'the documents tree shows no document');
  const folder = `${tid('doc-folder')}[data-folder="_system"]`;
  if ((await page.$(folder)) && (await page.getAttribute(folder, 'aria-expanded')) === 'false') await page.click(folder);
  if (!(await page.$(routerItem))) {
    log('no _system/router.js yet: creating it with New');
    await page.click(tid('doc-new'));
    await page.fill(tid('dialog-input'), '_system/router.js');
    await page.click(tid('dialog-ok'));
  }
  await page.waitForSelector(routerItem, { timeout: WAIT }).catch(() => fail('_system/router.js is not in the tree'));
  await page.click(routerItem, { timeout: WAIT }).catch(() => fail('_system/router.js is not in the tree'));
  await until(() => page.evaluate(() => !!(window.hbfAdmin && window.hbfAdmin.editor && window.hbfAdmin.currentId === '_system/router.js' && window.hbfAdmin.editor.getModel())),
    'Monaco did not open _system/router.js (window.hbfAdmin.editor has no model for it)');
  await page.waitForSelector(`${tid('editor')} .monaco-editor`, { state: 'visible', timeout: WAIT }).catch(() => fail('no visible Monaco editor in [data-testid=editor]'));
  log('router.js is open in Monaco');

  // 3. Save a new route with Ctrl+S; the preview shows it.
  step = 'save a route and see it in the preview';
  await setEditorSource(page, routerSource());
  await until(async () => !(await page.isHidden(tid('dirty-indicator'))), 'the dirty indicator did not show after an edit');
  await page.keyboard.press('Control+s');
  await until(async () => /saved/i.test(await statusText(page)) && !/not saved/i.test(await statusText(page)),
    async () => `the save status never said "Saved" (it says "${await statusText(page)}"; errors: ${(await page.textContent(tid('error-list')).catch(() => '')) || 'none'})`);
  if (!(await page.isHidden(tid('dirty-indicator')))) fail('the dirty indicator still shows after saving');
  await until(async () => ((await previewText(page)) || '').includes(token), async () => `the preview never showed "${token}" (it shows "${((await previewText(page)) || '').slice(0, 120)}")`);
  const served = (await appGet(page, '/')).text;
  if (!served.includes(token)) fail(`GET / answers "${served.slice(0, 120)}", not the saved route`);
  log('saved; the preview shows the new text');
  await shot(page, 'documents');

  // 4. A router that does not compile: shown inline, not saved.
  step = 'save a broken router';
  await setEditorSource(page, brokenSource);
  await page.keyboard.press('Control+s');
  await page.waitForSelector(`${tid('error-list')} ${tid('error-item')}`, { state: 'visible', timeout: WAIT }).catch(() => fail('no error appeared in the error list'));
  await until(async () => /not saved|error/i.test(await statusText(page)), async () => `the save status says "${await statusText(page)}"`);
  const markers = await until(() => page.evaluate(() => {
    const { monaco, editor } = window.hbfAdmin;
    return monaco.editor.getModelMarkers({ resource: editor.getModel().uri, owner: 'hbf' }).map((m) => `${m.startLineNumber}:${m.startColumn} ${m.message}`);
  }).then((m) => (m.length ? m : null)), 'no Monaco marker (owner "hbf") on the broken router');
  if (!(await page.isVisible(tid('save-anyway')))) fail('no "Save anyway" button after a refused save');
  const still = (await appGet(page, '/')).text;
  if (!still.includes(token) || still.includes('broken')) fail(`after the refused save GET / answers "${still.slice(0, 120)}"`);
  log(`refused with ${markers.length} marker(s): ${markers[0]}`);
  await shot(page, 'editor-errors');

  // 5. The preview panel.
  step = 'preview panel';
  await openPanel(page, 'preview');
  await until(async () => ((await previewText(page)) || '').includes(token), 'the Preview panel does not show the app');
  await shot(page, 'preview');

  // 6. SQL console.
  step = 'SQL console';
  await openPanel(page, 'data');
  await page.fill(tid('sql-input'), 'SELECT 1 AS one');
  await page.focus(tid('sql-input'));
  await page.keyboard.press('Control+Enter');
  await until(async () => {
    const head = await page.$$eval(`${tid('sql-results')} thead th`, (ths) => ths.map((t) => t.textContent.trim()));
    const cells = await page.$$eval(`${tid('sql-results')} tbody tr:first-child td`, (tds) => tds.map((t) => t.textContent.trim()));
    return head[0] === 'one' && cells[0] === '1';
  }, async () => `no row "one = 1" in the results (status "${await page.textContent(tid('sql-status'))}", error "${(await page.textContent(tid('sql-error'))) || ''}")`);
  log('SELECT 1 AS one → 1');
  await shot(page, 'data');

  // 7. Create a user.
  step = 'create a user';
  await openPanel(page, 'users');
  const newUser = `t${Date.now().toString(36)}`;
  await page.fill(tid('user-form-username'), newUser);
  await page.fill(tid('user-form-password'), 'correct horse battery staple');
  await page.click(tid('user-form-submit'));
  await page.waitForSelector(`${tid('user-row')}[data-username="${esc(newUser)}"]`, { timeout: WAIT })
    .catch(async () => fail(`${newUser} is not listed (form error: "${((await page.textContent(tid('user-form'))) || '').replace(/\s+/g, ' ').slice(-160)}"; toasts: ${errorToasts.join(' | ') || 'none'})`));
  log(`created ${newUser}`);
  await shot(page, 'users');

  // 8. console.log from a route reaches the Logs panel.
  step = 'console.log in the Logs panel';
  await openPanel(page, 'documents');
  await page.click(routerItem);
  await until(() => page.evaluate(() => window.hbfAdmin.currentId === '_system/router.js'), 'router.js is not the open document');
  await setEditorSource(page, routerSource(logRoute));
  await page.keyboard.press('Control+s');
  await until(async () => /saved/i.test(await statusText(page)) && !/not saved/i.test(await statusText(page)), async () => `the save status says "${await statusText(page)}"`);
  await openPanel(page, 'logs');
  const hit = await appGet(page, '/admin-test-log');
  if (hit.status !== 200) fail(`GET /admin-test-log answered ${hit.status}: ${hit.text.slice(0, 160)}`);
  await page.waitForSelector(`${tid('logs-table')} ${tid('log-row')}:has-text("hello-from-test")`, { timeout: WAIT })
    .catch(async () => fail(`no log row says hello-from-test (status "${await page.textContent(tid('logs-status'))}")`));
  log('hello-from-test is in the Logs panel');
  await shot(page, 'logs');

  // 9. The other panels render; a screenshot of each.
  step = 'other panels';
  await openPanel(page, 'permissions');
  await page.waitForSelector(`${tid('grants-table')} tbody tr`, { timeout: WAIT });
  await shot(page, 'permissions');
  await openPanel(page, 'settings');
  await page.waitForSelector(`${tid('setting-input')}`, { timeout: WAIT });
  await shot(page, 'settings');
  await openPanel(page, 'packages');
  await page.waitForSelector(`${tid('packages-table')} tbody tr`, { timeout: WAIT });
  await shot(page, 'packages');
  await openPanel(page, 'search');
  await page.fill(tid('search-input'), 'router');
  await page.click(tid('search-submit'));
  await until(async () => ((await page.textContent(tid('search-status'))) || '').trim() && !/searching/i.test(await page.textContent(tid('search-status'))), 'the search never finished');
  await shot(page, 'search');
  await openPanel(page, 'audit');
  await page.waitForSelector(`${tid('audit-table')} tbody tr`, { timeout: WAIT });
  await shot(page, 'audit');

  // Deep links: /_admin/logs opens the Logs panel.
  step = 'deep link';
  await page.goto(`${URL_}/_admin/logs`, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector(`${tid('panel-logs')}:not([hidden])`, { timeout: WAIT }).catch(() => fail('/_admin/logs did not open the Logs panel'));

  // Log out: the form post ends the session and lands on the login page.
  step = 'log out';
  await page.click(tid('logout-button'));
  await page.waitForURL(/\/login/, { timeout: WAIT }).catch(() => fail(`logging out did not reach a login page (at ${page.url()})`));
  // A navigation, not fetch(): the login page's CSP allows no fetch at all.
  const after = await page.goto(`${URL_}/_api/me`, { waitUntil: 'domcontentloaded' });
  if (!after || after.status() !== 401) fail(`after logging out GET /_api/me answers ${after && after.status()}`);

  log('PASS');
  if (errorToasts.length) log(`note: error toasts seen: ${errorToasts.join(' | ')}`);
} catch (e) {
  exitCode = 1;
  console.error(`FAIL ${e instanceof Expectation ? e.message : `${step}: ${e.stack || e}`}`);
  if (errorToasts.length) console.error(`error toasts: ${errorToasts.join(' | ')}`);
  if (pageErrors.length) console.error(`browser errors:\n  ${pageErrors.slice(-10).join('\n  ')}`);
  await shot(page, 'failure');
} finally {
  clearTimeout(watchdog);
  await browser.close().catch(() => {});
}
process.exit(exitCode);
