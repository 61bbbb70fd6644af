// seq.js - the trainer's main screen: one flow as a sequence diagram (SVG). Lanes are the
// roles a message passes (existing system, intermediate server, interface system, NWS, and
// the provider's side), each named by its body (大阪市 at the west site); each hop an arrow;
// the current hop is highlighted and explained with what it carried (numbers, codes, serial
// number, the payload as a labelled table, or ciphertext) and why; the fields that changed
// since the previous hop are marked.

import { getLang, siteLabel, step, t } from './i18n.js';

const LANES = ['inquirer_system', 'inquirer_server', 'inquirer_ifs', 'jlis', 'nws', 'provider_ifs',
  'provider_server', 'provider_system', 'other'];
const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

export class SequenceView {
  constructor(svgEl, detailEl, counterEl) {
    this.svg = svgEl;
    this.detail = detailEl;
    this.counter = counterEl;
    this.flow = null;
    this.current = 0;
    this.nodeName = (id) => String(id);
  }

  show(flow, keepPosition) {
    const same = this.flow && flow && this.flow.flow === flow.flow;
    const atLast = same && this.current === this.flow.hop_list.length - 1;
    this.flow = flow;
    if (!same || !keepPosition) this.current = flow && flow.hop_list.length ? 0 : -1;
    else if (atLast) this.current = flow.hop_list.length - 1;   // stepping: follow the newest hop
    this.current = Math.min(this.current, (flow ? flow.hop_list.length : 0) - 1);
    this.render();
  }

  move(delta) {
    if (!this.flow) return;
    const n = this.flow.hop_list.length;
    this.current = Math.max(0, Math.min(n - 1, this.current + delta));
    this.render();
  }

  laneLabel(lane) {
    return `${t(`lane_${lane}`)}`;
  }

  // The second line of a lane's head: the body it belongs to, and where that runs.
  laneNode(lane, id) {
    const f = this.flow;
    const who = lane.startsWith('inquirer') ? f.inquirer : lane.startsWith('provider') ? f.provider : null;
    const node = this.nodeName(id);
    if (!who) return node;
    if (lane.endsWith('_system')) return `${who.name}${who.kind === 'lg' ? ` ${who.code}` : ''}`;
    if (lane.endsWith('_server')) return who.kind === 'lg' ? `${who.name} @ ${siteLabel(node)}` : who.name;
    return `${who.name} · ${node}`;
  }

