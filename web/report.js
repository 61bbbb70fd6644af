// report.js - report.html: the run's summary, charts, faults on the timeline, the rollout
// schedule and the checks, from the summary.json embedded in the page. report.html inlines
// chart.js, impact.js, steps.js and prefectures.js before this file (drawLines, drawGantt,
// PALETTE, fmtClock, fmtDate, renderImpact, fmtDuration, siteName, STEPS, PREFECTURES come
// from them) and works offline: no import, no request. What leads depends on who reads it: a comparison (renkei diff --html)
// first; a rollout's milestones and Gantt for the project manager; the walkthrough's captions,
// its flow hop by hop and a glossary for the trainer's handout; the faults with RTO, RPO and
// who failed over for the tester; the engine's figures last.

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
    comparison: 'Compared with another run', cmpA: 'A', cmpB: 'B (this report)', moved: 'Moved', change: 'Change',
    what: 'What', days_unit: 'days', bdays: 'business days late',
    rto: 'RTO', tenantsCut: 'Tenants cut off', rpo: 'Acknowledged writes lost (RPO)', promoted: 'Promoted', failedBack: 'Failed back',
    failedFlows: 'Flows failed', whoFailedOver: 'Who failed over (RTO per local government)',
    handout: 'Walkthrough handout', captions: 'What was said, in order', flowHops: 'The flow, hop by hop', hop: 'Hop',
    carried: 'What it carried', glossary: 'Glossary', term: 'Term', meaning: 'In English',
    releases: 'Releases', release: 'Release', version: 'Version', planned: 'Planned', late: 'Late (business days)',
    changed: 'Share changed', signals: 'Readiness signals',
    signalsNote: 'Share of the local governments concerned, at the opening of each date; the lowest prefecture in brackets.',
    signal: 'Signal', byPref: 'By prefecture', lowest: 'lowest',
    sigKind: { uptake: 'document taken up', vendor: 'vendor ready', gate: 'gate passed', pia: 'PIA done', phase: 'phase done' },
    whatIf: 'What-if against the plan', plan: 'Plan', withWhatIf: 'With the what-if', metWhatIf: 'Met with it',
    lateBy: (e, p, a) => `${e}: planned ${p}, now ${a}`,
    sensitivity: 'Which release moves the milestones', sensNote: (d) => `Each version alone ${d} business days late: how many business days each milestone moves.`,
    gates: 'Gates before connection', members: 'Bodies', passed: 'Passed', heldN: 'Held', failedRuns: 'Failed attempts',
    upgrades: 'Upgrade nights (J-LIS)', hours: 'Hours', sites: 'Sites',
    operator: (n, c) => `${n} runs the platform's east and west sites${c ? ` and their operations centre (node ${c})` : ''}: onboarding slots, software deliveries, upgrade nights.`,
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
    comparison: '別の実行との比較', cmpA: 'A', cmpB: 'B (このレポート)', moved: '移動', change: '差',
    what: '項目', days_unit: '日', bdays: '営業日の遅れ',
    rto: 'RTO', tenantsCut: '影響テナント', rpo: '失われた応答済み書き込み (RPO)', promoted: '昇格', failedBack: '切り戻し',
    failedFlows: '失敗したフロー', whoFailedOver: '切り替わった団体 (団体ごとの RTO)',
    handout: '研修の配布資料', captions: 'ナレーション (順に)', flowHops: '情報連携の流れ (ホップごと)', hop: 'ホップ',
    carried: '運ばれたもの', glossary: '用語集', term: '用語', meaning: '英語',
    releases: 'リリース', release: 'リリース', version: '版', planned: '予定', late: '遅れ (営業日)',
    changed: '変更の割合', signals: '準備状況の指標',
    signalsNote: '対象団体のうちの割合 (各日の始業時点)。括弧内は最も低い都道府県。',
    signal: '指標', byPref: '都道府県別', lowest: '最低',
    sigKind: { uptake: '資料の入手', vendor: 'ベンダー準備完了', gate: 'ゲート通過', pia: '特定個人情報保護評価 実施済', phase: 'フェーズ完了' },
    whatIf: '計画との比較 (what-if)', plan: '計画', withWhatIf: 'what-if 後', metWhatIf: 'what-if 後の達成',
    lateBy: (e, p, a) => `${e}: 予定 ${p}、変更後 ${a}`,
    sensitivity: 'マイルストーンを動かすリリース', sensNote: (d) => `各版だけが ${d} 営業日遅れた場合に各マイルストーンが動く営業日数。`,
    gates: '接続前のゲート', members: '団体数', passed: '通過', heldN: '保留', failedRuns: '不合格の回数',
    upgrades: 'アップグレードの夜間作業 (J-LIS)', hours: '時間', sites: 'サイト',
    operator: (n, c) => `${n} が基盤の東日本・西日本サイト${c ? `と運用センター (ノード ${c})` : ''}を運営する: 受入れ枠、ソフトウェアの配付、アップグレードの夜間作業。`,
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
  if (summary.comparison) renderComparison(t, summary.comparison);
  if (summary.schedule) renderSchedule(t, summary.schedule);   // the project manager's: milestones first
  if (summary.series && summary.series.captions) renderHandout(t, summary.series);
  if (summary.faults && summary.faults.length) renderFaults(t, summary.faults);
  if (summary.flows) {
    root.append(el('h2', {}, t.flows), table([t.kind, t.started, t.endedN, t.outcomes, t.latency],
      Object.entries(summary.flows).map(([k, f]) => [k, num(f.started), num(f.ended),
        Object.entries(f.outcomes || {}).map(([o, n]) => `${o} ${num(n)}`).join(', '),
        f.latency_ms ? `${f.latency_ms.p50} / ${f.latency_ms.p95} / ${f.latency_ms.p99}` : ''])));
  }
  renderCharts(t);
  const ex = summary.expectations || [];
  if (ex.length) {
    root.append(el('h2', {}, t.expectations), el('ul', { class: 'checks' }, ex.map((e) =>
      el('li', { class: e.passed === true ? 'ok' : e.passed === false ? 'bad' : 'pending' },
        el('b', {}, e.passed === true ? t.held : e.passed === false ? t.failed : t.pending), ` ${e.name}`,
        e.message ? el('small', {}, ` — ${e.message}`) : null,
        e.failed_at ? el('small', {}, ` (${e.failed_at.slice(0, 19).replace('T', ' ')})`) : null))));
  }
  const inv = summary.invariants || [];
  if (inv.length) {
    root.append(el('h2', {}, t.invariants), el('ul', { class: 'checks' }, inv.map((i) =>
      el('li', { class: i.held ? 'ok' : 'bad' }, el('b', {}, i.held ? t.held : t.failed), ` ${i.name}`,
        el('small', {}, ` — ${i.detail || ''}`)))));
  }
  const m = summary.messages || {};   // the engine's figures: for the curious, last
  root.append(el('h2', {}, t.run), table([t.events, t.wall, t.eps, t.ratio, t.messages], [[
    num(summary.events), `${(summary.wall_s || 0).toFixed(2)} s`, num(Math.round(summary.events_per_s || 0)),
    num(Math.round(summary.sim_per_wall || 0)),
    `${num(m.sent)} ${t.sent}, ${num(m.delivered)} ${t.delivered}, ${num(m.dropped)} ${t.dropped}`]]));
  root.append(el('p', { class: 'meta' }, `${t.hash}: `, el('code', {}, summary.trace_hash || ''),
    el('br'), `${t.replay}: `, el('code', {}, summary.replay || '')));
}

