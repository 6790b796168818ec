// The review page in a real browser, as a reviewer would use it:
// Playwright (npm's playwright-core) drives Debian's Chromium headless
// against a real bulwarkd on loopback with a SQLite store and media
// retention on. Two benign golden images match; the reviewer signs in,
// checks the media is blurred and grey until revealed (one at a time),
// confirms one match with the mouse and marks the other a false positive
// with the keyboard; an admin then finds both decisions, with the
// reviewer's key id, in the audit log and in the statistics.
//
//   node browser.mjs BULWARKD BULWARK_CLI SOURCE_DIR NODE_MODULES [SCREENSHOT_DIR]
//
// Exits 77 (skipped) when Chromium or node_modules is missing.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const [bulwarkd, cli, source, nodeModules, shots] = process.argv.slice(2);
const chromiumPath = process.env.BW_CHROMIUM || '/usr/bin/chromium';
if (!fs.existsSync(chromiumPath)) {
  console.log(`SKIP: no Chromium at ${chromiumPath} (Debian package chromium; or set BW_CHROMIUM)`);
  process.exit(77);
}
let chromium;
try {
  ({ chromium } = createRequire(path.join(nodeModules, 'x.js'))('playwright-core'));
} catch (e) {
  console.log(`SKIP: playwright-core not installed in ${nodeModules} (the build runs npm ci)`);
  process.exit(77);
}

let failures = 0;
function check(cond, what) {
  if (!cond) { failures++; console.error('  CHECK failed: ' + what); }
}
async function step(name, fn) {
  const before = failures;
  await fn();
  console.log((failures === before ? 'ok   ' : 'FAIL ') + name);
}

