// app.js - the dashboard: wires the live stream to the map, the flow view, the charts, the
// checks and the event log, and the controls to the API. Updates arrive in batches (ten a
// second at most); everything they change is drawn once per animation frame.

import { ApiError, del, get, hasToken, post, setToken, stream } from './api.js';
import { drawLines, PALETTE } from './chart.js';
import { fmtDuration, renderImpact, siteName } from './impact.js';
import { applyStatic, getLang, invariantDetail, invariantName, onLang, serverMessage, setLang, t } from './i18n.js';
import { JapanMap } from './map.js';
import { SequenceView } from './seq.js';

const $ = (id) => document.getElementById(id);
const app = {
  state: null, topo: null, series: null, rates: { t: [], eps: [], ratio: [] },
  drawn: {}, checks: null, faults: [], catalogue: [], faultCounts: null, flowId: null, flowsVersion: -1, log: [], dirty: new Set(), selected: null,
  // what the page took in and drew, for measuring it (tests/web/measure.mjs)
  stats: { ticks: 0, nodeUpdates: 0, logLines: 0, bytes: 0, frames: 0, slowFrames: 0, lastFrame: 0, worstFrameMs: 0, worstWorkMs: 0, worstTickMs: 0 },
};
window.renkei = app;   // for the browser tests and the curious
window.renkeiStreamBytes = () => stream.bytes;

const map = new JapanMap($('map'), $('tooltip'));
app.map = map;
const seq = new SequenceView($('seq'), $('hop-detail'), $('hop-counter'));
// every change of the hop shown is drawn on the map too
const renderSeq = seq.render.bind(seq);
seq.render = () => { renderSeq(); map.setFlow(app.flow, seq.current); };
seq.nodeName = (id) => {
  const n = map.nodes.get(id);
  if (!n) return String(id);
  return n.kind === 'lg' ? `${n.label} ${n.code}` : n.kind === 'agency' ? n.label : n.name;
};

// The notice line: a message of the i18n table (key and values, so that a language switch
// says it again in the other language), or a text as it came (from the server).
function notice(text, kind = 'info', key, vars) {
  if (app.gone && key !== 'server_gone' && key !== 'server_gone_ended') return;   // the last word stays
  const n = $('notice');
  app.noticeSpec = key ? { key, vars, kind } : null;
  // a value may be a function: worded again in the language of the moment
  const words = vars && Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, typeof v === 'function' ? v() : v]));
  n.textContent = key ? t(key, words) : text;
  n.className = kind;
  n.dataset.key = key || '';
  n.hidden = !n.textContent;
}
const noticeT = (key, vars, kind = 'info') => notice('', kind, key, vars);

// The server has gone (api.js found it answers nothing): say so once, stop asking, and
// disable everything that would need it. Moving between recorded hops and the language
// switch still work.
const LOCAL_CONTROLS = new Set(['lang', 'hop-prev', 'hop-next']);
function serverGone() {
  const ended = app.state && app.state.state === 'ended';
  noticeT(ended ? 'server_gone_ended' : 'server_gone', {}, 'error');
  app.gone = true;
  document.body.classList.add('gone');
  for (const e of document.querySelectorAll('button, select, input')) if (!LOCAL_CONTROLS.has(e.id)) e.disabled = true;
  const st = $('run-state');
  st.textContent = t('state_gone');
  st.className = 'state gone';
  st.dataset.state = 'gone';
}

function controlError(e) {
  if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
    $('token-bar').hidden = false;
    noticeT(e.status === 403 ? 'token_bad' : 'token_missing', {}, 'error');
  } else {
    notice(serverMessage(e.message), 'error');
  }
}

async function control(path, body) {
  try {
    const s = await post(path, body);
    updateState(s);
    return s;
  } catch (e) {
    controlError(e);
    return null;
  }
}

// ---- state and clock ------------------------------------------------------------------

function updateState(s) {
  app.state = s;
  // "Follow the next inquiry of X": show it as soon as it is recorded
  const fw = s.followed;
  if (fw && fw.flow && fw.flow !== app.followShown) {
    app.followShown = fw.flow;
    showFlow(fw.flow).then(() => noticeT('flow_showing_followed', { name: fw.name }));
  }
  app.dirty.add('state');
  if (s.caption && (!app.caption || app.caption.seq !== s.caption.seq)) { app.caption = s.caption; app.dirty.add('caption'); }
  if (s.paused_by_script !== app.pausedByScript) { app.pausedByScript = s.paused_by_script; app.dirty.add('caption'); }
}

