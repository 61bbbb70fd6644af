// flowmap.test.mjs - the flow drawn on the map (issue 16): in the child-allowance walkthrough,
// the inquiry shown hop by hop is drawn over the map: the inquirer, the sites, the NWS and
// the provider ringed (an interface system drawn as its site or agency), the current hop an
// arrow between the bodies of its sender and receiver, following each press of "Next hop".
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { servedPage, shot } from './harness.mjs';

const WAIT = { timeout: 180_000 };
let run, page;
before(async () => { run = await servedPage(['topologies/small.lua', 'scripts/training/child_allowance.lua', '-q']); page = run.page; });
after(async () => { await run?.close(); });

// what the map draws, and what it should, from the flow and the topology the page holds
const drawn = () => page.evaluate(() => {
  const { map, flow } = window.renkei;
  const byName = (name) => [...map.nodes.values()].find((n) => n.name === name);
  const body = (id) => { const n = map.nodes.get(id); return n.kind === 'ifs' ? byName(n.name.replace(/\.ifs$/, '')).id : id; };
  const cur = flow.hop_list[Number(document.getElementById('hop-counter').textContent.match(/\d+/)[0]) - 1];
  return {
    shown: map.flowShown, canvasFlow: map.canvas.dataset.flow, flow: flow.flow,
    inquirer: flow.inquirer.id, provider: flow.provider.id,
    nws: byName('nws').id, sites: [byName('east').id, byName('west').id],
    hop: { from: body(cur.from), to: body(cur.to) },
  };
});

test('each hop of the walkthrough is drawn on the map, over the bodies it passes through', async () => {
  await page.waitForFunction(() => document.getElementById('run-state').dataset.state === 'paused', null, WAIT);
  await page.click('#play');
  await page.waitForFunction(() => window.renkei.state && window.renkei.state.paused_by_script, null, WAIT);
  assert.equal(await page.evaluate(() => window.renkei.map.flowShown ?? null), null, 'no flow drawn before one is shown');
  let sawNws = false;
  for (let i = 1; i <= 10; i++) {
    await page.click('#hop-next');
    await page.waitForFunction((n) => window.renkei.flow && new RegExp(`^\\D*${n}\\D`).test(document.getElementById('hop-counter').textContent), i, WAIT);
    const d = await drawn();
    assert.equal(d.shown.flow, d.flow, 'the map draws the flow the hop view shows');
    assert.equal(d.canvasFlow, String(d.flow));
    assert.deepEqual(d.shown.hop, d.hop, `hop ${i}: the arrow joins the bodies of its sender and receiver`);
    for (const id of [d.inquirer, d.provider]) assert.ok(d.shown.nodes.includes(id), `hop ${i}: inquirer and provider ringed`);
    sawNws ||= d.shown.nodes.includes(d.nws);
    if (i === 3) await shot(page, 'flow-on-map-1440');
  }
  const d = await drawn();
  assert.ok(sawNws && d.shown.nodes.includes(d.nws), 'the NWS ringed once the inquiry has passed it');
  assert.ok(d.sites.some((id) => d.shown.nodes.includes(id)), 'a site ringed');
  assert.deepEqual(await page.evaluate(() => window.renkei.errors ?? []), []);
});
