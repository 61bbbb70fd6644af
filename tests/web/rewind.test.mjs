// rewind.test.mjs - rewind and branch from the page (issue 16): the tester runs to 11:00 with
// the west site lost at 09:00, goes back to 09:00 with the page's control, loses east there
// instead and runs to the end: the trace hash is that of a run with only the east loss (the
// API makes it, as cli_rewind.sh checks in more ways); a time in the future is refused with
// the server's reason, in Japanese on the Japanese page, and changes nothing.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { api, launch, openDashboard, serve, shot } from './harness.mjs';

const WAIT = { timeout: 300_000 };
const RUN = ['topologies/small.lua', 'tests/lua/rewind_day.lua', '-q'];
const EAST = { kind: 'site_down', target: 'east', duration: '1h' };
let server, browser, page, dir;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'renkei-rewind-'));
  server = await serve([...RUN, '--out', join(dir, 'branch')]);
  browser = await launch();
  page = await openDashboard(browser, server.url);
});

after(async () => {
  await browser?.close();
  if (server) await server.stop().catch(() => {});
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const state = () => page.evaluate(() => window.renkei.state);
async function until(time) {
  await page.fill('#until', time);
  await page.click('#until-form button[type=submit]');
  await page.waitForFunction((t) => window.renkei.state.now.endsWith(t) && window.renkei.state.state === 'paused', `${time}:00`, WAIT);
}

test('back to 09:00 from the page, then east lost instead of west: the trace of a run with only the east loss', async () => {
  await page.selectOption('#speed', '0');
  await page.waitForFunction(() => window.renkei.state.speed === 0, null, WAIT);
  await until('09:00');
  const west = await api(server.base, '/api/faults', { method: 'POST', token: server.token, body: { kind: 'site_down', target: 'west', duration: '2h' } });
  assert.equal(west.status, 200);
  await until('11:00');
  // the future is refused, with the reason, and nothing changes
  await page.fill('#rewind', '12:00');
  await page.click('#rewind-form button[type=submit]');
  await page.waitForFunction(() => /after the simulated clock/.test(document.getElementById('notice').textContent), null, WAIT);
  assert.equal((await state()).now, '2017-11-13 11:00:00');
  await page.click('#lang');
  await page.click('#rewind-form button[type=submit]');
  await page.waitForFunction(() => /現在のシミュレーション時刻より後/.test(document.getElementById('notice').textContent), null, WAIT);
  await page.click('#lang');
  // back to 09:00: the page starts again from there and says so
  await page.fill('#rewind', '09:00');
  await Promise.all([page.waitForNavigation(WAIT), page.click('#rewind-form button[type=submit]')]);
  await page.waitForFunction(() => window.renkei.state && window.renkei.state.now === '2017-11-13 09:00:00', null, WAIT);
  await page.waitForFunction(() => /Back at 2017-11-13 09:00:00: branch 1/.test(document.getElementById('notice').textContent), null, WAIT);
  await page.waitForFunction(() => window.renkei.series && window.renkei.series.t.length >= 30, null, WAIT);   // the figures up to 09:00
  await shot(page, 'rewind-1440');
  assert.deepEqual((await api(server.base, '/api/faults')).body, [], 'the west loss, made at 09:00, is gone');
  assert.equal((await api(server.base, '/api/faults', { method: 'POST', token: server.token, body: EAST })).status, 200);
  await page.click('#play');
  await page.waitForFunction(() => window.renkei.state.state === 'ended', null, WAIT);
  await server.stop();
  server = null;
  const branch = JSON.parse(readFileSync(join(dir, 'branch', 'summary.json'), 'utf8'));
  assert.equal(branch.branch.rewinds, 1);
  // the reference: only the east loss, at 09:00
  const ref = await serve([...RUN, '--out', join(dir, 'ref')]);
  await api(ref.base, '/api/speed', { method: 'POST', token: ref.token, body: { speed: 0 } });
  await api(ref.base, '/api/until', { method: 'POST', token: ref.token, body: { time: '09:00' } });
  while ((await api(ref.base, '/api/state')).body.state !== 'paused') await new Promise((r) => setTimeout(r, 50));
  assert.equal((await api(ref.base, '/api/faults', { method: 'POST', token: ref.token, body: EAST })).status, 200);
  await api(ref.base, '/api/resume', { method: 'POST', token: ref.token, body: {} });
  while ((await api(ref.base, '/api/state')).body.state !== 'ended') await new Promise((r) => setTimeout(r, 50));
  await ref.stop();
  const plain = JSON.parse(readFileSync(join(dir, 'ref', 'summary.json'), 'utf8'));
  assert.equal(branch.trace_hash, plain.trace_hash);
});
