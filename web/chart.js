// chart.js - small canvas charts over simulated time, for the dashboard and report.html
// (which inlines this file, so it imports nothing and touches no network).
//   drawLines(canvas, { t, series: [{ label, color, values }], bands, marks, yUnit, stacked, t0, t1 })
//     stacked series are drawn as areas; null values are gaps (nothing measured there);
//     marks: [{ at, label, color }] dashed vertical lines (failover, failback); hovering
//     shows the time and each series' value there.
//   drawGantt(canvas, { rows: [{ label, start, end, color, note }], markers, t0, t1 })
// Times are milliseconds since the epoch; labels are shown in Japan Standard Time.

export const PALETTE = ['#2f6fdf', '#e0782b', '#2aa876', '#c0392b', '#8e44ad', '#b8860b',
  '#16a2b8', '#d35486', '#6c757d', '#5a8f29'];

const JST_MS = 9 * 3600 * 1000;

export function fmtClock(ms, withDate) {
  const d = new Date(ms + JST_MS);
  const p = (n) => String(n).padStart(2, '0');
  const hm = `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`;
  return withDate ? `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${hm}` : hm;
}

export function fmtDate(ms) {
  const d = new Date(ms + JST_MS);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}`;
}

function niceStep(span, target) {
  const raw = span / Math.max(1, target);
  const mag = Math.pow(10, Math.floor(Math.log10(raw || 1)));
  for (const m of [1, 2, 5, 10]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

const TIME_STEPS = [60e3, 300e3, 600e3, 1800e3, 3600e3, 7200e3, 10800e3, 21600e3, 43200e3, 86400e3,
  2 * 86400e3, 7 * 86400e3, 14 * 86400e3, 30 * 86400e3, 91 * 86400e3, 182 * 86400e3, 365 * 86400e3];

function setup(canvas) {
  const dpr = (typeof window !== 'undefined' && window.devicePixelRatio) || 1;
  const w = canvas.clientWidth || canvas.width, h = canvas.clientHeight || canvas.height;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  ctx.font = '11px system-ui, sans-serif';
  return { ctx, w, h };
}

function fmtNum(v) {
  if (Math.abs(v) >= 1e6) return (v / 1e6).toFixed(v % 1e6 ? 1 : 0) + 'M';
  if (Math.abs(v) >= 1e4) return (v / 1e3).toFixed(0) + 'k';
  if (Math.abs(v) >= 1e3) return (v / 1e3).toFixed(1) + 'k';
  return String(Math.round(v * 100) / 100);
}

// Lines over time. bands: [{ start, end, label, color }] shaded behind (faults).
export function drawLines(canvas, opt) {
  const { ctx, w, h } = setup(canvas);
  const t = opt.t || [];
  const series = (opt.series || []).filter((s) => s.values && s.values.length);
  const pad = { l: 44, r: 8, t: 18, b: 18 };
  const pw = w - pad.l - pad.r, ph = h - pad.t - pad.b;
  let t0 = opt.t0 ?? (t.length ? t[0] : 0), t1 = opt.t1 ?? (t.length ? t[t.length - 1] : 1);
  if (t1 <= t0) t1 = t0 + 60e3;
  let ymax = 0;
  const stack = new Array(t.length).fill(0);
  for (const s of series) {
    for (let i = 0; i < t.length; i++) {
      const v = (s.values[i] || 0) + (opt.stacked ? stack[i] : 0);
      if (opt.stacked) stack[i] = v;
      if (v > ymax) ymax = v;
    }
  }
  if (opt.ymin !== undefined && ymax < opt.ymin) ymax = opt.ymin;
  if (ymax <= 0) ymax = 1;
  const ystep = niceStep(ymax, 4);
  ymax = Math.ceil(ymax / ystep) * ystep;
  const X = (v) => pad.l + ((v - t0) / (t1 - t0)) * pw;
  const Y = (v) => pad.t + ph - (v / ymax) * ph;
  // bands (faults)
  for (const b of opt.bands || []) {
    const a = X(Math.max(t0, b.start)), z = X(Math.min(t1, b.end ?? t1));
    if (z < pad.l || a > pad.l + pw) continue;
    ctx.fillStyle = b.color || 'rgba(192,57,43,0.15)';
    ctx.fillRect(a, pad.t, Math.max(2, z - a), ph);
    ctx.fillStyle = '#a33';
    ctx.fillText(b.label || '', a + 2, pad.t + 10);
  }
  // grid
  ctx.strokeStyle = '#ddd';
  ctx.fillStyle = '#666';
  ctx.lineWidth = 1;
  ctx.textAlign = 'right';
  for (let v = 0; v <= ymax + 1e-9; v += ystep) {
    const y = Math.round(Y(v)) + 0.5;
    ctx.beginPath(); ctx.moveTo(pad.l, y); ctx.lineTo(pad.l + pw, y); ctx.stroke();
    ctx.fillText(fmtNum(v), pad.l - 4, y + 3);
  }
  ctx.textAlign = 'center';
  const span = t1 - t0;
  const tstep = TIME_STEPS.find((s) => span / s <= 8) || TIME_STEPS[TIME_STEPS.length - 1];
  const withDate = span > 2 * 86400e3;
  for (let v = Math.ceil((t0 + JST_MS) / tstep) * tstep - JST_MS; v <= t1; v += tstep) {
    const x = Math.round(X(v)) + 0.5;
    ctx.beginPath(); ctx.moveTo(x, pad.t); ctx.lineTo(x, pad.t + ph); ctx.stroke();
    ctx.fillText(withDate ? fmtDate(v) : fmtClock(v), x, h - 5);   // dates with their year
  }
  // lines; stacked series as areas, each on the one below
  stack.fill(0);
  series.forEach((s, k) => {
    const color = s.color || PALETTE[k % PALETTE.length];
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.5;
    if (opt.stacked) {
      const below = stack.slice();
      ctx.beginPath();
      for (let i = 0; i < t.length; i++) {
        stack[i] = below[i] + (s.values[i] || 0);
        const x = X(t[i]), y = Y(stack[i]);
        if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
      }
      for (let i = t.length - 1; i >= 0; i--) ctx.lineTo(X(t[i]), Y(below[i]));
      ctx.closePath();
      ctx.globalAlpha = 0.55;
      ctx.fillStyle = color;
      ctx.fill();
      ctx.globalAlpha = 1;
      return;
    }
    ctx.beginPath();
    let started = false;
    for (let i = 0; i < t.length; i++) {
      const v = s.values[i];
      if (v === null || v === undefined) { started = false; continue; }
      const x = X(t[i]), y = Y(v);
      if (!started) { ctx.moveTo(x, y); started = true; } else ctx.lineTo(x, y);
    }
    ctx.stroke();
  });
  // marks: failover, failback
  for (const m of opt.marks || []) {
    if (m.at < t0 || m.at > t1) continue;
    const x = Math.round(X(m.at)) + 0.5;
    ctx.strokeStyle = m.color || '#2f6fdf';
    ctx.setLineDash([3, 3]);
    ctx.beginPath(); ctx.moveTo(x, pad.t); ctx.lineTo(x, pad.t + ph); ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = m.color || '#2f6fdf';
    ctx.textAlign = 'left';
    ctx.fillText(m.label || '', x + 2, pad.t + 22);
  }
  canvas._chart = { t, series, X0: pad.l, pw, t0, t1, yUnit: opt.yUnit, stacked: opt.stacked, marks: (opt.marks || []).filter((m) => m.at >= t0 && m.at <= t1) };
  hover(canvas);
  // legend
  ctx.textAlign = 'left';
  let lx = pad.l + 4;
  series.forEach((s, k) => {
    ctx.fillStyle = s.color || PALETTE[k % PALETTE.length];
    ctx.fillRect(lx, 4, 10, 8);
    ctx.fillStyle = '#333';
    const label = s.label + (opt.yUnit ? '' : '');
    ctx.fillText(label, lx + 13, 12);
    lx += ctx.measureText(label).width + 24;
  });
  if (opt.yUnit) { ctx.textAlign = 'left'; ctx.fillStyle = '#666'; ctx.fillText(opt.yUnit, 2, 12); }
  if (!t.length) { ctx.textAlign = 'center'; ctx.fillStyle = '#999'; ctx.fillText(opt.empty || '—', pad.l + pw / 2, pad.t + ph / 2); }
}

// Hovering a chart shows the time and every series' value at the nearest bucket, in one
// floating box shared by all charts of the page.
function hover(canvas) {
  if (canvas._hover) return;
  canvas._hover = true;
  const tip = () => {
    let d = document.getElementById('chart-tip');
    if (!d) {
      d = document.createElement('div');
      d.id = 'chart-tip';
      d.style.cssText = 'position:fixed;pointer-events:none;background:rgba(20,30,45,.92);color:#fff;padding:4px 7px;' +
        'border-radius:4px;font:12px system-ui,sans-serif;white-space:pre;z-index:20;display:none';
      document.body.append(d);
    }
    return d;
  };
  canvas.addEventListener('mousemove', (e) => {
    const c = canvas._chart;
    if (!c || !c.t.length) return;
    const r = canvas.getBoundingClientRect();
    const at = c.t0 + ((e.clientX - r.left - c.X0) / c.pw) * (c.t1 - c.t0);
    let i = 0;
    for (let k = 1; k < c.t.length; k++) if (Math.abs(c.t[k] - at) < Math.abs(c.t[i] - at)) i = k;
    const lines = [fmtClock(c.t[i], c.t1 - c.t0 > 86400e3)];
    for (const s of c.series) {
      const v = s.values[i];
      lines.push(`${s.label}: ${v === null || v === undefined ? '—' : fmtNum(v)}${c.yUnit ? ` ${c.yUnit}` : ''}`);
    }
    const d = tip();
    d.textContent = lines.join('\n');
    d.style.display = 'block';
    d.style.left = `${Math.min(e.clientX + 12, window.innerWidth - 220)}px`;
    d.style.top = `${e.clientY + 12}px`;
    canvas.dataset.hover = lines.join(' | ');
  });
  canvas.addEventListener('mouseleave', () => { tip().style.display = 'none'; });
}

// A Gantt chart: one row per bar; markers are vertical lines (milestones).
export function drawGantt(canvas, opt) {
  const { ctx, w, h } = setup(canvas);
  const rows = opt.rows || [];
  const labelW = Math.min(220, w * 0.3);
  const pad = { l: labelW, r: 8, t: 8, b: 18 };
  const pw = w - pad.l - pad.r;
  const rh = Math.max(8, Math.min(18, (h - pad.t - pad.b) / Math.max(1, rows.length)));
  let t0 = opt.t0, t1 = opt.t1;
  if (t0 === undefined || t1 === undefined) {
    t0 = Infinity; t1 = -Infinity;
    for (const r of rows) { t0 = Math.min(t0, r.start); t1 = Math.max(t1, r.end); }
    for (const m of opt.markers || []) { t0 = Math.min(t0, m.at); t1 = Math.max(t1, m.at); }
  }
  if (!(t1 > t0)) t1 = t0 + 86400e3;
  t1 += (t1 - t0) * 0.08;   /* room for the last milestone's label */
  const X = (v) => pad.l + ((v - t0) / (t1 - t0)) * pw;
  ctx.textAlign = 'center';
  ctx.strokeStyle = '#e4e4e4';
  ctx.fillStyle = '#666';
  const span = t1 - t0;
  const tstep = TIME_STEPS.find((s) => span / s <= 8) || TIME_STEPS[TIME_STEPS.length - 1];
  for (let v = Math.ceil((t0 + JST_MS) / tstep) * tstep - JST_MS; v <= t1; v += tstep) {
    const x = Math.round(X(v)) + 0.5;
    ctx.beginPath(); ctx.moveTo(x, pad.t); ctx.lineTo(x, h - pad.b); ctx.stroke();
    ctx.fillText(fmtDate(v), x, h - 5);
  }
  rows.forEach((r, i) => {
    const y = pad.t + i * rh;
    ctx.fillStyle = '#333';
    ctx.textAlign = 'right';
    ctx.fillText(r.label.length > 40 ? r.label.slice(0, 39) + '…' : r.label, pad.l - 6, y + rh * 0.75);
    ctx.fillStyle = r.color || PALETTE[i % PALETTE.length];
    const a = X(r.start), z = X(r.end);
    ctx.fillRect(a, y + 2, Math.max(2, z - a), rh - 4);
    if (r.note) { ctx.fillStyle = '#a33'; ctx.textAlign = 'left'; ctx.fillText(r.note, z + 3, y + rh * 0.75); }
  });
  // milestone labels on a white ground, staggered so that neighbours do not overlap, and
  // turned to the left of their line near the right edge so that none is cut
  const placed = [];
  for (const m of [...(opt.markers || [])].sort((a, b) => a.at - b.at)) {
    const x = Math.round(X(m.at)) + 0.5;
    ctx.strokeStyle = m.color || '#c0392b';
    ctx.setLineDash([4, 3]);
    ctx.beginPath(); ctx.moveTo(x, pad.t); ctx.lineTo(x, h - pad.b); ctx.stroke();
    ctx.setLineDash([]);
    const tw = ctx.measureText(m.label).width;
    const left = x + 3 + tw > w - 2;
    const x0 = left ? x - 3 - tw : x + 3;
    let row = 0;
    while (placed.some((p) => p.row === row && x0 < p.x1 + 4 && x0 + tw > p.x0 - 4)) row++;
    placed.push({ x0, x1: x0 + tw, row });
    const y = pad.t + 10 + row * 13;
    ctx.fillStyle = 'rgba(255,255,255,0.85)';
    ctx.fillRect(x0 - 1, y - 10, tw + 2, 13);
    ctx.fillStyle = m.color || '#c0392b';
    ctx.textAlign = 'left';
    ctx.fillText(m.label, x0, y);
  }
}
