// report.js - report.html: the run's summary, charts, faults on the timeline, the rollout
// schedule and the checks, from the summary.json embedded in the page. report.html inlines
// chart.js and impact.js before this file (drawLines, drawGantt, PALETTE, fmtClock, fmtDate,
// renderImpact, fmtDuration come from them) and works offline: no import, no request.

const T = {
  en: {
    title: 'renkei run report', scripts: 'Scripts', seed: 'Seed', period: 'Simulated period',
    ended: 'Ended', status: 'Exit status', pass: 'all expectations and invariants held',
    fail: 'something failed', error: 'bad script or usage', internal: 'internal failure: the run is incomplete', interrupted: 'interrupted',
    hash: 'Trace hash', replay: 'Replay', run: 'The run', events: 'Events', wall: 'Wall time',
    eps: 'Events per second', ratio: 'Simulated / real time', messages: 'Messages',
    sent: 'sent', delivered: 'delivered', dropped: 'dropped', flows: 'Flows', kind: 'Kind',
    started: 'Started', endedN: 'Ended', outcomes: 'Outcomes', latency: 'Latency p50 / p95 / p99 (ms)',
    charts: 'Over simulated time', perMinute: 'Inquiries per bucket', okN: 'answered ok',
    startedN: 'started', errors: 'Errors by kind', latencyChart: 'Inquiry latency (ms)',
    faults: 'Faults', fid: 'Id', target: 'Target', start: 'Start', end: 'End', never: 'not ended',
    invariants: 'Invariants', expectations: 'Expectations', held: 'held', failed: 'FAILED',
    pending: 'not evaluated', schedule: 'Rollout schedule', milestones: 'Milestones',
    mname: 'Milestone', mtarget: 'Target', mdate: 'Date', met: 'Met', pmeet: 'P(meet)',
    readiness: 'Readiness by phase', critical: 'Critical path', slips: 'Slips', lg: 'Local government',
    phase: 'Phase', cause: 'Cause', days: 'Days', yes: 'yes', no: 'no', bucket: 'bucket',
    noSeries: 'No time series in this summary.', lang: '日本語',
    lagChart: 'Mirroring lag between the sites (ms)', lag: 'max lag', groups: 'groups',
    slipsShown: (n, k) => `${n.toLocaleString('en-US')} slips; the ${k} longest:`,
  },
  ja: {
    title: 'renkei 実行レポート', scripts: 'スクリプト', seed: 'シード', period: 'シミュレーション期間',
    ended: '終了理由', status: '終了ステータス', pass: 'すべての期待値と不変条件を満たした',
    fail: '失敗あり', error: 'スクリプトまたは使い方の誤り', internal: '内部障害: 実行は未完了', interrupted: '中断',
    hash: 'トレースハッシュ', replay: '再現コマンド', run: '実行', events: 'イベント数', wall: '実時間',
    eps: 'イベント/秒', ratio: 'シミュレーション時間 / 実時間', messages: 'メッセージ',
    sent: '送信', delivered: '配送', dropped: '破棄', flows: 'フロー', kind: '種別',
    started: '開始', endedN: '終了', outcomes: '結果', latency: '応答時間 p50 / p95 / p99 (ms)',
    charts: 'シミュレーション時間の推移', perMinute: '情報照会件数', okN: '正常応答',
    startedN: '開始', errors: 'エラー種別', latencyChart: '情報照会の応答時間 (ms)',
    faults: '障害', fid: 'ID', target: '対象', start: '開始', end: '終了', never: '未終了',
    invariants: '不変条件', expectations: '期待値', held: '成立', failed: '不成立',
    pending: '未評価', schedule: '移行スケジュール', milestones: 'マイルストーン',
    mname: 'マイルストーン', mtarget: '目標', mdate: '日付', met: '達成', pmeet: '達成確率',
    readiness: 'フェーズ別の準備状況', critical: 'クリティカルパス', slips: '遅延', lg: '団体',
    phase: 'フェーズ', cause: '原因', days: '日数', yes: 'はい', no: 'いいえ', bucket: '区間',
    noSeries: 'この要約には時系列がありません。', lang: 'English',
    lagChart: 'サイト間のミラーリング遅延 (ms)', lag: '最大遅延', groups: 'グループ',
    slipsShown: (n, k) => `遅延 ${n.toLocaleString('ja-JP')} 件 (長い順に ${k} 件):`,
  },
};

let lang = (navigator.language || 'en').startsWith('ja') ? 'ja' : 'en';
const summary = JSON.parse(document.getElementById('summary').textContent);
const root = document.getElementById('report');

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c.nodeType ? c : String(c));
  return e;
}

function table(head, rows) {
  return el('table', {}, el('thead', {}, el('tr', {}, head.map((h) => el('th', {}, h)))),
    el('tbody', {}, rows.map((r) => el('tr', {}, r.map((c) => el('td', {}, c))))));
}

const ms = (iso) => (iso ? Date.parse(iso) : null);
const num = (v) => (typeof v === 'number' ? v.toLocaleString('en-US') : v ?? '');