function renderState() {
  const s = app.state;
  if (!s || app.gone) return;
  $('now').textContent = `${s.now} JST`;
  $('now').dataset.us = String(s.now_us);
  const st = $('run-state');
  st.textContent = t(`state_${s.state}`);
  st.className = `state ${s.state}`;
  st.dataset.state = s.state;
  $('events').textContent = s.events.toLocaleString('en-US');
  $('events').dataset.events = String(s.events);
  $('eps').textContent = Math.round(s.events_per_s).toLocaleString('en-US');
  $('ratio').textContent = s.sim_per_wall >= 100 ? Math.round(s.sim_per_wall).toLocaleString('en-US') : s.sim_per_wall;
  const speedSel = $('speed');
  if (document.activeElement !== speedSel) speedSel.value = String(s.speed);
  const over = s.state === 'ended';
  for (const id of ['play', 'pause', 'step']) $(id).disabled = over;
  $('play').classList.toggle('active', s.state === 'running');
  $('pause').classList.toggle('active', s.state === 'paused');
  $('pause-at-captions').checked = s.pause_at_captions;
  if (s.end_reason && (!app.noticeSpec || app.noticeSpec.key !== 'ended')) {
    noticeT('ended', { reason: () => endReason(s.end_reason), status: s.exit_status }, s.exit_status === 0 ? 'info' : 'error');
  }
}

// An end reason (until, drained, ...) in words; one the table does not know as it came.
function endReason(r) {
  const text = t(`end_${r}`);
  return text === `end_${r}` ? r : text;
}

function renderCaption() {
  const c = app.caption;
  $('caption').hidden = !c && !app.pausedByScript;
  const text = c ? (getLang() === 'ja' ? c.ja : c.en) : '';
  $('caption-text').textContent = text + (app.pausedByScript ? `\n${t('paused_by_script')}` : '');
}

// ---- names as people say them -------------------------------------------------------------

