// measure.mjs - how many updates the dashboard takes in and how smoothly it draws, on the
// national day at full speed (a 10× peak day), or paced as the demo runs it (the national
// day at SPEED× real time from 08:25). Not a test (it asserts nothing): a figure for the README.
//   node tests/web/measure.mjs [seconds] [SPEED]        (RENKEI=build/renkei by default)
import { api, launch, serve } from './harness.mjs';

const seconds = Number(process.argv[2] || 20);
const speed = process.argv[3] ? Number(process.argv[3]) : 0;
const server = await serve(['topologies/japan.lua', 'scripts/bench/national_day.lua', '-q',
  ...(speed ? ['--speed', String(speed)] : ['--set', 'day_scale=10'])]);
const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1500, height: 1150 }, bypassCSP: true });
await page.goto(server.url);
await page.waitForFunction(() => document.getElementById('map').dataset.lgs === '1788', null, { timeout: 120000 });
await api(server.base, '/api/until', { method: 'POST', token: server.token, body: { time: '08:25' } });
await page.waitForTimeout(3000);
await api(server.base, '/api/resume', { method: 'POST', token: server.token, body: {} });
const read = () => page.evaluate(() => ({ ...window.renkei.stats, bytes: window.renkeiStreamBytes(), now: performance.now() }));
await page.evaluate(() => Object.assign(window.renkei.stats, { worstFrameMs: 0, worstWorkMs: 0, worstTickMs: 0 }));
const s0 = await read();
const e0 = (await api(server.base, '/api/state')).body;
await page.waitForTimeout(seconds * 1000);
const s1 = await read();
const e1 = (await api(server.base, '/api/state')).body;
const wall = (s1.now - s0.now) / 1000;
const rate = (k) => ((s1[k] - s0[k]) / wall).toFixed(1);
console.log(JSON.stringify({
  wall_s: wall.toFixed(1),
  sim_advanced_min: ((e1.now_us - e0.now_us) / 60e6).toFixed(1),
  engine_events_per_s: Math.round((e1.events - e0.events) / wall),
  update_messages_per_s: rate('ticks'),
  node_updates_per_s: rate('nodeUpdates'),
  log_lines_per_s: rate('logLines'),
  frames_per_s: rate('frames'),
  frames_over_50ms: s1.slowFrames - s0.slowFrames,
  worst_frame_ms: Math.round(s1.worstFrameMs),
  worst_update_handling_ms: Math.round(s1.worstTickMs),
  worst_drawing_ms: Math.round(s1.worstWorkMs),
  update_kib_per_s: Math.round(((s1.bytes || 0) - (s0.bytes || 0)) / wall / 1024),
  server_updates_dropped: e1.server.updates_dropped,
  speed: speed || 'as fast as possible (10× day)',
}, null, 1));
await browser.close();
await server.stop();