function faultBands() {
  return (summary.faults || []).map((f) => ({
    start: ms(f.start), end: f.end ? ms(f.end) : ms(summary.end),
    label: `${f.kind} ${f.target}`, color: 'rgba(192,57,43,0.13)',
  }));
}

function chartBox(title, draw) {
  const c = el('canvas', { class: 'chart' });
  const box = el('figure', {}, el('figcaption', {}, title), c);
  requestAnimationFrame(() => draw(c));
  return box;
}

function render() {
  const t = T[lang];
  document.documentElement.lang = lang;
  document.title = t.title;
  root.replaceChildren();
  const st = summary.exit_status;
  const badge = st === 0 ? ['ok', t.pass] : st === 1 ? ['bad', t.fail] : st === 130 ? ['warn', t.interrupted] : st === 3 ? ['bad', t.internal] : ['bad', t.error];
  root.append(el('header', {},
    el('h1', {}, t.title),
    el('button', { id: 'lang', type: 'button' }, t.lang)));
  root.querySelector('#lang').addEventListener('click', () => { lang = lang === 'ja' ? 'en' : 'ja'; render(); });
  root.append(el('p', { class: `badge ${badge[0]}`, id: 'status' }, `${t.status} ${st}: ${badge[1]}`));
  if (summary.impact && (summary.impact.faults || (summary.impact.down || []).length)) {
    const strip = el('ul', { id: 'impact' });
    renderImpact(strip, summary.impact, lang);
    root.append(strip);
  }
  root.append(table([t.scripts, t.seed, t.period, t.ended], [[
    (summary.scripts || []).join(' '), summary.seed,
    `${(summary.start || '').slice(0, 19).replace('T', ' ')} → ${(summary.end || '').slice(0, 19).replace('T', ' ')} JST`,
    summary.end_reason]]));
  const m = summary.messages || {};
  root.append(el('h2', {}, t.run), table([t.events, t.wall, t.eps, t.ratio, t.messages], [[
    num(summary.events), `${(summary.wall_s || 0).toFixed(2)} s`, num(Math.round(summary.events_per_s || 0)),
    num(Math.round(summary.sim_per_wall || 0)),
    `${num(m.sent)} ${t.sent}, ${num(m.delivered)} ${t.delivered}, ${num(m.dropped)} ${t.dropped}`]]));
  if (summary.flows) {
    root.append(el('h2', {}, t.flows), table([t.kind, t.started, t.endedN, t.outcomes, t.latency],
      Object.entries(summary.flows).map(([k, f]) => [k, num(f.started), num(f.ended),
        Object.entries(f.outcomes || {}).map(([o, n]) => `${o} ${num(n)}`).join(', '),
        f.latency_ms ? `${f.latency_ms.p50} / ${f.latency_ms.p95} / ${f.latency_ms.p99}` : ''])));
  }
  renderCharts(t);
  if (summary.faults && summary.faults.length) {
    root.append(el('h2', {}, t.faults), table([t.fid, t.kind, t.target, t.start, t.end],
      summary.faults.map((f) => [f.id, f.kind, f.target, (f.start || '').slice(0, 19).replace('T', ' '),
        f.end ? f.end.slice(0, 19).replace('T', ' ') : t.never])));
  }
  if (summary.schedule) renderSchedule(t, summary.schedule);
  const inv = summary.invariants || [];
  if (inv.length) {
    root.append(el('h2', {}, t.invariants), el('ul', { class: 'checks' }, inv.map((i) =>
      el('li', { class: i.held ? 'ok' : 'bad' }, el('b', {}, i.held ? t.held : t.failed), ` ${i.name}`,
        el('small', {}, ` — ${i.detail || ''}`)))));
  }
  const ex = summary.expectations || [];
  if (ex.length) {
    root.append(el('h2', {}, t.expectations), el('ul', { class: 'checks' }, ex.map((e) =>
      el('li', { class: e.passed === true ? 'ok' : e.passed === false ? 'bad' : 'pending' },
        el('b', {}, e.passed === true ? t.held : e.passed === false ? t.failed : t.pending), ` ${e.name}`,
        e.message ? el('small', {}, ` — ${e.message}`) : null,
        e.failed_at ? el('small', {}, ` (${e.failed_at.slice(0, 19).replace('T', ' ')})`) : null))));
  }
  root.append(el('p', { class: 'meta' }, `${t.hash}: `, el('code', {}, summary.trace_hash || ''),
    el('br'), `${t.replay}: `, el('code', {}, summary.replay || '')));
}