function faultKindName(kind) {
  const k = app.catalogue.find((x) => x.kind === kind);
  return k ? (k[getLang()] || k.en).split(/[,:（(]/)[0].trim() : kind;
}

// A fault's target as people say it: sites by their name, bodies by theirs.
function targetName(target) {
  return String(target).split(/, */).map((x) => {
    if (x === 'east' || x === 'west') return siteName(x, getLang());
    const n = app.topo && app.topo.nodes.find((m) => m.name === x);
    return n && n.label && n.label !== x ? n.label : x;
  }).join(', ');
}

// ---- charts -----------------------------------------------------------------------------

function mergeSeries(part) {
  if (!part) return;
  if (!app.series || part.from === 0 || part.width_us !== app.series.width_us) {
    app.series = part;
  } else {
    const s = app.series;
    const cols = ['t', 'inquiries_started', 'inquiries_ended', 'inquiries_ok', 'latency_p50_ms', 'latency_p95_ms', 'latency_p99_ms', 'flows_started', 'flows_ended'];
    if (part.mirror_lag_ms) cols.push('mirror_lag_ms');
    for (const c of cols) { if (!s[c]) s[c] = []; s[c].length = part.from; s[c].push(...part[c]); }
    const names = new Set([...Object.keys(s.errors), ...Object.keys(part.errors)]);
    for (const k of names) {
      const old = s.errors[k] || new Array(part.from).fill(0);
      old.length = part.from;
      for (let i = old.length; i < part.from; i++) old[i] = 0;
      s.errors[k] = old.concat(part.errors[k] || new Array(part.t.length).fill(0));
    }
    s.count = part.count;
  }
  app.dirty.add('charts');
}

function renderCharts() {
  const s = app.series;
  if (!s) return;
  const perMinute = 60e6 / s.width_us;
  const scale = (a) => a.map((v) => v * perMinute);
  // the time axis runs to the simulated clock, not only to the last bucket
  const t0 = s.t[0], t1 = s.t.length ? Math.max(s.t[s.t.length - 1] + s.width_us / 1e3, app.state ? app.state.now_us / 1e3 : 0) : undefined;
  const bands = app.faults.map((f) => ({ start: Date.parse(f.start), end: f.end ? Date.parse(f.end) : undefined,
    label: `${faultKindName(f.kind)} ${targetName(f.target)}` }));
  const marks = app.faults.flatMap((f) => [
    f.promoted_at ? { at: Date.parse(f.promoted_at), label: t('mark_failover'), color: '#2f6fdf' } : null,
    f.failed_back_at ? { at: Date.parse(f.failed_back_at), label: t('mark_failback'), color: '#2aa876' } : null]).filter(Boolean);
  const perMin = t('unit_per_min');
  drawLines($('chart-lag'), { t: s.t, t0, t1, bands, marks, yUnit: 'ms', series: [
    { label: t('lag'), values: s.mirror_lag_ms || [], color: PALETTE[5] }] });
  drawLines($('chart-inquiries'), { t: s.t, t0, t1, bands, marks, yUnit: perMin, series: [
    { label: t('started'), values: scale(s.inquiries_started), color: PALETTE[0] },
    { label: t('answered_ok'), values: scale(s.inquiries_ok), color: PALETTE[2] }] });
  drawLines($('chart-latency'), { t: s.t, t0, t1, bands, marks, yUnit: 'ms', series: [
    { label: 'p50', values: s.latency_p50_ms, color: PALETTE[0] },
    { label: 'p95', values: s.latency_p95_ms, color: PALETTE[1] },
    { label: 'p99', values: s.latency_p99_ms, color: PALETTE[3] }] });
  drawLines($('chart-errors'), { t: s.t, t0, t1, bands, marks, stacked: true, ymin: 1, yUnit: perMin,
    series: Object.entries(s.errors).map(([k, v], i) => ({ label: t(`outcome_${k}`), values: scale(v), color: PALETTE[(i + 3) % PALETTE.length] })) });
  const r = app.rates;
  drawLines($('chart-rates'), { t: r.t, yUnit: t('eps'), series: [
    { label: t('events_per_s'), values: r.eps, color: PALETTE[4] },
    { label: `${t('sim_per_wall')} ×100`, values: r.ratio.map((v) => v * 100), color: PALETTE[6] }] });
}

function addRate(s) {
  const r = app.rates;
  if (s.state !== 'running') return;
  if (r.t.length && s.now_us / 1e3 <= r.t[r.t.length - 1]) return;
  r.t.push(s.now_us / 1e3); r.eps.push(s.events_per_s); r.ratio.push(s.sim_per_wall);
  if (r.t.length > 2000) for (const k of ['t', 'eps', 'ratio']) r[k].splice(0, 500);
  app.dirty.add('charts');
}

// ---- checks -----------------------------------------------------------------------------

function renderChecks() {
  const c = app.checks;
  if (!c) return;
  const list = $('checks');
  // the scenario's own expectations first (what the user asked), with the figure each returned
  const items = [
    ...c.expectations.map((e) => ({ kind: t('expectation'), name: e.name, ok: e.passed, script: true,
      detail: [e.message, e.failed_at ? t('failed_at', { at: e.failed_at }) : ''].filter(Boolean).join(' ') })),
    ...c.invariants.map((i) => ({ kind: t('invariant'), name: invariantName(i.name), ok: i.held, detail: invariantDetail(i.detail) })),
  ];
  items.sort((a, b) => (a.ok === false ? -1 : 0) - (b.ok === false ? -1 : 0));   // failing first
  list.replaceChildren(...items.map((i) => {
    const li = document.createElement('li');
    li.className = i.ok === true ? 'ok' : i.ok === false ? 'bad' : 'pending';
    const b = document.createElement('b');
    b.textContent = i.ok === true ? t('held') : i.ok === false ? t('failed') : t('not_yet');
    const small = document.createElement('small');
    small.textContent = i.detail ? ` — ${i.detail}` : '';
    if (i.script) small.className = 'script-text';
    // an expectation's name is the script author's text, in the script's language
    const name = document.createElement('span');
    name.textContent = i.name;
    if (i.script) name.className = 'script-text';
    li.append(b, ` ${i.kind}: `, name, small);
    return li;
  }));
}

// ---- event log --------------------------------------------------------------------------

function logFilter() {
  return { node: $('f-node').value.trim(), kind: $('f-kind').value, msg: $('f-msg').value.trim(), flow: $('f-flow').value.trim(),
    quiet: $('log-quiet').checked ? '1' : '' };
}

const NOISE = new Set(['heartbeat', 'heartbeat_ack', 'mirror', 'mirror_ack']);
function matches(line, f) {
  if (typeof line !== 'object') return !f.node && !f.kind && !f.msg && !f.flow;
  if (f.quiet && line.detail && typeof line.detail === 'object' && NOISE.has(line.detail.type)) return false;
  if (f.kind && line.kind !== f.kind) return false;
  if (f.node && line.node !== f.node && line.peer !== f.node) return false;
  if (f.msg && String(line.msg) !== f.msg) return false;
  if (f.flow && !(line.detail && line.detail.body && String(line.detail.body.flow) === f.flow)) return false;
  return true;
}

function addLog(lines, skipped) {
  if (!$('log-live').checked) return;
  const f = logFilter();
  for (const l of lines) if (matches(l, f)) app.log.push(l);
  if (app.log.length > 300) app.log.splice(0, app.log.length - 300);
  if (skipped) { app.logNote = ['log_skipped', { n: skipped }]; $('log-note').textContent = t(...app.logNote); }
  app.dirty.add('log');
}

function renderLog() {
  const ol = $('log');
  ol.replaceChildren(...app.log.slice(-300).reverse().map((l) => {
    const li = document.createElement('li');
    if (typeof l !== 'object') { li.textContent = String(l); return li; }
    const d = l.detail;
    const what = d && typeof d === 'object' ? [d.type, d.reason, d.body && d.body.flow ? `flow ${d.body.flow}` : '', d.body && d.body.error ? d.body.error : ''].filter(Boolean).join(' ') : (d || '');
    li.className = `k-${l.kind}`;
    li.textContent = `${l.jst.slice(11)} ${l.kind} ${l.node || ''}${l.peer ? ' → ' + l.peer : ''}${l.msg ? ' #' + l.msg : ''} ${what}`;
    return li;
  }));
}

// ---- the operations timeline (GET /api/timeline): the whole run, searchable ----------------

async function refreshTimeline() {
  const q = new URLSearchParams({ limit: '300' });
  if ($('tl-q').value.trim()) q.set('q', $('tl-q').value.trim());
  if ($('tl-cat').value) q.set('category', $('tl-cat').value);
  try { app.timeline = await get(`/api/timeline?${q}`); app.dirty.add('timeline'); } catch { /* retried at the next change */ }
}

function renderTimeline() {
  const r = app.timeline;
  if (!r) return;
  $('tl-note').textContent = t('tl_count', { m: r.matched.toLocaleString('en-US'), total: r.total.toLocaleString('en-US'),
    shown: r.matched > r.entries.length ? t('tl_shown', { n: r.entries.length }) : '' });
  const ol = $('timeline');
  ol.replaceChildren(...r.entries.slice().reverse().map((e) => {
    const li = document.createElement('li');
    const l = e.line;
    li.className = `c-${e.category}`;
    li.dataset.category = e.category;
    const cat = document.createElement('span');
    cat.className = 'cat';
    cat.textContent = t(`tl_${e.category}`);
    const detail = typeof l.detail === 'string' ? l.detail.replace(/^caption: /, '') : JSON.stringify(l.detail || '');
    li.append(`${l.jst.slice(5, 19)} `, cat, ` ${l.node ? l.node + ': ' : ''}${detail}`);
    return li;
  }));
}

$('timeline-form').addEventListener('submit', (e) => { e.preventDefault(); refreshTimeline(); });
$('tl-cat').addEventListener('change', refreshTimeline);

// ---- flows ------------------------------------------------------------------------------

async function showFlow(id, keep, atLast) {
  try {
    const f = await get(id === 'pick' ? '/api/flows/pick' : `/api/flows/${id}`);
    app.flowId = f.flow;
    app.flow = f;
    seq.show(f, keep);
    if (atLast) seq.move(f.hop_list.length);
    renderFlowTitle();
    $('flow-empty').hidden = true;
  } catch (e) {
    notice(e.message, 'error');
  }
}

function renderFlowTitle() {
  const f = app.flow;
  if (!f) return;
  const lang = getLang();
  const parts = [`#${f.flow}`, t(`flowkind_${f.kind}`)];
  if (f.inquirer) parts.push(`${f.inquirer.name} (${f.inquirer.code})`);
  if (f.provider) parts.push(`→ ${f.provider.name} (${f.provider.code})`);
  if (f.procedure) parts.push(`· ${f.procedure[lang] || f.procedure.id}`);
  if (f.item) parts.push(`· ${f.item[lang] || f.item.code}`);
  parts.push(`· ${f.started}`);
  parts.push(f.ended ? `· ${t(`outcome_${f.outcome}`)} (${f.latency_ms} ms)` : f.overdue ? `· ${t('flow_overdue')}` : `· ${t('flow_open')}`);
  $('flow-title').textContent = parts.join(' ');
  $('flow-title').className = f.ended ? (f.outcome === 'ok' ? 'ok' : 'bad') : 'open';
}

async function refreshFlowList() {
  try {
    const r = await get('/api/flows');
    const sel = $('flow-list');
    const keep = sel.value;
    sel.replaceChildren(...r.flows.map((f) => {
      const o = document.createElement('option');
      o.value = f.flow;
      o.textContent = `#${f.flow} ${t(`flowkind_${f.kind}`)} ${f.inquirer ? f.inquirer.name : ''}${f.provider ? ' → ' + f.provider.name : ''} ${f.ended ? t(`outcome_${f.outcome}`) : '…'}${f.pinned ? ' 📌' : ''}`;
      return o;
    }));
    if (app.flowId) sel.value = String(app.flowId); else if (keep) sel.value = keep;
    if (!app.flowId && r.flows.length) showFlow('pick');   // something to look at from the start
    if (app.flow && !app.flow.ended && r.flows.some((f) => f.flow === app.flowId)) showFlow(app.flowId, true);
  } catch { /* the next update retries */ }
}

// ---- what the family sees tonight (GET /api/disclosure) ----------------------------------

async function showDisclosure(q) {
  try {
    app.disclosure = await get(`/api/disclosure?${new URLSearchParams(q)}`);
  } catch (e) {
    app.disclosure = null;
    if (e instanceof ApiError && e.status === 409) noticeT('citizen_no_portal', {}, 'error');
    else notice(e.message, 'error');
  }
  renderDisclosure();
}

function renderDisclosure() {
  const r = app.disclosure, tbl = $('citizen-rows'), note = $('citizen-note');
  if (!r) { tbl.hidden = true; note.textContent = ''; return; }
  const lang = getLang();
  const who = r.lg ? t('citizen_who', { lg: lang === 'ja' ? r.lg_name : `${r.lg_name} ${r.lg}`, a: r.addressee_no }) : '';
  note.textContent = t(r.rows.length ? 'citizen_rows' : 'citizen_none', { person: r.person, who, n: r.rows.length });
  tbl.hidden = !r.rows.length;
  tbl.tBodies[0].replaceChildren(...r.rows.map((x) => {
    const tr = document.createElement('tr');
    tr.dataset.serial = x.serial_no;
    const cells = [x.time.slice(0, 19).replace('T', ' '), `${x.inquirer_name}`, `${x.provider_name}`,
      (lang === 'ja' ? x.procedure_ja : x.procedure_en) || x.procedure || '', (lang === 'ja' ? x.item_ja : x.item_en) || x.item || '',
      String(x.serial_no), t(`outcome_${x.outcome}`)];
    for (const c of cells) { const td = document.createElement('td'); td.textContent = c; tr.append(td); }
    return tr;
  }));
}

$('citizen-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const lg = $('c-lg').value.trim(), a = $('c-addressee').value.trim(), p = $('c-person').value.trim();
  if (p) showDisclosure({ person: p });
  else if (lg && a) showDisclosure({ lg, addressee: a });
  else noticeT('citizen_need', {}, 'error');
});
$('citizen-of-flow').addEventListener('click', () => {
  const f = app.flow;
  const first = f && f.kind === 'inquiry' && f.inquirer && f.inquirer.kind === 'lg' ? f.hop_list.find((h) => h.seen.addressee_no) : null;
  if (!first) { noticeT('citizen_no_flow', {}, 'error'); return; }
  $('c-lg').value = f.inquirer.code;
  $('c-addressee').value = first.seen.addressee_no;
  $('c-person').value = '';
  showDisclosure({ lg: f.inquirer.code, addressee: first.seen.addressee_no });
});