const day = (iso) => (iso ? iso.slice(0, 19).replace('T', ' ') : '');

// renkei diff --html: B (this run) against A, milestones, outcomes and faults side by side.
function renderComparison(t, c) {
  root.append(el('h2', { id: 'comparison' }, t.comparison),
    el('p', { class: 'meta' }, `${t.cmpA}: `, el('code', {}, c.a_replay || c.a), el('br'), `${t.cmpB}: `, el('code', {}, c.b_replay || c.b)));
  const pct = (v) => (v === null || v === undefined ? '—' : `${Math.round(v * 100)}%`);
  if ((c.milestones || []).length) {
    root.append(table([t.mname, t.mtarget, t.cmpA, t.cmpB, t.moved, t.met, t.pmeet], c.milestones.map((m) => {
      const mv = m.moved_days === null ? '—' : `${m.moved_days > 0 ? '+' : ''}${m.moved_days} ${t.days_unit}`;
      return [m.name, m.target || '', m.date[0] || '—', m.date[1] || '—', mv,
        m.met.map((x) => (x === null ? '—' : x ? t.yes : t.no)).join(' → '), m.p_meet ? m.p_meet.map(pct).join(' → ') : ''];
    })));
  }
  const rows = [];
  for (const [k, f] of Object.entries(c.flows || {})) {
    for (const [o, [a, b]] of Object.entries(f.outcomes || {})) rows.push([`${k} · ${o}`, num(a), num(b), a !== null && b !== null && a !== b ? `${b > a ? '+' : ''}${num(b - a)}` : '']);
    for (const [p, [a, b]] of Object.entries(f.latency_ms || {})) rows.push([`${k} · ${p} (ms)`, a ?? '—', b ?? '—', '']);
  }
  for (const f of c.faults || []) {
    rows.push([`#${f.index} ${f.kind} ${f.target} · ${t.rto} (s)`, f.rto_s[0] ?? '—', f.rto_s[1] ?? '—', '']);
    if (f.rpo_writes) rows.push([`#${f.index} · ${t.rpo}`, num(f.rpo_writes[0]), num(f.rpo_writes[1]), '']);
  }
  if (rows.length) root.append(table([t.what, t.cmpA, t.cmpB, t.change], rows));
}

