// operations.test.mjs - the tester's session in a real browser: the east site is lost at 10:00
// (scripts/disasters/east_site_loss.lua on the small topology, to 11:00). The impact strip
// shows the sites down, the tenants failed over and the RTO, equal to what summary.json and
// report.html say; when the server stops, the page says so and stops asking.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { api, launch, openDashboard, serve, shot } from './harness.mjs';

const WAIT = { timeout: 300_000 };
let server, browser, page, dir, stopped;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'renkei-ops-'));
  server = await serve(['topologies/small.lua', 'scripts/disasters/east_site_loss.lua', '-q',
    '--until', '2017-11-13 11:00', '--out', join(dir, 'out')]);
  browser = await launch();
  page = await openDashboard(browser, server.url);
});

after(async () => {
  await browser?.close();
  if (server && !stopped) await server.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const strip = () => page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#impact li')]
  .map((li) => [li.dataset.key, { value: li.dataset.value, text: li.textContent, level: li.className }])));

test('before the loss the impact strip says all is up', async () => {
  await page.waitForFunction(() => document.getElementById('run-state').dataset.state === 'paused', null, WAIT);
  await page.waitForSelector('#impact li[data-key=down]', WAIT);
  const s = await strip();
  assert.equal(s.down.level, 'impact-ok');
  assert.equal(s.failed_over.value, '0');
  assert.equal(s.rto.value, '');
});

test('the operator\'s commands from the page: a failback while east serves its own tenants is refused, with the reason', async () => {
  await page.selectOption('#op-action', 'failback');
  await page.fill('#op-site', 'east');
  await page.click('#operator-form button[type=submit]');
  await page.waitForFunction(() => /failback refused/.test(document.getElementById('notice').textContent), null, WAIT);
  const r = await api(server.base, '/api/operator', { method: 'POST', token: server.token, body: { action: 'failback', site: 'east' } });
  assert.equal(r.status, 409);
  assert.equal((await api(server.base, '/api/operator', { method: 'POST', token: server.token, body: { action: 'failback', site: 'nws' } })).status, 400);
  assert.equal((await api(server.base, '/api/operator', { method: 'POST', body: { action: 'failback', site: 'east' } })).status, 401);
  assert.equal((await api(server.base, '/api/state')).body.events, 0, 'nothing ran');
});

test('the site loss on the strip, live: east down, its tenants at west, the RTO', async () => {
  await page.selectOption('#speed', '0');
  await page.waitForFunction(() => window.renkei.state.speed === 0, null, WAIT);
  await page.click('#play');
  await page.waitForFunction(() => document.getElementById('run-state').dataset.state === 'ended', null, WAIT);
  await page.waitForFunction(() => window.renkei.impact && window.renkei.impact.at.startsWith('2017-11-13T11:00'), null, WAIT);
  await page.waitForFunction(() => document.querySelector('#impact li[data-key=failed_over]').dataset.value !== '0', null, WAIT);
  const s = await strip();
  assert.match(s.down.text, /east site/);
  assert.equal(s.down.level, 'impact-bad');
  assert.match(s.failed_over.text, /west site 2/);
  assert.match(s.rto.text, /RTO 30 s \(east site lost\)/);
  await shot(page, 'ops-impact-1440x900');
});

test('expectations come first with the figure they returned; charts have units, marks and hover values', async () => {
  await page.waitForFunction(() => window.renkei.checks && window.renkei.checks.expectations.every((e) => e.passed !== null), null, WAIT);
  const items = await page.locator('#checks li').allTextContents();
  assert.ok(items.some((x) => /^holds expectation: east tenants serve again within 2h — 30s6ms3us$/.test(x)), 'a passing expectation shows its figure');
  const firstInvariant = items.findIndex((x) => /invariant:/.test(x));
  assert.ok(items.slice(firstInvariant).every((x) => /invariant:/.test(x)), 'the expectations before the invariants');
  // errors are stacked areas per minute, latency in ms with gaps, the failover marked, values on hover
  await page.waitForFunction(() => document.getElementById('chart-latency')._chart, null, WAIT);
  await page.locator('#chart-latency').scrollIntoViewIfNeeded();
  const box = await page.locator('#chart-latency').boundingBox();
  await page.mouse.move(box.x + box.width * 0.8, box.y + box.height / 2);
  const hovered = await page.locator('#chart-latency').getAttribute('data-hover');
  assert.match(hovered, /^\d\d:\d\d \| p50: [\d.]+ ms \| p95/);
  assert.equal(await page.locator('#chart-errors').evaluate((c) => c._chart.stacked), true);
  assert.equal(await page.locator('#chart-inquiries').evaluate((c) => c._chart.marks.length), 1, 'the promotion at west is marked');
  assert.match(await page.locator('#fault-list').textContent(), /RTO 30 s · 2 tenants cut off · RPO 0 writes lost/);
});

