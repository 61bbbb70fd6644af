// dashboard.test.mjs - the dashboard in a real browser on the national topology: the map
// shows 1,788 local governments; pause stops the simulated clock and Step runs exactly one
// event; the language switch changes the labels; a flow is shown hop by hop; a site lost
// from the page fails its tenants over on the map and shows in the charts; a page without
// the token changes nothing. Screenshots go to $ARTIFACTS.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { api, launch, serve, shot } from './harness.mjs';

const WAIT = { timeout: 180_000 };
let server, browser, page;

const state = () => page.evaluate(() => ({
  events: Number(document.getElementById('events').dataset.events),
  now: Number(document.getElementById('now').dataset.us),
  state: document.getElementById('run-state').dataset.state,
}));
const untilState = (s) => page.waitForFunction((want) => document.getElementById('run-state').dataset.state === want, s, WAIT);
// Run until `minutes` after the paused clock, from the page's form; wait until paused there.
async function runFor(minutes) {
  const from = (await api(server.base, '/api/state')).body.now_us;
  await page.fill('#until', `+${minutes}m`);
  await page.click('#until-form button[type=submit]');
  const to = from + minutes * 60e6;
  await page.waitForFunction((t) => Number(document.getElementById('now').dataset.us) === t &&
    document.getElementById('run-state').dataset.state === 'paused', to, WAIT);
  return to;
}

before(async () => {
  server = await serve(['topologies/japan.lua', 'scripts/bench/national_day.lua', '-q']);
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1500, height: 1150 }, bypassCSP: true });   // waitForFunction evaluates text
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(server.url);
});

after(async () => {
  await browser?.close();
  if (server) {
    const r = await server.stop();
    assert.equal(r.code, 130, `Ctrl-C while paused: exit 130, got ${r.code} ${r.err}`);
  }
});

test('the page loads the national topology: 1,788 local governments on the map', async () => {
  await page.waitForFunction(() => document.getElementById('map').dataset.lgs === '1788', null, WAIT);
  assert.equal(await page.locator('#lg-count').getAttribute('data-count'), '1788');
  const drawn = await page.evaluate(() => {
    const m = window.renkei.map;
    return m.cells.filter((c) => m.nodes.get(c.id).kind === 'lg').length;
  });
  assert.equal(drawn, 1788, 'every local government has a cell');
  const prefectures = await page.evaluate(() => window.renkei.map.prefBoxes.length);
  assert.equal(prefectures, 47);
  await untilState('paused');
  await shot(page, 'national-start');
  assert.deepEqual(page.errors, []);
});

test('pause stops the simulated clock; Step runs exactly one event', async () => {
  const s0 = await state();
  assert.equal(s0.state, 'paused', 'a served run starts paused');
  await page.click('#step');
  await page.waitForFunction((e) => Number(document.getElementById('events').dataset.events) === e + 1, s0.events, WAIT);
  const s1 = await state();
  assert.equal(s1.events, s0.events + 1, 'one step, one event');
  const viaApi = await api(server.base, '/api/state');
  assert.equal(viaApi.body.events, s1.events);
  // play (paced at an hour a second): the clock moves; pause: it stops
  await page.selectOption('#speed', '3600');
  await page.waitForFunction(() => window.renkei.state.speed === 3600, null, WAIT);
  await page.click('#play');
  await page.waitForFunction((n) => Number(document.getElementById('now').dataset.us) > n + 60e6, s1.now, WAIT);
  await page.click('#pause');
  await untilState('paused');
  const a = (await api(server.base, '/api/state')).body;
  await page.waitForTimeout(800);
  const b = (await api(server.base, '/api/state')).body;
  assert.equal(b.now_us, a.now_us, 'the clock stands still while paused');
  assert.equal(b.events, a.events, 'no event runs while paused');
  const shown = await state();
  assert.equal(shown.now, b.now_us, 'the page shows the paused clock');
  await page.selectOption('#speed', '0');   // as fast as possible from here on
  await page.waitForFunction(() => window.renkei.state.speed === 0, null, WAIT);
});

test('the language switch changes the labels', async () => {
  const labels = async () => page.evaluate(() => ({
    play: document.getElementById('play').textContent, h1: document.querySelector('h1').textContent,
    map: document.querySelector('#map-panel h2 span').textContent, lang: document.documentElement.lang,
  }));
  const before = await labels();
  await page.click('#lang');
  const ja = await labels();
  const en = ja.lang === 'ja' ? before : ja;
  const jp = ja.lang === 'ja' ? ja : before;
  assert.equal(en.play, 'Play');
  assert.equal(jp.play, '再生');
  assert.match(jp.h1, /マイナンバー/);
  assert.match(jp.map, /都道府県/);
  assert.notEqual(before.map, ja.map);
  await shot(page, 'national-language-switched');
  if (ja.lang === 'ja') await page.click('#lang');   // back to English for the rest
});

