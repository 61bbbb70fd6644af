// walkthrough.test.mjs - the trainer's session in a real browser: the child-allowance
// walkthrough (scripts/training/child_allowance.lua on the small topology). One press of
// "Next hop" moves the flow one hop and ten presses finish it; lanes are named by body, the
// provider's included; the answer's payload is a labelled table; then what the family sees
// tonight in マイナポータル, in both languages.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { api, launch, openDashboard, serve, shot } from './harness.mjs';

const WAIT = { timeout: 180_000 };
let server, browser, page;

before(async () => {
  server = await serve(['topologies/small.lua', 'scripts/training/child_allowance.lua', '-q']);
  browser = await launch();
  page = await openDashboard(browser, server.url);
});

after(async () => {
  await browser?.close();
  if (server) await server.stop();
});

const shown = () => page.evaluate(() => ({
  hops: window.renkei.flow ? window.renkei.flow.hop_list.length : 0,
  ended: window.renkei.flow ? window.renkei.flow.ended : false,
  counter: document.getElementById('hop-counter').textContent,
  drawn: document.querySelectorAll('#seq .hop').length,
}));

test('Play runs to the script\'s pause; its caption says to press Next hop', async () => {
  await page.waitForFunction(() => document.getElementById('run-state').dataset.state === 'paused', null, WAIT);
  await page.click('#play');
  await page.waitForFunction(() => window.renkei.state && window.renkei.state.paused_by_script &&
    /Next hop/.test(document.getElementById('caption-text').textContent), null, WAIT);
  const s = await shown();
  assert.equal(s.hops, 0, 'no flow yet at 08:59:59');
});

test('one press of Next hop moves the flow one hop; ten presses finish the walkthrough', async () => {
  for (let i = 1; i <= 10; i++) {
    const events = (await api(server.base, '/api/state')).body.events;
    await page.click('#hop-next');
    await page.waitForFunction((n) => window.renkei.flow && window.renkei.flow.hop_list.length === n &&
      document.getElementById('hop-counter').textContent === `Hop ${n} of ${n}`, i, WAIT);
    const s = await shown();
    assert.equal(s.drawn, i, `press ${i}: ${i} hop(s) drawn`);
    const after = (await api(server.base, '/api/state')).body;
    assert.equal(after.state, 'paused');
    assert.ok(after.events > events, `press ${i} ran the simulation`);
    if (i === 4) await shot(page, 'walkthrough-hop4');
  }
  const f = await page.evaluate(() => window.renkei.flow);
  assert.equal(f.ended, true, 'the tenth hop delivers the answer');
  assert.equal(f.outcome, 'ok');
  assert.deepEqual(f.hop_list.map((h) => h.step), ['inquiry_request', 'inquiry_converted', 'inquiry_to_nws',
    'inquiry_nws_converted', 'inquiry_to_provider', 'provision_answer', 'provision_sealed', 'provision_nws_relay',
    'provision_opened', 'provision_delivered']);
  assert.match(await page.locator('#caption-text').textContent(), /Answered in \d+ ms/, 'the caption follows the hops');
});

test('lanes are named by body, the provider\'s included; the payload is a labelled table', async () => {
  const lanes = await page.evaluate(() => [...document.querySelectorAll('#seq text.lane-node')].map((e) => e.textContent));
  assert.ok(lanes.some((l) => /千代田区 @ east site/.test(l)), lanes.join(' | '));
  assert.ok(lanes.some((l) => /大阪市 @ west site/.test(l)), lanes.join(' | '));
  assert.ok(lanes.some((l) => /大阪市 271004/.test(l)), lanes.join(' | '));
  await page.click('#seq .hop[data-index="5"] text');   // provision_answer: the plaintext
  const rows = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#hop-detail table.payload tr')]
    .map((tr) => [tr.cells[0].textContent, tr.cells[1].textContent])));
  assert.equal(rows['item (TM code)'], 'TM00000000000002');
  assert.match(rows['taxable income'], /^[\d,]+ yen$/);
  // what changed at this hop is marked: the provider's answer brings the payload
  assert.equal(await page.locator('#hop-detail tr.changed[data-field=payload]').count(), 1);
  // the keyboard reaches the hops
  await page.focus('#seq .hop[data-index="2"]');
  await page.keyboard.press('Enter');
  assert.match(await page.locator('#hop-counter').textContent(), /Hop 3 of 10/);
  await shot(page, 'walkthrough-payload');
});

test('what the family sees tonight: the inquiry in マイナポータル, in both languages', async () => {
  await page.click('#citizen-of-flow');
  await page.waitForSelector('#citizen-rows tbody tr', WAIT);
  const f = await page.evaluate(() => window.renkei.flow);
  const serial = f.hop_list.find((h) => h.seen.serial_no).seen.serial_no;
  const row = await page.evaluate(() => [...document.querySelectorAll('#citizen-rows tbody tr td')].map((td) => td.textContent));
  assert.equal(row[1], '大阪市');
  assert.equal(row[2], '千代田区');
  assert.equal(row[5], String(serial));
  assert.equal(row[6], 'provided');
  assert.match(await page.locator('#citizen-note').textContent(), /1 record/);
  await shot(page, 'walkthrough-citizen');
  await page.click('#lang');
  await page.waitForFunction(() => document.documentElement.lang === 'ja', null, WAIT);
  assert.match(await page.locator('#citizen-h').textContent(), /マイナポータル/);
  assert.match(await page.locator('#citizen-note').textContent(), /記録 1 件/);
  const ja = await page.evaluate(() => [...document.querySelectorAll('#citizen-rows tbody tr td')].map((td) => td.textContent));
  assert.match(ja[3], /児童手当/);
  await page.click('#lang');
  // the API: by local-government name and addressee, as by person number
  const byName = await api(server.base, `/api/disclosure?lg=${encodeURIComponent('大阪市')}&addressee=${f.hop_list[0].seen.addressee_no}`);
  assert.equal(byName.status, 200);
  assert.equal(byName.body.rows.length, 1);
  const byPerson = await api(server.base, `/api/disclosure?person=${byName.body.person}`);
  assert.deepEqual(byPerson.body.rows, byName.body.rows);
  assert.equal((await api(server.base, '/api/disclosure?lg=271004')).status, 400);
  assert.equal((await api(server.base, '/api/disclosure?lg=271004&addressee=99999999')).status, 404);
  assert.deepEqual(page.errors, []);
});

