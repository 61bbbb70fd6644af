// impact.js - the impact strip, status-page style: what is down, how many local governments
// are served by their backup site and where, inquiries failed, writes refused or lost, and the
// RTO so far, from the "impact" object (GET /api/impact, the live updates, summary.json; see
// nodes/report/report_impact.c). Shared by the dashboard and report.html (which inlines this
// file after chart.js): it imports nothing and has its own strings in both languages.

export const IMPACT_STRINGS = {
  en: {
    all_up: 'All systems operating', nothing_down: 'nothing down', down: 'Down: {what}',
    lgs_down: '{n} local governments down', lgs_cut_off: '{n} local governments cut off (their site is down)',
    failed_over: '{n} local governments served by their backup site ({where})', failed_over_none: 'no local government failed over',
    awaiting: '{n} awaiting failback', inquiries_failed: 'inquiries failed: {n}', writes: 'writes refused: {r} · lost: {l}',
    rto: 'RTO {d} ({site} lost)', rto_open: 'RTO so far {d} ({site} lost, not yet restored)', rto_none: 'RTO: no site lost',
    faults: 'faults: {n} ({a} active)', site: '{name} site', impact: 'Impact',
    k_site: 'site', k_nws: 'NWS', k_ifs: 'interface system', k_jlis: 'J-LIS', k_agency: 'agency', k_mynaportal: 'Mynaportal',
  },
  ja: {
    all_up: 'すべて稼働中', nothing_down: '停止なし', down: '停止中: {what}',
    lgs_down: '停止中の地方公共団体 {n}', lgs_cut_off: 'サイト停止で利用できない地方公共団体 {n}',
    failed_over: 'バックアップサイトで稼働中の地方公共団体 {n} ({where})', failed_over_none: '切替済みの地方公共団体なし',
    awaiting: '切り戻し待ち {n}', inquiries_failed: '失敗した情報照会 {n} 件', writes: '拒否された書き込み {r} 件・失われた書き込み {l} 件',
    rto: 'RTO {d} ({site}喪失)', rto_open: 'RTO 現在 {d} ({site}喪失、未復旧)', rto_none: 'RTO: サイト喪失なし',
    faults: '障害 {n} 件 (継続中 {a} 件)', site: '{name}サイト', impact: '影響',
    k_site: 'サイト', k_nws: '情報提供NWS', k_ifs: 'インターフェイスシステム', k_jlis: 'J-LIS', k_agency: '国の機関', k_mynaportal: 'マイナポータル',
  },
};

const SITES_JA = { east: '東日本', west: '西日本' };

function fill(s, vars) {
  for (const [k, v] of Object.entries(vars || {})) s = s.replaceAll(`{${k}}`, v);
  return s;
}

// A site by name as people say it: "east site", "東日本サイト".
export function siteName(name, lang) {
  return fill(IMPACT_STRINGS[lang].site, { name: lang === 'ja' ? SITES_JA[name] || name : name });
}

// 95 -> "1 min 35 s" / "1分35秒".
export function fmtDuration(s, lang) {
  if (s === null || s === undefined) return '—';
  const ja = lang === 'ja';
  s = Math.round(s);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  const parts = [];
  if (h) parts.push(ja ? `${h}時間` : `${h} h`);
  if (m) parts.push(ja ? `${m}分` : `${m} min`);
  if (sec || !parts.length) parts.push(ja ? `${sec}秒` : `${sec} s`);
  return parts.slice(0, 2).join(ja ? '' : ' ');
}

const n = (v, lang) => Number(v || 0).toLocaleString(lang === 'ja' ? 'ja-JP' : 'en-US');

// The strip's items: [{ key, text, level ('ok' | 'warn' | 'bad'), value }].
export function impactItems(im, lang) {
  const S = IMPACT_STRINGS[lang];
  const items = [];
  const down = (im.down || []).map((x) => (x.kind === 'site' ? siteName(x.name, lang)
    : `${x.label || x.name}${x.kind === 'agency' ? '' : ` (${S[`k_${x.kind}`] || x.kind})`}`));
  const anyDown = down.length || im.lgs_down || im.lgs_cut_off;
  items.push({ key: 'down', level: anyDown ? 'bad' : 'ok', value: down.length,
    text: [down.length ? fill(S.down, { what: down.join(', ') }) : '', im.lgs_down ? fill(S.lgs_down, { n: n(im.lgs_down, lang) }) : '',
      im.lgs_cut_off ? fill(S.lgs_cut_off, { n: n(im.lgs_cut_off, lang) }) : ''].filter(Boolean).join(' · ') || S.all_up });
  const fo = im.failed_over || { count: 0, to: {} };
  const where = Object.entries(fo.to || {}).map(([site, k]) => `→ ${siteName(site, lang)} ${n(k, lang)}`).join(', ');
  items.push({ key: 'failed_over', level: fo.count ? 'warn' : 'ok', value: fo.count,
    text: fo.count ? fill(S.failed_over, { n: n(fo.count, lang), where }) + (fo.awaiting_failback ? ` · ${fill(S.awaiting, { n: n(fo.awaiting_failback, lang) })}` : '')
      : S.failed_over_none });
  items.push({ key: 'inquiries_failed', level: im.inquiries_failed ? 'bad' : 'ok', value: im.inquiries_failed || 0,
    text: fill(S.inquiries_failed, { n: n(im.inquiries_failed, lang) }) });
  items.push({ key: 'writes', level: im.writes_lost ? 'bad' : im.writes_refused ? 'warn' : 'ok', value: im.writes_lost || 0,
    text: fill(S.writes, { r: n(im.writes_refused, lang), l: n(im.writes_lost, lang) }) });
  const worst = (im.sites_lost || []).reduce((a, x) => (!a || x.rto_s > a.rto_s ? x : a), null);
  items.push({ key: 'rto', level: im.rto_open ? 'bad' : worst ? 'warn' : 'ok', value: im.rto_s,
    text: worst ? fill(im.rto_open ? S.rto_open : S.rto, { d: fmtDuration(im.rto_s, lang), site: siteName(worst.site, lang) }) : S.rto_none });
  if (im.faults) items.push({ key: 'faults', level: im.faults_active ? 'warn' : 'ok', value: im.faults,
    text: fill(S.faults, { n: n(im.faults, lang), a: n(im.faults_active, lang) }) });
  return items;
}

// Draw the strip into a container (a <ul>): one <li> per item, data-key and data-value for
// tests and scripts.
export function renderImpact(ul, im, lang) {
  if (!im) { ul.hidden = true; return; }
  ul.hidden = false;
  ul.setAttribute('aria-label', IMPACT_STRINGS[lang].impact);
  ul.replaceChildren(...impactItems(im, lang).map((it) => {
    const li = document.createElement('li');
    li.className = `impact-${it.level}`;
    li.dataset.key = it.key;
    li.dataset.value = it.value === null || it.value === undefined ? '' : String(it.value);
    li.textContent = it.text;
    return li;
  }));
}