test('an inquiry hop by hop: the sequence diagram', async () => {
  const now = (await api(server.base, '/api/state')).body.now_us;
  const nine = Date.parse('2017-11-13T09:00:00+09:00') * 1000;   // inquiries from 08:30 on
  await runFor(Math.max(20, Math.ceil((nine - now) / 60e6)));
  await page.click('#flow-pick');
  await page.waitForFunction(() => document.querySelectorAll('#seq .hop').length >= 8, null, WAIT);
  const f = await page.evaluate(() => window.renkei.flow);
  const steps = f.hop_list.map((h) => h.step);
  assert.equal(f.kind, 'inquiry');
  assert.ok(steps.includes('inquiry_nws_converted'), steps.join());
  assert.ok(steps.includes('provision_sealed'), steps.join());
  // the NWS sees only ciphertext; the codes differ before and after it
  const atNws = f.hop_list.filter((h) => h.from_lane === 'nws' && h.kind === 'provision');
  assert.ok(atNws.every((h) => h.seen.ciphertext && !h.seen.payload), 'the NWS relays ciphertext only');
  const codes = new Set(f.hop_list.filter((h) => h.kind === 'inquiry' && h.seen.agency_code).map((h) => h.seen.agency_code));
  assert.equal(codes.size, 2, 'one code before the NWS, another after');
  for (let i = 0; i < 3; i++) await page.click('#hop-next');
  assert.match(await page.locator('#hop-counter').textContent(), /Hop 4 of/);
  assert.ok((await page.locator('#hop-detail .why').textContent()).length > 20, 'each hop says why');
  await shot(page, 'national-flow');
});

test('"Follow the next inquiry of 千代田区" shows that inquiry once it starts', async () => {
  await page.evaluate(() => window.renkei.map.onSelect([...window.renkei.map.nodes.values()].find((n) => n.code === '131016')));
  assert.match(await page.locator('#flow-follow').textContent(), /千代田区/);
  await page.click('#flow-follow');
  await page.waitForFunction(() => window.renkei.state.followed && window.renkei.state.followed.body === '131016', null, WAIT);
  await runFor(120);   // about eight inquiries an hour from Chiyoda on this day
  await page.waitForFunction(() => window.renkei.flow && window.renkei.flow.inquirer.code === '131016' &&
    window.renkei.flow.flow === window.renkei.state.followed.flow, null, WAIT);
  assert.equal(await page.locator('#notice').getAttribute('data-key'), 'flow_showing_followed');
  assert.match(await page.locator('#flow-title').textContent(), /千代田区 \(131016\)/);
  const pinned = (await api(server.base, `/api/flows/${await page.evaluate(() => window.renkei.flow.flow)}`)).body.pinned;
  assert.equal(pinned, true, 'the followed inquiry is kept');
});

test('a site lost from the page fails its tenants over, on the map and in the charts', async () => {
  await page.selectOption('#fault-kind', 'site_down');
  await page.fill('#fault-target', 'east');
  await page.fill('#fault-duration', '3h');
  await page.click('#fault-form button[type=submit]');
  await page.waitForFunction(() => window.renkei.faults.length === 1 && !window.renkei.faults[0].end, null, WAIT);
  // east is down at once: its tenants cannot answer until the backup takes over
  await page.waitForFunction(() => [...window.renkei.map.nodes.values()].some((n) => n.kind === 'site' && n.name === 'east' && n.state === 1), null, WAIT);
  await runFor(40);
  const m = await page.evaluate(() => {
    const nodes = [...window.renkei.map.nodes.values()].filter((n) => n.kind === 'lg');
    return { failedOver: nodes.filter((n) => n.state === 2).length, eastHomes: nodes.filter((n) => n.home === 'east').length,
      servedByWest: nodes.filter((n) => n.home === 'east').length };
  });
  assert.ok(m.eastHomes > 0);
  assert.equal(m.failedOver, m.eastHomes, 'every tenant of east shows failed over on the map');
  const topo = (await api(server.base, '/api/topology')).body;
  assert.ok(topo.nodes.filter((n) => n.home === 'east').every((n) => n.server === 'west' && n.state === 2));
  // in the charts: the fault is a band, and inquiries failed while east was lost
  const charts = await page.evaluate(() => {
    const s = window.renkei.series;
    const errors = Object.entries(s.errors).filter(([k]) => k !== 'not_found').reduce((n, [, v]) => n + v.reduce((a, b) => a + b, 0), 0);
    return { errors, faults: window.renkei.faults.length, lag: (s.mirror_lag_ms || []).length };
  });
  assert.equal(charts.faults, 1);
  assert.ok(charts.errors > 0, 'errors by kind show the lost site');
  assert.ok(charts.lag > 0, 'the mirroring lag is charted');
  await shot(page, 'national-failover');
});

test('a page without the token changes nothing', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 }, bypassCSP: true });
  const p = await ctx.newPage();
  await p.goto(server.base);   // no #token
  await p.waitForFunction(() => document.getElementById('run-state').dataset.state === 'paused', null, WAIT);
  assert.equal(await p.locator('#token-bar').isVisible(), true, 'the page says it is read-only');
  const before = (await api(server.base, '/api/state')).body;
  await p.click('#play');
  await p.click('#step');
  await p.waitForFunction(() => !document.getElementById('notice').hidden, null, WAIT);
  const status = await p.evaluate(async () => (await fetch('/api/resume', { method: 'POST', body: '{}' })).status);
  assert.equal(status, 401);
  const wrong = await p.evaluate(async () => (await fetch('/api/step', { method: 'POST', headers: { 'X-Renkei-Token': 'nope' }, body: '{}' })).status);
  assert.equal(wrong, 403);
  const fault = await p.evaluate(async () => (await fetch('/api/faults', { method: 'POST', body: '{"kind":"site_down","target":"west"}' })).status);
  assert.equal(fault, 401);
  await p.waitForTimeout(500);
  const after = (await api(server.base, '/api/state')).body;
  assert.equal(after.state, 'paused');
  assert.equal(after.events, before.events);
  assert.equal(after.now_us, before.now_us);
  assert.equal((await api(server.base, '/api/faults')).body.length, 1, 'no fault added');
  await shot(p, 'national-read-only');
  await ctx.close();
});