test('no English left on the Japanese page (checked against the i18n tables)', async () => {
  await page.click('#lang');
  await page.waitForFunction(() => document.documentElement.lang === 'ja', null, WAIT);
  await page.click('#seq .hop[data-index="9"] text');   // a hop with an error-free answer and its fields
  await page.waitForTimeout(600);   // a frame or two to redraw everything
  const found = await page.evaluate(async () => {
    const { TABLES } = await import('/i18n.js');
    const { IMPACT_STRINGS } = await import('/impact.js');
    // the English of every entry whose Japanese differs, in pieces around its {placeholders}
    const english = new Set();
    const add = (en, ja) => {
      if (typeof en !== 'string' || en === ja) return;
      for (const piece of en.split(/\{\w+\}/)) {
        const p = piece.trim().replace(/^[-—·:,.()]+|[-—·:,.()]+$/g, '').trim();
        if (p.length >= 5 && /[a-z]{3}/i.test(p)) english.add(p);
      }
    };
    for (const [k, en] of Object.entries(TABLES.STRINGS.en)) add(en, TABLES.STRINGS.ja[k]);
    for (const [k, [a, b]] of Object.entries(TABLES.STEPS.en)) { add(a, TABLES.STEPS.ja[k]?.[0]); add(b, TABLES.STEPS.ja[k]?.[1]); }
    for (const [en, ja] of Object.entries(TABLES.INVARIANTS_JA)) add(en, ja);
    for (const [k, en] of Object.entries(IMPACT_STRINGS.en)) add(en, IMPACT_STRINGS.ja[k]);
    // what the page shows, but the raw trace (the event log), the timeline's log lines (the
    // simulation's own records), code (Lua option names) and what the script's author wrote
    // (its expectations' names and figures)
    const skip = (e) => e.closest('#log, #timeline, code, .script-text, script, style');
    const texts = [];
    const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      const e = n.parentElement;
      if (!e || skip(e) || !n.textContent.trim()) continue;
      if (e.closest('[hidden]')) continue;
      texts.push(n.textContent);
    }
    for (const e of document.querySelectorAll('[title], [placeholder], [aria-label]')) {
      if (skip(e)) continue;
      for (const a of ['title', 'placeholder', 'aria-label']) if (e.getAttribute(a)) texts.push(e.getAttribute(a));
    }
    const all = texts.join('\n');
    const left = [...english].filter((p) => all.includes(p)).map((p) => `${p} in "${texts.find((x) => x.includes(p)).slice(0, 120)}"`);
    // and no key of the table shown as such (a string it lacks)
    const keys = [...all.matchAll(/\b(outcome|flowkind|field|state|kind|lane|end|tl|citizen)_[a-z_]+\b/g)].map((m) => m[0]);
    return { left, keys, english: english.size };
  });
  assert.ok(found.english > 200, `the tables hold ${found.english} English pieces`);
  assert.deepEqual(found.left, [], 'English left on the Japanese page');
  assert.deepEqual(found.keys, [], 'keys shown untranslated');
  await shot(page, 'walkthrough-ja');
  await page.click('#lang');
});

test('the map by keyboard and by name; a phone (390×844) scrolls no sideways; screenshots at both sizes', async () => {
  const events = (await api(server.base, '/api/state')).body.events;
  await page.focus('#map');
  await page.keyboard.press('ArrowRight');
  assert.equal((await api(server.base, '/api/state')).body.events, events, 'the map\'s arrow keys do not step the run');
  assert.notEqual(await page.locator('#selection').textContent(), '', 'an arrow key selects the first body or system');
  await page.fill('#map-find', '千代田区 131016');
  await page.press('#map-find', 'Enter');
  assert.match(await page.locator('#selection').textContent(), /^千代田区 \(131016\)/);
  assert.match(await page.locator('#flow-follow').textContent(), /千代田区/);
  await page.screenshot({ path: `${process.env.ARTIFACTS || 'build/web-artifacts'}/walkthrough-1440x900.png` });
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, bypassCSP: true, isMobile: true });
  const phone = await ctx.newPage();
  await phone.goto(server.url);
  await phone.waitForFunction(() => window.renkei.state && window.renkei.flow, null, WAIT);
  await phone.waitForTimeout(500);
  const wide = await phone.evaluate(() => ({ page: document.documentElement.scrollWidth, view: window.innerWidth }));
  assert.ok(wide.page <= wide.view, `no sideways scrolling: ${wide.page} px on a ${wide.view} px screen`);
  const flowTop = (await phone.locator('#flow-panel').boundingBox()).y, mapTop = (await phone.locator('#map-panel').boundingBox()).y;
  assert.ok(flowTop < mapTop, 'the flow comes first on a phone');
  assert.ok(await phone.locator('#impact').isVisible());
  await phone.screenshot({ path: `${process.env.ARTIFACTS || 'build/web-artifacts'}/walkthrough-390x844.png` });
  await shot(phone, 'walkthrough-390x844-full');
  await ctx.close();
});