// ---- faults -----------------------------------------------------------------------------

function renderFaultKinds() {
  const sel = $('fault-kind');
  const keep = sel.value;
  const lang = getLang();
  sel.replaceChildren(...app.catalogue.map((k) => {
    const o = document.createElement('option');
    o.value = k.kind;
    o.textContent = `${k[lang] || k.en} (${k.kind})`;
    return o;
  }));
  if (keep) sel.value = keep;
  faultKindChanged();
}

function faultKindChanged() {
  const k = app.catalogue.find((x) => x.kind === $('fault-kind').value);
  $('fault-peer-label').hidden = !k || k.targets !== 'pair';
  // the options by their Lua names (as code), with what they are
  const help = $('fault-help');
  help.replaceChildren();
  if (!k) return;
  help.append(k[getLang()] || k.en);
  if (k.options.length) {
    help.append(` · ${t('fault_options')} `);
    k.options.forEach((o, i) => { if (i) help.append(', '); const c = document.createElement('code'); c.textContent = o; help.append(c); });
  }
}

function renderFaults() {
  const ul = $('fault-list');
  if (!app.faults.length) { ul.replaceChildren(Object.assign(document.createElement('li'), { textContent: t('fault_none') })); return; }
  ul.replaceChildren(...app.faults.map((f) => {
    const li = document.createElement('li');
    li.className = f.end ? 'ended' : 'active';
    li.dataset.id = f.id;
    li.append(`#${f.id} ${faultKindName(f.kind)} ${targetName(f.target)} · ${f.start.slice(11, 19)}–${f.end ? f.end.slice(11, 19) : ''} (${f.end ? t('fault_ended') : t('fault_active')})`);
    const cost = [];
    if (f.rto && f.rto.restored_s !== undefined) cost.push(t('fault_rto', { d: fmtDuration(f.rto.restored_s, getLang()) }));
    else if (f.rto && f.rto.max_s !== null && f.rto.max_s !== undefined && f.rto.tenants) cost.push(t('fault_rto', { d: fmtDuration(f.rto.max_s, getLang()) }));
    if (f.rto && f.rto.tenants) cost.push(t('fault_tenants', { n: f.rto.tenants }));
    if (f.rpo) cost.push(t('fault_rpo', { n: f.rpo.writes_lost, d: fmtDuration(f.rpo.time_s, getLang()) }));
    if (f.failed_back_at) cost.push(t('fault_failed_back', { at: f.failed_back_at.slice(11, 19) }));
    if (cost.length) { const small = document.createElement('small'); small.textContent = ` — ${cost.join(' · ')}`; li.append(small); }
    if (!f.end) {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = t('fault_clear');
      b.addEventListener('click', async () => {
        try { updateState(await del(`/api/faults/${f.id}`)); refreshFaults(); } catch (e) { controlError(e); }
      });
      li.append(' ', b);
    }
    return li;
  }));
}