// The tester's fault table: when, what it cost, RTO and RPO, and who failed over.
function renderFaults(t, faults) {
  root.append(el('h2', {}, t.faults), table([t.fid, t.kind, t.target, t.start, t.end, t.rto, t.tenantsCut, t.rpo, t.promoted, t.failedBack, t.failedFlows],
    faults.map((f) => {
      const rto = f.rto ? (f.rto.restored_s ?? f.rto.max_s) : null;
      const failed = Object.values(f.failed || {}).reduce((n, byKind) => n + Object.values(byKind).reduce((a, b) => a + b, 0), 0);
      return [f.id, f.kind, f.target, day(f.start), f.end ? day(f.end) : t.never,
        rto === null || rto === undefined ? '—' : fmtDuration(rto, lang), f.rto ? num(f.rto.tenants) : '',
        f.rpo ? `${num(f.rpo.writes_lost)} (${fmtDuration(f.rpo.time_s, lang)})` : '', day(f.promoted_at), day(f.failed_back_at), num(failed)];
    })));
  for (const f of faults) {
    const per = Object.entries((f.rto && f.rto.per_tenant_s) || {});
    if (!per.length || !f.site) continue;
    per.sort((a, b) => (b[1] ?? Infinity) - (a[1] ?? Infinity));
    root.append(el('details', {}, el('summary', {}, `#${f.id} ${t.whoFailedOver}: ${per.length}`),
      el('p', { class: 'tenants' }, per.map(([code, s]) => `${code} ${s === null ? '—' : fmtDuration(s, lang)}`).join(' · '))));
  }
}

// The trainer's handout: the captions in order, the flow hop by hop, a glossary.
const GLOSSARY = [
  ['情報提供ネットワークシステム', 'information-provision network system (NWS)'], ['自治体中間サーバー', 'intermediate server (a tenant at a platform site)'],
  ['インターフェイスシステム', 'interface system'], ['団体内統合宛名番号', 'integrated addressee number'], ['機関別符号', 'agency code'],
  ['処理通番', 'processing serial number'], ['副本', 'replica'], ['情報照会 / 情報提供', 'inquiry / provision'],
  ['情報提供等記録', 'access record'], ['マイナポータル', 'citizen portal (disclosure)'], ['不開示', 'withheld from disclosure'],
  ['取得番号', 'acquisition number'], ['個人番号', 'individual number (never on the network)'], ['事務手続', 'procedure'],
];