  render() {
    const s = this.svg;
    s.replaceChildren();
    const f = this.flow;
    if (!f) { this.detail.replaceChildren(); this.counter.textContent = ''; return; }
    const hops = f.hop_list;
    const used = new Map();   // lane -> node id
    for (const h of hops) {
      if (!used.has(h.from_lane)) used.set(h.from_lane, h.from);
      if (!used.has(h.to_lane)) used.set(h.to_lane, h.to);
    }
    const lanes = LANES.filter((l) => used.has(l));
    const W = Math.max(560, s.clientWidth || 800), laneW = W / Math.max(1, lanes.length);
    const rowH = 34, top = 52;
    const H = top + hops.length * rowH + 16;
    s.setAttribute('viewBox', `0 0 ${W} ${H}`);
    s.setAttribute('height', H);
    const x = (lane) => laneW * (lanes.indexOf(lane) + 0.5);
    const defs = svg('defs');
    for (const [id, color] of [['arr', '#456'], ['arr-cur', '#d35400']]) {
      const m = svg('marker', { id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
      m.append(svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: color }));
      defs.append(m);
    }
    s.append(defs);
    lanes.forEach((lane) => {
      const cx = x(lane);
      s.append(svg('rect', { x: cx - laneW / 2 + 3, y: 2, width: laneW - 6, height: 40, rx: 5, class: `lane-head lane-${lane.split('_')[0]}` }));
      for (const [y, cls, text] of [[18, 'lane-title', this.laneLabel(lane)], [34, 'lane-node', this.laneNode(lane, used.get(lane))]]) {
        const e = svg('text', { x: cx, y, 'text-anchor': 'middle', class: cls }, text);
        s.append(e);
        // squeeze a label wider than its lane rather than let it run into the next
        if (e.getComputedTextLength && e.getComputedTextLength() > laneW - 10) {
          e.setAttribute('textLength', String(laneW - 10));
          e.setAttribute('lengthAdjust', 'spacingAndGlyphs');
        }
      }
      s.append(svg('line', { x1: cx, y1: 42, x2: cx, y2: H - 4, class: 'lifeline' }));
    });
    hops.forEach((h, i) => {
      const y = top + i * rowH + 14;
      const x1 = x(h.from_lane), x2 = x(h.to_lane);
      const cur = i === this.current;
      const g = svg('g', { class: `hop${cur ? ' current' : ''}${h.seen.error ? ' error' : ''}`, 'data-index': i });
      g.append(svg('line', { x1, y1: y, x2: x2 + (x2 > x1 ? -2 : 2), y2: y, 'marker-end': `url(#${cur ? 'arr-cur' : 'arr'})` }));
      const [title] = step(h.step);
      const lx = (x1 + x2) / 2;
      g.append(svg('text', { x: lx, y: y - 5, 'text-anchor': 'middle' }, `${i + 1}. ${title}`));
      const tags = [];
      if (h.seen.ciphertext) tags.push(t('cipher_tag'));
      if (h.seen.serial_no) tags.push(`#${h.seen.serial_no}`);
      if (h.seen.error) tags.push(t(`outcome_${h.seen.error}`));
      g.append(svg('text', { x: lx, y: y + 13, 'text-anchor': 'middle', class: 'hop-sub' }, `+${h.at_ms.toFixed(1)} ms ${tags.join(' ')}`));
      g.setAttribute('tabindex', '0');
      g.setAttribute('role', 'button');
      g.setAttribute('aria-label', `${i + 1}. ${title}`);
      g.addEventListener('click', () => { this.current = i; this.render(); });
      g.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); this.current = i; this.render(); } });
      s.append(g);
    });
    this.counter.textContent = hops.length ? t('flow_hop', { i: this.current + 1, n: hops.length }) : '';
    this.renderDetail();
  }

  renderDetail() {
    const d = this.detail;
    d.replaceChildren();
    const h = this.flow.hop_list[this.current];
    if (!h) return;
    const [title, why] = step(h.step);
    const head = document.createElement('h4');
    head.textContent = `${this.current + 1}. ${title} — ${this.laneNode(h.from_lane, h.from)} → ${this.laneNode(h.to_lane, h.to)} (${h.time})`;
    const p = document.createElement('p');
    p.className = 'why';
    p.textContent = why;
    const tbl = document.createElement('table');
    tbl.className = 'seen';
    const cap = document.createElement('caption');
    cap.textContent = t('seen');
    tbl.append(cap);
    const prev = this.current > 0 ? this.flow.hop_list[this.current - 1].seen : null;
    for (const [k, v] of Object.entries(h.seen)) {
      const tr = document.createElement('tr');
      tr.dataset.field = k;
      const th = document.createElement('th');
      th.textContent = t(`field_${k}`);
      const td = document.createElement('td');
      if (k === 'payload') td.append(payloadTable(v));
      else td.textContent = k === 'error' ? `${v} — ${t(`outcome_${v}`)}` : String(v);
      if (k === 'ciphertext') td.className = 'cipher';
      if (k === 'payload') td.className = 'plain';
      if (prev && prev[k] !== v) {   // new at this hop, or changed: mark it
        tr.className = 'changed';
        th.append(` ${prev[k] === undefined ? t('field_new') : t('field_changed')}`);
      }
      tr.append(th, td);
      tbl.append(tr);
    }
    const gone = prev ? Object.keys(prev).filter((k) => !(k in h.seen)) : [];
    if (gone.length) {
      const tr = document.createElement('tr');
      tr.className = 'dropped';
      const th = document.createElement('th');
      th.textContent = t('field_dropped');
      const td = document.createElement('td');
      td.textContent = gone.map((k) => t(`field_${k}`)).join(', ');
      tr.append(th, td);
      tbl.append(tr);
    }
    d.append(head, p, tbl);
  }
}

// The plaintext payload (JSON from the provider's replica) as a table of labelled fields;
// as text when it is not JSON (or was cut short for the page).
function payloadTable(text) {
  let o;
  try { o = JSON.parse(text); } catch { o = null; }
  if (!o || typeof o !== 'object' || Array.isArray(o)) {
    const span = document.createElement('span');
    span.textContent = text;
    return span;
  }
  const tbl = document.createElement('table');
  tbl.className = 'payload';
  for (const [k, v] of Object.entries(o)) {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    const label = t(`payload_${k}`);
    th.textContent = label === `payload_${k}` ? k : label;
    const td = document.createElement('td');
    td.textContent = typeof v === 'number' && /tax|income|benefit/.test(k)
      ? `${v.toLocaleString(getLang() === 'ja' ? 'ja-JP' : 'en-US')} ${t('yen')}` : typeof v === 'object' ? JSON.stringify(v) : String(v);
    tr.append(th, td);
    tbl.append(tr);
  }
  return tbl;
}