async function refreshFaults() {
  try { app.faults = await get('/api/faults'); app.dirty.add('faults'); app.dirty.add('charts'); } catch { /* retried at the next change */ }
}

// ---- the live stream --------------------------------------------------------------------

function onTick(u) {
  const t0 = performance.now();
  tick(u);
  const took = performance.now() - t0;
  if (took > app.stats.worstTickMs) app.stats.worstTickMs = took;
}

function tick(u) {
  app.stats.ticks++;
  app.stats.nodeUpdates += (u.loads ? u.loads.length : 0) + (u.node_states ? u.node_states.length : 0);
  app.stats.logLines += (u.log ? u.log.length : 0) + (u.log_skipped || 0);
  updateState(u);
  addRate(u);
  if (u.node_states) map.setStates(u.node_states);
  if (u.loads) map.setLoads(u.loads);
  if (u.series) mergeSeries(u.series);
  if (u.checks) { app.checks = u.checks; app.dirty.add('checks'); }
  if (u.impact) { app.impact = u.impact; app.dirty.add('impact'); }
  if (u.timeline !== undefined && u.timeline !== app.timelineCount && !app.timelinePending) {
    app.timelineCount = u.timeline;
    app.timelinePending = true;
    setTimeout(() => { app.timelinePending = false; refreshTimeline(); }, 1000);
  }
  if (u.log && u.log.length) addLog(u.log, u.log_skipped);
  if (u.faults && (!app.faultCounts || u.faults.count !== app.faultCounts.count || u.faults.active !== app.faultCounts.active)) {
    app.faultCounts = u.faults;
    refreshFaults();
  }
  if (u.flows_version !== undefined && u.flows_version !== app.flowsVersion) {
    app.flowsVersion = u.flows_version;
    if (!app.flowListPending) {
      app.flowListPending = true;
      setTimeout(() => { app.flowListPending = false; refreshFlowList(); }, 500);
    }
  }
}