test('the operations timeline finds the 10:00 failover an hour later; the log hides heartbeats and mirroring', async () => {
  // the event log's window (the last 8,192 lines) no longer holds the promotion...
  const windowed = await api(server.base, '/api/events?node=west&kind=log&limit=500');
  assert.ok(!windowed.body.events.some((l) => /promoted/.test(l.detail)), 'the 10:00 promotion is out of the event log\'s window');
  // ...the timeline does, from the page's search
  await page.fill('#tl-q', 'promoted');
  await page.click('#timeline-form button[type=submit]');
  await page.waitForFunction(() => [...document.querySelectorAll('#timeline li')].some((li) => /10:00:30.*promoted: serving the tenants of east/.test(li.textContent)), null, WAIT);
  await page.fill('#tl-q', '');
  await page.selectOption('#tl-cat', 'fault');
  await page.waitForFunction(() => document.querySelectorAll('#timeline li').length > 0 &&
    [...document.querySelectorAll('#timeline li')].every((li) => li.dataset.category === 'fault'), null, WAIT);
  const faults = await page.locator('#timeline').textContent();
  assert.match(faults, /fault 1 site_down injected: east/);
  const all = (await api(server.base, '/api/timeline?limit=2000')).body;
  const cats = new Set(all.entries.map((e) => e.category));
  for (const c of ['fault', 'detection', 'promotion', 'audit']) assert.ok(cats.has(c), `${c} in the timeline: ${[...cats]}`);
  assert.ok(all.entries.every((e) => !['send', 'recv', 'drop'].includes(e.line.kind)), 'no message in the timeline');
  // heartbeats and mirroring hidden: in the live log and in a search
  const shownLog = await page.evaluate(() => window.renkei.log.filter((l) => l.detail && /^(heartbeat|heartbeat_ack|mirror|mirror_ack)$/.test(l.detail.type)).length);
  assert.equal(shownLog, 0);
  const quiet = (await api(server.base, '/api/events?quiet=1&limit=500')).body.events;
  assert.ok(quiet.length > 0);
  assert.ok(quiet.every((l) => !l.detail || !/^(heartbeat|heartbeat_ack|mirror|mirror_ack)$/.test(l.detail.type)));
  await shot(page, 'ops-timeline');
});

test('the server stops: the page says so, disables its controls and stops reconnecting', async () => {
  const live = await strip();
  const t0 = Date.now();
  const r = await server.stop();
  stopped = true;
  assert.equal(r.code, 1, 'the run ended at 11:00 with expectations for the next morning failing');
  await page.waitForFunction(() => document.getElementById('notice').dataset.key === 'server_gone_ended', null, WAIT);
  console.log(`# the page said the server had gone ${Date.now() - t0} ms after it stopped`);
  assert.equal(await page.locator('#run-state').getAttribute('data-state'), 'gone');
  for (const id of ['play', 'pause', 'step', 'speed', 'until']) assert.equal(await page.locator(`#${id}`).isDisabled(), true, id);
  assert.equal(await page.locator('#fault-form button[type=submit]').isDisabled(), true);
  const asked = [];
  page.on('request', (q) => asked.push(q.url()));
  await page.waitForTimeout(4000);
  assert.deepEqual(asked, [], 'no reconnecting once gone');
  await shot(page, 'ops-server-gone');
  assert.deepEqual(page.errors, []);

  // the strip at the end is the summary's impact; the RTO is the fault's
  const summary = JSON.parse(readFileSync(join(dir, 'out', 'summary.json'), 'utf8'));
  const im = summary.impact;
  assert.equal(Number(live.failed_over.value), im.failed_over.count);
  assert.equal(im.failed_over.count, summary.faults[0].rto.tenants, 'every tenant of east failed over');
  assert.equal(Number(live.rto.value), im.rto_s);
  assert.equal(im.rto_s, summary.faults[0].rto.restored_s, 'the RTO is the promotion at west');
  assert.equal(Number(live.inquiries_failed.value), im.inquiries_failed);
  assert.equal(summary.expectations[0].passed, true);
  assert.equal(summary.expectations[0].message, '30s6ms3us', 'summary.json keeps the figure a passing expectation returned');

  // and report.html leads with the same strip
  const ctx = await browser.newContext({ offline: true, viewport: { width: 1300, height: 1000 } });
  const rp = await ctx.newPage();
  await rp.goto(pathToFileURL(resolve(dir, 'out', 'report.html')).href);
  if ((await rp.evaluate(() => document.documentElement.lang)) === 'ja') await rp.click('#lang');
  await rp.waitForSelector('#impact li[data-key=rto]');
  assert.equal(Number(await rp.locator('#impact li[data-key=rto]').getAttribute('data-value')), im.rto_s);
  assert.equal(Number(await rp.locator('#impact li[data-key=failed_over]').getAttribute('data-value')), im.failed_over.count);
  await shot(rp, 'ops-report');
  await ctx.close();
});