// ---- the service ---------------------------------------------------------------

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-browser-'));
const db = path.join(dir, 'bank.db');
const golden = path.join(source, 'tests', 'data', 'golden');
const run = (...args) => {
  const r = spawnSync(cli, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bulwark ${args.join(' ')}: ${r.stderr}`);
  return r;
};
run('bank', 'create', 'known', '--db', db);
// Two hashes a young person filed about their own image, one withdrawn
// (issue 6 files them in this bank; here the CLI stands in for the app).
run('bank', 'create', 'self-reports', '--db', db);
for (const md5 of ['0123456789abcdef0123456789abcdef', 'fedcba9876543210fedcba9876543210'])
  run('bank', 'add', 'self-reports', 'md5', md5, '--db', db);
run('bank', 'remove', '2', '--db', db);
const images = ['jpeg-420.jpg', 'png-wide.png'];
for (const name of images) {
  const pdq = run('hash', path.join(golden, name)).stdout.split(',')[0];
  run('bank', 'add', 'known', 'pdq', pdq, '--metadata', JSON.stringify({ case: name }), '--db', db);
}
const keys = {}, ids = {};
for (const role of ['client', 'reviewer', 'admin']) {
  const r = run('key', 'create', '--role', role, '--name', role, '--db', db);
  keys[role] = r.stdout.trim();
  ids[role] = Number(/ key (\d+);/.exec(r.stderr)[1]);
}
const mediaKey = path.join(dir, 'media.key');
fs.writeFileSync(mediaKey, Buffer.from(Array.from({ length: 32 }, () => Math.floor(Math.random() * 256))), { mode: 0o600 });

const log = fs.openSync(path.join(dir, 'bulwarkd.log'), 'w');
const server = spawn(bulwarkd, ['--db', db, '--listen', '127.0.0.1:0', '--retain-media', 'true',
  '--media-dir', path.join(dir, 'media'), '--media-key-file', mediaKey, '--workers', '2',
  '--http-threads', '2', '--self-report-bank', 'self-reports'], { stdio: ['ignore', 'ignore', log] });
let port = 0;
for (let i = 0; i < 600 && !port && server.exitCode === null; i++) {
  await new Promise((r) => setTimeout(r, 50));
  for (const line of fs.readFileSync(path.join(dir, 'bulwarkd.log'), 'utf8').split('\n')) {
    try { const j = JSON.parse(line); if (j.msg === 'listening') port = j.port; } catch { /* partial line */ }
  }
}
if (!port) {
  console.error('bulwarkd did not start:\n' + fs.readFileSync(path.join(dir, 'bulwarkd.log'), 'utf8'));
  process.exit(1);
}
const base = `http://127.0.0.1:${port}`;
for (const [i, name] of images.entries()) {
  const res = await fetch(base + '/v1/match', { method: 'POST', body: fs.readFileSync(path.join(golden, name)),
    headers: { Authorization: 'Bearer ' + keys.client, 'Content-Type': 'application/octet-stream',
      'X-Bulwark-Context': JSON.stringify({ user_id: 'user-' + (i + 1), upload_id: 'up-' + (i + 1) }) } });
  const body = await res.json();
  check(res.status === 200 && body.event_id === i + 1, `upload ${name} matched: ${JSON.stringify(body).slice(0, 200)}`);
}

// ---- the browser ---------------------------------------------------------------

const browser = await chromium.launch({ executablePath: chromiumPath, headless: true,
  args: ['--no-sandbox', '--headless', '--disable-background-networking', '--disable-component-update',
    '--no-first-run', '--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
const problems = [];
page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
page.on('pageerror', (e) => problems.push(e.message));
page.on('response', (r) => { if (r.status() >= 400) problems.push(r.status() + ' ' + r.url()); });

async function signIn(key) {
  await page.goto(base + '/review');
  await page.fill('#key', key);
  await page.press('#key', 'Enter');
}
const filterOf = (sel) => page.$eval(sel, (e) => getComputedStyle(e).filter);
const queueIds = () => page.$$eval('#queue li', (l) => l.map((e) => Number(e.dataset.id)));

try {
  await step('a client key is turned away', async () => {
    await signIn(keys.client);
    await page.waitForFunction(() => document.getElementById('signin-error').textContent !== '');
    check((await page.textContent('#signin-error')).includes('cannot review'), 'client refused');
    check(await page.isHidden('#app'), 'no queue for a client');
  });

  await step('the reviewer signs in and sees the queue', async () => {
    await signIn(keys.reviewer);
    await page.waitForSelector('#queue li');
    check(JSON.stringify(await queueIds()) === '[1,2]', 'queue oldest first: ' + await queueIds());
    check((await page.textContent('#who')).includes('reviewer key ' + ids.reviewer), 'who');
    const detail = await page.textContent('#detail');
    check(detail.includes('known') && detail.includes('Distance'), 'bank and distance are shown');
    check(detail.includes('user-1') && detail.includes('up-1'), 'the platform context is shown');
    check(detail.includes('jpeg-420.jpg'), 'the matched signal metadata is shown');
  });

  await step('media is blurred and grey until revealed, one at a time', async () => {
    await page.waitForSelector('#media img');
    await page.waitForFunction(() => document.querySelector('#media img').complete);
    const f = await filterOf('#media img');
    check(f.includes('blur(') && f.includes('grayscale(1)'), 'blurred and grey by default: ' + f);
    check(await page.$eval('#media img', (i) => i.naturalWidth > 0), 'the image loaded');
    if (shots) await page.screenshot({ path: path.join(shots, 'review-queue.png') });
    await page.keyboard.press('r');
    check(await filterOf('#media img') === 'none', 'revealed on request');
    await page.keyboard.press('j'); // the next match: the first is blurred again
    await page.waitForFunction(() => document.querySelector('#queue li.selected').dataset.id === '2');
    await page.waitForSelector('#media img');
    const g = await filterOf('#media img');
    check(g.includes('blur(') && g.includes('grayscale(1)'), 'the next match starts blurred: ' + g);
    await page.keyboard.press('k');
    await page.waitForSelector('#media img');
    check((await filterOf('#media img')).includes('blur('), 'going back shows it blurred again');
  });

  await step('confirm one (mouse), false positive the other (keyboard)', async () => {
    await page.fill('#note', 'matches the banked image');
    await page.click('button.confirm');
    await page.waitForFunction(() => document.querySelectorAll('#queue li').length === 1);
    check(JSON.stringify(await queueIds()) === '[2]', 'only match 2 is left');
    await page.keyboard.press('f');
    check((await page.textContent('#status')).includes('Press Enter'), 'a key only arms the decision');
    check(JSON.stringify(await queueIds()) === '[2]', 'nothing recorded before Enter');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#queue-empty', { state: 'visible' });
  });

  await step('an admin sees both decisions in the audit log', async () => {
    await page.click('#signout');
    await signIn(keys.admin);
    await page.waitForSelector('#tabs:not([hidden])');
    await page.keyboard.press('a');
    await page.waitForSelector('#audit tbody tr');
    const rows = await page.$$eval('#audit tbody tr', (trs) => trs.map((tr) =>
      Array.from(tr.children).map((td) => td.textContent)));
    const has = (action, subject) => rows.some((r) => r[3] === action && r[4] === subject &&
      r[2] === String(ids.reviewer));
    check(has('review.confirmed', 'event:1'), 'confirmation audited with the reviewer key');
    check(has('review.false_positive', 'event:2'), 'false positive audited with the reviewer key');
    check(has('media.reveal', 'event:1'), 'the reveal is audited');
    check(rows.some((r) => r[3] === 'review.confirmed' && r[5].includes('matches the banked image')), 'note kept');
  });

  await step('and in the statistics', async () => {
    await page.keyboard.press('s');
    await page.waitForSelector('#stats-numbers div');
    const stat = async (name) => page.textContent(`#stats-numbers [data-stat="${name}"] dd`);
    check(await stat('Matches') === '2', 'matches');
    check(await stat('Confirmed') === '1', 'confirmed');
    check(await stat('False positives') === '1', 'false positives');
    check(await stat('False-positive rate') === '50.0 %', 'rate');
    check(await stat('Self-reports received / withdrawn') === '2 / 1', 'self-reports');
    await page.waitForFunction(() => ['chart-matches', 'chart-outcomes'].every((id) => {
      const i = document.getElementById(id); return i.complete && i.naturalWidth > 0; }));
    check(await page.$eval('#chart-matches', (i) => i.src.startsWith('blob:')), 'the chart came with the key');
    if (shots) await page.screenshot({ path: path.join(shots, 'review-stats.png'), fullPage: true });
  });

  await step('nothing broke the page policy', async () => {
    check(problems.length === 0, 'console errors: ' + problems.join(' | '));
  });
} finally {
  await browser.close();
  const exited = new Promise((r) => server.once('exit', (code) => r(code)));
  server.kill('SIGTERM');
  const code = server.exitCode ?? await exited;
  check(code === 0, 'bulwarkd exits cleanly (a sanitizer finds nothing): ' + code);
  if (!failures) fs.rmSync(dir, { recursive: true, force: true });
  else console.error('kept ' + dir);
}
console.log(failures ? `${failures} checks failed` : 'all checks passed');
process.exit(failures ? 1 : 0);