async function resync() {
  const [state, topo, series, checks, catalogue, faults] = await Promise.all([get('/api/state'), get('/api/topology'),
    get('/api/series'), get('/api/checks'), get('/api/faults/catalogue'), get('/api/faults')]);
  app.catalogue = catalogue;
  app.faults = faults;
  renderFaultKinds();
  app.dirty.add('faults');
  app.topo = topo;
  map.setTopology(topo);
  // every body and system by name and code, for finding one without a mouse
  $('map-bodies').replaceChildren(...topo.nodes.filter((n) => n.kind !== 'script' && n.kind !== 'domain').map((n) => {
    const o = document.createElement('option');
    o.value = n.kind === 'lg' ? `${n.label} ${n.code}` : n.label || n.name;
    return o;
  }));
  $('lg-count').textContent = t('lg_count', { n: topo.counts.local_governments.toLocaleString('en-US') });
  $('lg-count').dataset.count = String(topo.counts.local_governments);
  updateState(state);
  app.series = null;
  mergeSeries(series);
  if (series.rates) app.rates = { t: series.rates.t, eps: series.rates.events_per_s, ratio: series.rates.sim_per_wall };
  app.checks = checks;
  app.dirty.add('checks');
  app.impact = await get('/api/impact').catch(() => null);   // 409: a run without domain nodes
  app.dirty.add('impact');
  refreshTimeline();
  app.logNote = ['log_window', { n: '8,192' }];
  $('log-note').textContent = t(...app.logNote);
  const recent = await get('/api/events?limit=200');
  app.log = [];
  addLog(recent.events, 0);
  refreshFlowList();
}