function renderCharts(t) {
  const s = summary.series;
  root.append(el('h2', {}, t.charts));
  if (!s || !s.t || !s.t.length) { root.append(el('p', {}, t.noSeries)); return; }
  const bands = faultBands();
  const t0 = s.t[0], t1 = s.t[s.t.length - 1] + s.width_us / 1e3;
  const minutes = Math.round(s.width_us / 60e6);
  root.append(chartBox(`${t.perMinute} (${minutes} min ${t.bucket})`, (c) => drawLines(c, {
    t: s.t, t0, t1, bands, series: [
      { label: t.startedN, values: s.inquiries_started, color: PALETTE[0] },
      { label: t.okN, values: s.inquiries_ok, color: PALETTE[2] }] })));
  const errs = Object.entries(s.errors || {});
  root.append(chartBox(t.errors, (c) => drawLines(c, {
    t: s.t, t0, t1, bands, stacked: true, ymin: 1,
    series: errs.map(([k, v], i) => ({ label: k, values: v, color: PALETTE[(i + 3) % PALETTE.length] })) })));
  root.append(chartBox(t.latencyChart, (c) => drawLines(c, {
    t: s.t, t0, t1, bands, series: [
      { label: 'p50', values: s.latency_p50_ms, color: PALETTE[0] },
      { label: 'p95', values: s.latency_p95_ms, color: PALETTE[1] },
      { label: 'p99', values: s.latency_p99_ms, color: PALETTE[3] }] })));
  if (s.mirror_lag_ms) {
    root.append(chartBox(t.lagChart, (c) => drawLines(c, {
      t: s.t, t0, t1, bands, series: [{ label: t.lag, values: s.mirror_lag_ms, color: PALETTE[5] }] })));
  }
}

function renderSchedule(t, sch) {
  root.append(el('h2', {}, t.schedule));
  const slipNote = (slips) => {
    const parts = Object.entries(slips || {}).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`);
    return parts.length ? `+${parts.join(', ')}` : '';
  };
  let phases = sch.phases || [];
  if (phases.length > 40) {
    // a national rollout has hundreds of (group, phase) bars: one bar per phase, from the first
    // group's start to the last group's end, with the slip days added up
    const by = new Map();
    for (const p of phases) {
      const a = by.get(p.phase) || { group: `${t.groups}`, phase: p.phase, start: p.start, end: p.end, n: 0, slips: {} };
      if (p.start < a.start) a.start = p.start;
      if (p.end > a.end) a.end = p.end;
      a.n++;
      for (const [k, v] of Object.entries(p.slips || {})) a.slips[k] = (a.slips[k] || 0) + v;
      by.set(p.phase, a);
    }
    phases = [...by.values()].map((a) => ({ ...a, group: `${a.n} ${t.groups}` })).sort((x, y) => (x.start < y.start ? -1 : 1));
  }
  if (phases.length) {
    const rows = phases.map((p, i) => ({
      label: `${p.group} · ${p.phase}`, start: ms(p.start), end: ms(p.end),
      color: PALETTE[i % PALETTE.length], note: slipNote(p.slips),
    }));
    const markers = (sch.milestones || []).map((m) => ({ at: ms(m.date || m.target), label: m.name }));
    const c = el('canvas', { class: 'gantt', id: 'gantt' });
    c.style.height = `${Math.min(600, 30 + rows.length * 18)}px`;
    root.append(el('figure', {}, c));
    requestAnimationFrame(() => drawGantt(c, { rows, markers }));
  }
  if ((sch.milestones || []).length) {
    root.append(el('h3', {}, t.milestones), table([t.mname, t.mtarget, t.mdate, t.met, t.pmeet, 'p50', 'p90'],
      sch.milestones.map((m) => [m.name, m.target, m.date, m.met ? t.yes : t.no,
        m.p_meet !== undefined ? `${Math.round(m.p_meet * 100)}%` : '', m.p50 || '', m.p90 || ''])));
  }
  const rd = sch.readiness || [];
  if (rd.length) {
    const names = [...new Set(rd.flatMap((r) => Object.keys(r.counts || {})))];
    root.append(chartBox(t.readiness, (c) => drawLines(c, {
      t: rd.map((r) => ms(r.date)), stacked: true,
      series: names.map((n, i) => ({ label: n, values: rd.map((r) => (r.counts || {})[n] || 0), color: PALETTE[i % PALETTE.length] })) })));
  }
  if ((sch.critical_path || []).length) {
    const step = (x) => (typeof x === 'string' ? x
      : x.external ? `${x.external}: ${x.date}${x.late ? ` (+${x.late})` : ''}`
      : `${x.phase}${x.group ? ` · ${x.group}` : ''}${x.lg && x.lg !== x.group ? ` · ${x.lg}` : ''}: ${x.start || ''} → ${x.end || ''}`);
    root.append(el('h3', {}, t.critical), el('ol', {}, sch.critical_path.map((x) => el('li', {}, step(x)))));
  }
  if ((sch.slips || []).length) {
    const longest = [...sch.slips].sort((a, b) => b.days - a.days).slice(0, 30);
    const total = sch.slips_total || sch.slips.length;
    root.append(el('h3', {}, t.slips), el('p', {}, total > longest.length ? t.slipsShown(total, longest.length) : ''),
      table([t.lg, t.phase, t.cause, t.days], longest.map((s) => [s.lg, s.phase, s.cause, s.days])));
  }
}

render();
