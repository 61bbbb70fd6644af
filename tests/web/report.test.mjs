// report.test.mjs - report.html opens offline and asks for nothing: a run's own report, and
// one rendered from a hand-written summary with faults and a rollout schedule (the parts
// other issues add to summary.json), both with every network request blocked.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { launch, RENKEI, shot } from './harness.mjs';

let browser, dir;
before(async () => {
  browser = await launch();
  dir = mkdtempSync(join(tmpdir(), 'renkei-report-'));
});
after(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// Open a file offline with every request blocked; returns the page and what it asked for.
async function openOffline(file) {
  const ctx = await browser.newContext({ offline: true, viewport: { width: 1300, height: 1000 } });
  const page = await ctx.newPage();
  const asked = [], errors = [];
  page.on('request', (r) => asked.push(r.url()));
  page.on('pageerror', (e) => errors.push(e.message));
  await ctx.route('**/*', (route) => (route.request().url() === pathToFileURL(file).href ? route.continue() : route.abort()));
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector('#status');
  await page.waitForTimeout(300);   // the charts draw on the next frame
  return { ctx, page, asked, errors, self: pathToFileURL(file).href };
}

test("a run's report.html opens offline with its summary, charts and checks", async () => {
  const out = join(dir, 'run');
  execFileSync(RENKEI, ['run', 'topologies/small.lua', 'scripts/training/child_allowance.lua', '-q', '--out', out]);
  const { ctx, page, asked, errors, self } = await openOffline(resolve(out, 'report.html'));
  assert.deepEqual(asked, [self], 'no request but the file itself');
  assert.deepEqual(errors, []);
  assert.match(await page.locator('#status').textContent(), /Exit status 0|終了ステータス 0/);
  assert.ok(await page.locator('canvas.chart').count() >= 3);
  assert.ok(await page.locator('ul.checks li.ok').count() >= 5, 'invariants and expectations listed');
  // the walkthrough's handout: its captions in order, its flow hop by hop, a glossary
  if ((await page.evaluate(() => document.documentElement.lang)) === 'ja') await page.click('#lang');
  assert.equal(await page.locator('ol.captions li').count(), 5);
  assert.match(await page.locator('ol.captions').textContent(), /Welcome\. Osaka City's child-allowance desk/);
  const hops = await page.locator('ol.hops li b').allTextContents();
  assert.equal(hops.length, 10);
  assert.equal(hops[3], 'NWS: permission, serial number, code conversion');
  assert.match(await page.locator('#report').textContent(), /機関別符号agency code/, 'the glossary');
  await page.click('#lang');
  assert.equal(await page.locator('ol.hops li b').nth(3).textContent(), '情報提供NWS: 許可・処理通番・符号変換');
  await shot(page, 'report-handout');
  await ctx.close();
});

test('a report from a hand-written summary draws faults, the schedule and readiness', async () => {
  const html = join(dir, 'full.html');
  execFileSync(RENKEI, ['report', 'tests/web/fixtures/summary_full.json', html]);
  const { ctx, page, asked, errors, self } = await openOffline(html);
  assert.deepEqual(asked, [self], 'no request but the file itself');
  assert.deepEqual(errors, []);
  if ((await page.evaluate(() => document.documentElement.lang)) === 'ja') await page.click('#lang');
  const text = await page.locator('#report').textContent();
  assert.match(text, /Faults/);
  assert.match(text, /site_down/);
  assert.match(text, /not ended/, 'a fault without an end');
  assert.match(text, /Rollout schedule/);
  assert.match(text, /full operation/);
  assert.match(text, /82%/, 'the odds of meeting the milestone');
  assert.match(text, /FAILED every flow ends exactly once/, 'a failed invariant is shown as failed');
  assert.equal(await page.locator('#gantt').count(), 1);
  assert.ok(await page.locator('canvas.chart').count() >= 5, 'time series, lag and readiness charts');
  await shot(page, 'report-schedule');
  await page.click('#lang');
  assert.match(await page.locator('h1').textContent(), /レポート/);
  await ctx.close();
});

test('renkei diff --html: the what-if against its plan leads with the milestones that moved', async () => {
  const plan = join(dir, 'plan'), whatif = join(dir, 'whatif'), html = join(dir, 'diff.html');
  execFileSync(RENKEI, ['run', 'topologies/small.lua', 'tests/lua/rollout_known.lua', '-q', '--out', plan]);
  execFileSync(RENKEI, ['run', 'topologies/small.lua', 'tests/lua/rollout_known.lua', '-q', '--set', 'outage=true', '--out', whatif]);
  execFileSync(RENKEI, ['diff', join(plan, 'summary.json'), join(whatif, 'summary.json'), '--html', html]);
  const { ctx, page, asked, errors, self } = await openOffline(html);
  assert.deepEqual(asked, [self]);
  assert.deepEqual(errors, []);
  if ((await page.evaluate(() => document.documentElement.lang)) === 'ja') await page.click('#lang');
  const heads = await page.locator('h2').allTextContents();
  assert.equal(heads[0], 'Compared with another run', heads.join(' | '));
  assert.ok(heads.indexOf('Rollout schedule') < heads.indexOf('The run'), 'the schedule before the engine figures');
  const ready = await page.locator('table').nth(1).locator('tr', { hasText: 'ready' }).first().textContent();
  assert.match(ready, /2017-05-122017-05-15\+3 days/);
  await shot(page, 'report-diff');
  await ctx.close();
});

test("the 2014 plan's report charts its readiness signals, releases, what-if and gates (issue 19)", async () => {
  const out = join(dir, 'plan2014');
  execFileSync(RENKEI, ['run', 'topologies/japan.lua', 'scripts/rollout/national_2014.lua', 'scripts/rollout/release_slip.lua',
    '--set', 'resident_scale=0.00001', '--set', 'release=software 1.1', '--set', 'slip=40', '-q', '--out', out]);
  const sum = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).schedule;
  const { ctx, page, asked, errors, self } = await openOffline(resolve(out, 'report.html'));
  assert.deepEqual(asked, [self]);
  assert.deepEqual(errors, []);
  if ((await page.evaluate(() => document.documentElement.lang)) === 'ja') await page.click('#lang');
  // the national table: one row per signal, one column per as-of date, each share as summary.json says
  const rows = page.locator('#signals-national tbody tr');
  assert.equal(await rows.count(), sum.signals.rows.length);
  assert.ok(sum.signals.rows.length >= 20);
  assert.equal(await page.locator('#signals-national thead th').count(), 2 + sum.signals.as_of.length);
  for (const i of [0, 8, sum.signals.rows.length - 1]) {
    const shares = await rows.nth(i).locator('td[data-share]').evaluateAll((tds) => tds.map((td) => Number(td.dataset.share)));
    assert.deepEqual(shares, sum.signals.rows[i].national, sum.signals.rows[i].signal);
  }
  // by prefecture: the bars of the picked signal and date are summary.json's, 47 of them, named
  const pick = Number(await page.locator('#signal-pick').inputValue()), k = Number(await page.locator('#signal-date').inputValue());
  const row = sum.signals.rows[pick];
  assert.ok(row.national[k] > 0 && row.national[k] < 1, 'by default a signal and date that differ between prefectures');
  const bars = await page.locator('#signal-bars .bar').evaluateAll((bs) => bs.map((b) => [b.dataset.pref, Number(b.dataset.share)]));
  assert.equal(bars.length, 47);
  assert.deepEqual(bars, Object.entries(row.prefectures).sort().map(([code, v]) => [code, v[k]]), 'in code order');
  await page.selectOption('#signal-pick', '0');   // a document: every body takes it up
  assert.equal(await page.locator('#signal-bars .bar-name').first().textContent(), 'Hokkaido');
  assert.equal(Number(await page.locator('#signal-bars .bar').first().getAttribute('data-share')), sum.signals.rows[0].prefectures['010006'][k]);
  // the release slipped by the what-if moves the comprehensive test start by its 40 business days
  const text = await page.locator('#report').textContent();
  assert.match(text, /software 1\.1: planned 2015-12-01, now 2016-02-03/);
  const moved = await page.locator('h3#what-if + ul + table tr', { hasText: 'comprehensive test start' }).textContent();
  assert.match(moved, /\+40 days/);
  assert.equal(await page.locator('h3#releases + table tbody tr').count(), sum.releases.reduce((n, r) => n + r.versions.length, 0));
  assert.equal(await page.locator('h3#gates + table tbody tr').count(), sum.gates.length);
  assert.match(await page.locator('#operator').textContent(), /^J-LIS runs the platform's east and west sites and their operations centre \(node ops\)/);
  await shot(page, 'report-signals');
  await page.click('#lang');
  assert.equal(await page.locator('#signal-bars .bar-name').first().textContent(), '北海道');
  assert.match(await page.locator('#report').textContent(), /準備状況の指標/);
  await ctx.close();
});