function frame(now) {
  const st = app.stats;
  st.frames++;
  if (st.lastFrame) {
    const gap = now - st.lastFrame;
    if (gap > 50) st.slowFrames++;   // a frame that took more than three at 60 Hz
    if (gap > st.worstFrameMs) st.worstFrameMs = gap;
  }
  st.lastFrame = now;
  const d = app.dirty;
  if (d.has('state')) renderState();
  if (d.has('caption')) renderCaption();
  if (d.has('checks')) renderChecks();
  if (d.has('faults')) renderFaults();
  if (d.has('impact')) renderImpact($('impact'), app.impact, getLang());
  if (d.has('timeline')) renderTimeline();
  // the heavier parts at most a few times a second, however fast updates come
  const due = (what, ms) => d.has(what) && now - (app.drawn[what] || 0) >= ms && (app.drawn[what] = now);
  const charts = due('charts', 250), log = due('log', 250);
  if (charts) renderCharts();
  if (log) renderLog();
  for (const k of ['state', 'caption', 'checks', 'faults', 'impact', 'timeline']) d.delete(k);
  if (charts) d.delete('charts');
  if (log) d.delete('log');
  const work = performance.now() - now;
  if (work > st.worstWorkMs) st.worstWorkMs = work;
  requestAnimationFrame(frame);
}

// ---- controls ---------------------------------------------------------------------------