function renderHandout(t, s) {
  root.append(el('h2', { id: 'handout' }, t.handout), el('h3', {}, t.captions),
    el('ol', { class: 'captions' }, s.captions.map((c) => el('li', {}, el('small', {}, `${day(c.at).slice(11)} `), lang === 'ja' ? c.ja : c.en))));
  const f = s.walkthrough;
  if (f) {
    const steps = STEPS[lang] || STEPS.en;
    const who = (h, side) => (h[`${side}_lane`].startsWith('provider') ? f.provider : f.inquirer);
    root.append(el('h3', {}, `${t.flowHops}: ${f.inquirer ? f.inquirer.name : ''}${f.provider ? ` → ${f.provider.name}` : ''}`),
      el('ol', { class: 'hops' }, f.hop_list.map((h) => {
        const [title, why] = steps[h.step] || STEPS.en[h.step] || [h.step, ''];
        const carried = Object.entries(h.seen).map(([k, v]) => `${k}: ${v}`).join(' · ');
        const a = who(h, 'from'), b = who(h, 'to');
        return el('li', {}, el('b', {}, title), ` (+${h.at_ms} ms${a ? ` · ${a.name}` : ''}${b && b !== a ? ` → ${b.name}` : ''})`,
          why ? el('p', {}, why) : null, carried ? el('p', { class: 'carried' }, `${t.carried}: ${carried}`) : null);
      })));
  }
  root.append(el('h3', {}, t.glossary), table([t.term, t.meaning], GLOSSARY));
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

// A phase or cause identifier as words: inter_agency_test -> inter agency test.
const human = (id) => String(id).replace(/_/g, ' ');

function renderSchedule(t, sch) {
  root.append(el('h2', {}, t.schedule));
  if ((sch.milestones || []).length) {
    root.append(el('h3', {}, t.milestones), table([t.mname, t.mtarget, t.mdate, t.met, t.pmeet, 'p50', 'p90'],
      sch.milestones.map((m) => [m.name, m.target, m.date, m.met ? t.yes : t.no,
        m.p_meet !== undefined ? `${Math.round(m.p_meet * 100)}%` : '', m.p50 || '', m.p90 || ''])));
  }
  const slipNote = (slips) => {
    const parts = Object.entries(slips || {}).filter(([, v]) => v > 0).map(([k, v]) => `${human(k)} +${v}`);
    return parts.length ? `${parts.join(', ')} ${t.bdays}` : '';
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
      label: `${p.group} · ${human(p.phase)}`, start: ms(p.start), end: ms(p.end),
      color: PALETTE[i % PALETTE.length], note: slipNote(p.slips),
    }));
    const markers = (sch.milestones || []).map((m) => ({ at: ms(m.date || m.target), label: m.name }));
    const c = el('canvas', { class: 'gantt', id: 'gantt' });
    c.style.height = `${Math.min(600, 30 + rows.length * 18)}px`;
    root.append(el('figure', {}, c));
    requestAnimationFrame(() => drawGantt(c, { rows, markers }));
  }
  const rd = sch.readiness || [];
  if (rd.length) {
    const names = [...new Set(rd.flatMap((r) => Object.keys(r.counts || {})))];
    root.append(chartBox(t.readiness, (c) => drawLines(c, {
      t: rd.map((r) => ms(r.date)), stacked: true,
      series: names.map((n, i) => ({ label: n, values: rd.map((r) => (r.counts || {})[n] || 0), color: PALETTE[i % PALETTE.length] })) })));
  }
  renderReleases(t, sch);
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

// What releases add to a rollout (rollout_release_report.c): the versions planned and actual,
// the readiness signals nationally and by prefecture (as the seed deck charts the documents'
// download rates), the what-if against the plan, each version's sensitivity, the gates and
// J-LIS's upgrade nights.
function renderReleases(t, sch) {
  const rels = sch.releases || [];
  if (rels.length) {
    root.append(el('h3', { id: 'releases' }, t.releases), table([t.release, t.version, t.planned, t.mdate, t.late, t.changed],
      rels.flatMap((r) => r.versions.map((v) => [r.title || r.name, v.version, v.planned, v.date, v.late || '', `${Math.round(v.changed * 100)}%`]))));
  }
  if (sch.signals) renderSignals(t, sch.signals);
  const w = sch.what_if;
  if (w && (w.milestones || []).length) {
    root.append(el('h3', { id: 'what-if' }, t.whatIf),
      el('ul', {}, (w.changes || []).map((c) => el('li', {}, t.lateBy(c.event, c.planned, c.actual)))),
      table([t.mname, t.mtarget, t.plan, t.withWhatIf, t.moved, t.metWhatIf], w.milestones.map((m) => [m.name, m.target, m.plan, m.what_if,
        `${m.days > 0 ? '+' : ''}${m.days} ${t.days_unit}`, m.what_if_met ? t.yes : t.no])));
  }
  const sens = sch.sensitivity;
  if (sens && (sens.versions || []).length) {
    const names = Object.keys(sens.versions[0].milestones || {});
    root.append(el('h3', { id: 'sensitivity' }, t.sensitivity), el('p', {}, t.sensNote(sens.shift)),
      table([t.version, ...names], sens.versions.map((v) => [v.event, ...names.map((n) => (v.milestones[n] ? `+${v.milestones[n]}` : '0'))])));
  }
  const gates = sch.gates || [];
  if (gates.length) {
    root.append(el('h3', { id: 'gates' }, t.gates), table([t.phase, t.kind, t.members, t.passed, t.heldN, t.failedRuns],
      gates.map((g) => [human(g.phase), g.kind, num(g.members), num(g.passed), num((g.held || []).length), num(g.failed_runs)])));
  }
  const op = sch.operator;
  if (op && op.name) root.append(el('p', { id: 'operator' }, t.operator(op.name, op.operations_centre)));
  const nights = (op && op.upgrade_nights) || [];
  if (nights.length) {
    root.append(el('h3', {}, t.upgrades), table([t.what, t.mdate, t.hours, t.sites],
      nights.map((u) => [u.event, u.date, u.hours, (u.sites || []).map((x) => siteName(x, lang)).join(', ')])));
  }
}