$('play').addEventListener('click', () => control('/api/resume'));
$('pause').addEventListener('click', () => control('/api/pause'));
$('step').addEventListener('click', () => control('/api/step', { events: 1 }));
$('speed').addEventListener('change', (e) => control('/api/speed', { speed: Number(e.target.value) }));
$('until-form').addEventListener('submit', (e) => { e.preventDefault(); control('/api/until', { time: $('until').value.trim() }); });
// Rewind: the server answers from the process resumed at that moment; the page starts again
// from it (its figures, flows and log are those of the moment gone back to).
$('rewind-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const s = await control('/api/rewind', { to: $('rewind').value.trim() });
  if (!s || !s.rewound_to) return;
  try { sessionStorage.setItem('renkei.rewound', JSON.stringify({ to: s.now, branch: s.branch, ms: Math.round(s.rewind_ms) })); } catch { /* private mode */ }
  location.reload();
});
try {
  const r = JSON.parse(sessionStorage.getItem('renkei.rewound') || 'null');
  sessionStorage.removeItem('renkei.rewound');
  if (r) noticeT('rewound', r);
} catch { /* private mode */ }
$('pause-at-captions').addEventListener('change', (e) => control('/api/narration', { pause_at_captions: e.target.checked }));
$('lang').addEventListener('click', () => setLang(getLang() === 'ja' ? 'en' : 'ja'));
$('token-set').addEventListener('click', () => { setToken($('token').value); $('token-bar').hidden = true; notice(''); });
$('flow-pick').addEventListener('click', () => showFlow('pick'));
$('flow-list').addEventListener('change', (e) => showFlow(e.target.value));
$('hop-prev').addEventListener('click', () => seq.move(-1));
// Next hop: along the hops already recorded; at the newest one, run the simulation until the
// shown flow moves one hop (POST /api/step {"hops": 1}), or, when it has ended or none is
// shown, until the next inquiry starts (the followed body's, when one is followed).
async function nextHop() {
  const f = app.flow;
  if (f && seq.current < f.hop_list.length - 1) { seq.move(1); return; }
  if (!app.state || app.state.state === 'ended' || app.gone || app.hopPending) return;
  app.hopPending = true;
  try {
    const r = await control('/api/step', f && !f.ended ? { hops: 1, flow: f.flow } : { hops: 1 });
    if (r && r.flow) await showFlow(r.flow, false, true);
    else if (r) noticeT('hop_none');
  } finally { app.hopPending = false; }
}
$('hop-next').addEventListener('click', nextHop);
document.addEventListener('keydown', (e) => {
  if (e.defaultPrevented || e.target.tagName === 'INPUT' || e.target.tagName === 'SELECT' || e.target.tagName === 'BUTTON' ||
      e.target.tagName === 'CANVAS') return;   // the map takes its own arrow keys
  if (e.key === 'ArrowRight') nextHop();
  if (e.key === 'ArrowLeft') seq.move(-1);
});
$('flow-follow').addEventListener('click', async () => {
  const n = app.selected;
  if (!n) return;
  const r = await control('/api/follow', { body: n.name });
  if (r) noticeT('flow_following', { name: n.label || n.name });
});
$('log-filter').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = logFilter();
  const q = new URLSearchParams({ limit: '300' });
  for (const [k, v] of Object.entries(f)) if (v) q.set(k, v);
  try {
    const r = await get(`/api/events?${q}`);
    app.log = r.events;
    $('log-live').checked = false;
    app.dirty.add('log');
  } catch (err) { notice(err.message, 'error'); }
});
$('fault-kind').addEventListener('change', faultKindChanged);
$('fault-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const spec = { kind: $('fault-kind').value };
  const target = $('fault-target').value.trim();
  if (target) spec.target = target.includes(',') ? target.split(',').map((x) => x.trim()) : target;
  const peer = $('fault-peer').value.trim();
  if (peer && !$('fault-peer-label').hidden) spec.peer = peer.includes(',') ? peer.split(',').map((x) => x.trim()) : peer;
  const duration = $('fault-duration').value.trim();
  if (duration) spec.duration = duration;
  const r = await control('/api/faults', spec);
  if (r) { noticeT('fault_injected', { id: r.id }); refreshFaults(); }
});
$('map-find-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const q = $('map-find').value.trim();
  if (!q || !app.topo) return;
  const code = q.split(' ').pop();
  const n = app.topo.nodes.find((x) => x.code === code || x.label === q || x.name === q || `${x.label} ${x.code}` === q);
  if (n) map.select(n.id);
});
$('operator-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const action = $('op-action').value;
  const r = await control('/api/operator', { action, site: $('op-site').value.trim() });
  if (r) { noticeT(action === 'promote' ? 'op_promoted' : 'op_failed_back', { site: siteName($('op-site').value.trim(), getLang()) }); refreshFaults(); }
});
map.onSelect = (n) => {
  app.selected = n;
  if (n) $('fault-target').value = n.name;
  if (n && n.kind === 'site') $('op-site').value = n.name;
  const b = $('flow-follow');
  b.hidden = !n || (n.kind !== 'lg' && n.kind !== 'agency');
  if (n) b.textContent = t('flow_follow', { name: n.label || n.name });
  $('selection').textContent = n ? `${n.label || n.name}${n.code ? ' (' + n.code + ')' : ''} · ${t(`kind_${n.kind}`)} · ${t(`state${n.state || 0}`)}` : '';
};

onLang(() => {
  if (app.logNote) $('log-note').textContent = t(...app.logNote);
  refreshFlowList();
  if (app.noticeSpec) noticeT(app.noticeSpec.key, app.noticeSpec.vars, app.noticeSpec.kind);
  if (app.gone) $('run-state').textContent = t('state_gone');
  app.dirty.add('impact');
  app.dirty.add('timeline');
  app.dirty.add('state'); app.dirty.add('caption'); app.dirty.add('charts'); app.dirty.add('checks');
  if (app.topo) $('lg-count').textContent = t('lg_count', { n: app.topo.counts.local_governments.toLocaleString('en-US') });
  map.dirty = true;
  seq.render();
  renderFlowTitle();
  renderDisclosure();
  if (app.selected) map.onSelect(app.selected);
  renderFaultKinds();
  app.dirty.add('faults');
});

setLang(getLang());
applyStatic();
if (!hasToken()) $('token-bar').hidden = false;
$('flow-empty').hidden = false;
requestAnimationFrame(frame);
resync().then(() => {
  stream({
    onTick,
    onDropped: (n) => { noticeT('dropped', { n }); resync(); },
    onEnded: () => get('/api/checks').then((c) => { app.checks = c; app.dirty.add('checks'); }),
    onStatus: (ok) => {
      if (!ok && !app.gone) noticeT('disconnected', {}, 'error');
      else if (ok && app.noticeSpec && app.noticeSpec.key === 'disconnected') notice('');
    },
    onGone: serverGone,
  });
}).catch((e) => notice(e.message, 'error'));