const prefName = (code) => { const p = PREFECTURES[String(code).slice(0, 2)]; return p ? p[lang === 'ja' ? 0 : 1] : code; };
const pct = (v) => `${Math.round(v * 1000) / 10}%`;
// A prefecture's keys ("010006") in code order: JSON object order is lost for keys that look
// like integers ("100005" onwards), which JavaScript puts first.
const byCode = (o) => Object.entries(o || {}).sort((a, b) => (a[0] < b[0] ? -1 : 1));
const shade = (v) => `background: rgba(42, 168, 118, ${(0.08 + 0.5 * v).toFixed(2)})`;

// The lowest prefecture of a signal on the k-th date: [code, share] or null.
function lowestPref(row, k) {
  let low = null;
  for (const [code, v] of Object.entries(row.prefectures || {})) if (!low || v[k] < low[1]) low = [code, v[k]];
  return low;
}

function renderSignals(t, sig) {
  const rows = sig.rows || [], dates = sig.as_of || [];
  if (!rows.length || !dates.length) return;
  root.append(el('h3', { id: 'signals' }, t.signals), el('p', {}, t.signalsNote),
    el('table', { id: 'signals-national' },
      el('thead', {}, el('tr', {}, el('th', {}, t.signal), el('th', {}, t.kind), dates.map((d) => el('th', {}, d)))),
      el('tbody', {}, rows.map((r) => el('tr', {}, el('td', {}, r.signal), el('td', {}, t.sigKind[r.kind] || r.kind),
        r.national.map((v, k) => {
          const low = lowestPref(r, k);
          return el('td', { style: shade(v), 'data-share': v }, pct(v),
            low && low[1] < v ? el('small', {}, ` (${t.lowest} ${prefName(low[0])} ${pct(low[1])})`) : null);
        }))))));
  // one signal on one date by prefecture: by default the one that differs most between them
  let pick = [0, dates.length - 1], spread = -1;
  rows.forEach((r, i) => r.national.forEach((v, k) => {
    const vals = Object.values(r.prefectures || {}).map((p) => p[k]);
    const s = vals.length ? Math.max(...vals) - Math.min(...vals) : 0;
    if (v > 0 && v < 1 && s > spread) { spread = s; pick = [i, k]; }
  }));
  const selSignal = el('select', { id: 'signal-pick' }, rows.map((r, i) => el('option', { value: i }, r.signal)));
  const selDate = el('select', { id: 'signal-date' }, dates.map((d, k) => el('option', { value: k }, d)));
  selSignal.value = pick[0];
  selDate.value = pick[1];
  const bars = el('div', { id: 'signal-bars', class: 'bars' });
  const draw = () => {
    const r = rows[+selSignal.value], k = +selDate.value;
    bars.replaceChildren(...byCode(r.prefectures).map(([code, v]) => el('div', { class: 'bar', 'data-pref': code, 'data-share': v[k] },
      el('span', { class: 'bar-name' }, prefName(code)),
      el('span', { class: 'bar-track' }, el('span', { class: 'bar-fill', style: `width: ${(v[k] * 100).toFixed(1)}%` })),
      el('span', { class: 'bar-value' }, pct(v[k])))));
  };
  selSignal.addEventListener('change', draw);
  selDate.addEventListener('change', draw);
  draw();
  root.append(el('figure', {}, el('figcaption', {}, `${t.byPref}: `, selSignal, ' ', selDate), bars));
}

render();
