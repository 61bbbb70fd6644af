// map.js - a tile map of Japan on one canvas: each prefecture a tile roughly where it lies,
// each of its local governments a cell inside it (the prefecture's own government first,
// outlined), the platform sites, the NWS, J-LIS and the agencies beside. Cells are coloured
// by state (up, down, failed over, serving site down, home back awaiting failback) and shaded
// by load; the flow shown hop by hop is drawn over them. Drawing is batched:
// changes mark the map dirty and one redraw happens per animation frame.

import { prefName, siteLabel, t } from './i18n.js';

// [column, row, width, height] on a 14 x 11 grid.
const TILES = {
  '01': [12, 0, 2, 2], '02': [12, 2], '03': [13, 3], '04': [13, 4], '05': [12, 3], '06': [12, 4],
  '07': [13, 5], '08': [13, 7], '09': [13, 6], '10': [12, 6], '11': [12, 7], '12': [13, 8],
  '13': [12, 8], '14': [12, 9], '15': [12, 5], '16': [11, 5], '17': [10, 5], '18': [9, 6],
  '19': [11, 7], '20': [11, 6], '21': [10, 6], '22': [11, 8], '23': [10, 7], '24': [9, 7],
  '25': [8, 7], '26': [8, 6], '27': [7, 7], '28': [7, 6], '29': [8, 8], '30': [7, 8],
  '31': [6, 6], '32': [5, 6], '33': [6, 7], '34': [5, 7], '35': [4, 7], '36': [6, 9],
  '37': [6, 8], '38': [5, 8], '39': [5, 9], '40': [3, 7], '41': [2, 7], '42': [1, 7],
  '43': [2, 8], '44': [3, 8], '45': [3, 9], '46': [2, 9], '47': [0, 10],
};
const COLS = 14, ROWS = 11;

const STATE_COLOR = ['#3a9d5d', '#d9362b', '#f0a020', '#7b3fa0', '#1f78b4'];   // 4: home back, awaiting failback
const LOAD_TINT = ['#d7eadc', '#bfe0c8', '#a4d4b2', '#86c69a', '#66b681', '#4aa56a', '#338f56', '#237845', '#176236', '#0d4d29'];

export class JapanMap {
  constructor(canvas, tooltip) {
    this.canvas = canvas;
    this.tooltip = tooltip;
    this.nodes = new Map();          // id -> node
    this.cells = [];                 // { id, x, y, s } for hit testing
    this.boxes = [];                 // system boxes: { id, x, y, w, h, label }
    this.byPref = new Map();
    this.selected = null;
    this.onSelect = null;
    this.dirty = true;
    this.frames = 0;
    canvas.addEventListener('mousemove', (e) => this.hover(e));
    canvas.addEventListener('mouseleave', () => { this.tooltip.hidden = true; });
    canvas.addEventListener('click', (e) => {
      const hit = this.hit(e);
      this.selected = hit ? hit.id : null;
      this.dirty = true;
      if (this.onSelect) this.onSelect(hit ? this.nodes.get(hit.id) : null);
    });
    // by keyboard: the arrow keys walk the cells and boxes, Escape lets go
    canvas.tabIndex = 0;
    canvas.addEventListener('keydown', (e) => {
      const order = [...this.boxes.map((b) => b.id), ...this.cells.map((c) => c.id)];
      if (!order.length) return;
      const at = order.indexOf(this.selected);
      let next;
      if (e.key === 'ArrowRight' || e.key === 'ArrowDown') next = order[(at + 1) % order.length];
      else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') next = order[(at - 1 + order.length) % order.length];
      else if (e.key === 'Escape') next = null;
      else return;
      e.preventDefault();
      this.select(next);
    });
    new ResizeObserver(() => { this.layout(); this.dirty = true; }).observe(canvas);
    const loop = () => { if (this.dirty) this.draw(); requestAnimationFrame(loop); };
    requestAnimationFrame(loop);
  }

  // Select a node by id (null: none), as a click would.
  select(id) {
    this.selected = id ?? null;
    this.dirty = true;
    if (this.onSelect) this.onSelect(id === null || id === undefined ? null : this.nodes.get(id));
  }

  setTopology(topo) {
    this.nodes.clear();
    this.byPref.clear();
    for (const n of topo.nodes) {
      n.load = 0;
      this.nodes.set(n.id, n);
      if (n.kind === 'lg') {
        if (!this.byPref.has(n.pref)) this.byPref.set(n.pref, []);
        this.byPref.get(n.pref).push(n);
      }
    }
    for (const list of this.byPref.values()) list.sort((a, b) => (a.lg_kind === 'prefecture' ? -1 : b.lg_kind === 'prefecture' ? 1 : a.code.localeCompare(b.code)));
    this.lgCount = topo.counts.local_governments;
    this.canvas.dataset.lgs = String(this.lgCount);
    this.layout();
    this.dirty = true;
  }

  // The flow shown in the hop-by-hop view, drawn here: every body it passed through ringed
  // (the inquirer, the sites, the NWS, the provider; an interface system stands for its site
  // or agency), its hops as thin lines, the current hop as an arrow a dot runs along for a
  // moment after it changes. null: none.
  setFlow(flow, current) {
    const hop = flow && current >= 0 ? flow.hop_list[current] : null;
    const key = flow ? `${flow.flow}:${current}:${flow.hop_list.length}` : '';
    if (key === this.flowKey) return;
    this.flowKey = key;
    this.flow = flow && flow.hop_list.length ? flow : null;
    this.flowHop = hop;
    this.flowSince = performance.now();
    const ids = new Set();
    for (const h of this.flow ? this.flow.hop_list : []) { ids.add(this.standIn(h.from)); ids.add(this.standIn(h.to)); }
    for (const b of this.flow ? [this.flow.inquirer, this.flow.provider] : []) if (b) ids.add(b.id);   // the provider, answered for by its site
    ids.delete(undefined);
    // what is drawn, for the browser tests
    this.flowShown = this.flow ? { flow: this.flow.flow, nodes: [...ids].sort((a, b) => a - b),
      hop: hop ? { from: this.standIn(hop.from), to: this.standIn(hop.to) } : null } : null;
    this.canvas.dataset.flow = this.flow ? String(this.flow.flow) : '';
    this.dirty = true;
  }

  // The node drawn for id: itself, or for an interface system ("east.ifs") its site or agency.
  standIn(id) {
    const n = this.nodes.get(id);
    if (!n) return undefined;
    if (n.kind !== 'ifs' && n.kind !== 'script') return id;
    const owner = [...this.nodes.values()].find((m) => m.name === n.name.replace(/\.ifs$/, ''));
    return owner ? owner.id : undefined;
  }

  anchor(id) {
    const b = this.boxes.find((x) => x.id === id);
    if (b) return { x: b.x + b.w / 2, y: b.y + b.h / 2, r: b.h / 2 + 3, box: b };
    const c = this.cells.find((x) => x.id === id);
    return c ? { x: c.x + c.s / 2, y: c.y + c.s / 2, r: Math.max(6, c.s) } : null;
  }

  drawFlow(ctx) {
    if (!this.flow) return;
    const FLOW = '#c2255c';
    ctx.save();
    ctx.strokeStyle = FLOW;
    ctx.globalAlpha = 0.35;
    ctx.lineWidth = 1.5;
    for (const h of this.flow.hop_list) {   // the whole path, faint
      const a = this.anchor(this.standIn(h.from)), b = this.anchor(this.standIn(h.to));
      if (!a || !b || a === b) continue;
      ctx.beginPath(); ctx.moveTo(a.x, a.y); ctx.lineTo(b.x, b.y); ctx.stroke();
    }
    ctx.globalAlpha = 1;
    ctx.lineWidth = 2.5;
    for (const id of this.flowShown.nodes) {   // every body it passed through, ringed
      const a = this.anchor(id);
      if (!a) continue;
      if (a.box) ctx.strokeRect(a.box.x - 3, a.box.y - 3, a.box.w + 6, a.box.h + 6);   // a system: its box outlined
      else { ctx.beginPath(); ctx.arc(a.x, a.y, a.r, 0, 2 * Math.PI); ctx.stroke(); }
    }
    const hop = this.flowShown.hop;
    const a = hop && this.anchor(hop.from), b = hop && this.anchor(hop.to);
    if (a && b) {
      const ANIMATE_MS = 1500;
      const p = Math.min(1, (performance.now() - this.flowSince) / ANIMATE_MS);
      ctx.lineWidth = 3.5;
      ctx.beginPath(); ctx.moveTo(a.x, a.y); ctx.lineTo(b.x, b.y); ctx.stroke();
      const ang = Math.atan2(b.y - a.y, b.x - a.x);
      ctx.fillStyle = FLOW;
      ctx.beginPath();   // the arrowhead at the receiver's ring
      const tx = b.x - Math.cos(ang) * b.r, ty = b.y - Math.sin(ang) * b.r;
      ctx.moveTo(tx, ty);
      ctx.lineTo(tx - 10 * Math.cos(ang - 0.4), ty - 10 * Math.sin(ang - 0.4));
      ctx.lineTo(tx - 10 * Math.cos(ang + 0.4), ty - 10 * Math.sin(ang + 0.4));
      ctx.fill();
      if (p < 1) {   // the message on its way, for a moment after the hop is shown
        ctx.beginPath(); ctx.arc(a.x + (b.x - a.x) * p, a.y + (b.y - a.y) * p, 5, 0, 2 * Math.PI); ctx.fill();
        this.dirty = true;
      }
    }
    ctx.restore();
  }

  setStates(pairs) {
    for (const [id, s] of pairs) { const n = this.nodes.get(id); if (n) n.state = s; }
    this.dirty = true;
  }

  setLoads(loads) {
    // loads[i] is the level of node id i (every node, in id order)
    for (let i = 0; i < loads.length; i++) { const n = this.nodes.get(i); if (n) n.load = loads[i]; }
    this.dirty = true;
  }

  layout() {
    const w = this.canvas.clientWidth, h = this.canvas.clientHeight;
    if (!w || !h) return;
    const s = Math.floor(Math.min(w / COLS, h / ROWS));
    this.tile = s;
    this.ox = Math.floor((w - s * COLS) / 2);
    this.oy = Math.floor((h - s * ROWS) / 2);
    this.cells = [];
    this.prefBoxes = [];
    for (const [pref, list] of this.byPref) {
      const [c, r, tw = 1, th = 1] = TILES[pref] || [0, 0];
      const x0 = this.ox + c * s + 2, y0 = this.oy + r * s + 12, bw = tw * s - 4, bh = th * s - 14;
      this.prefBoxes.push({ pref, x: this.ox + c * s + 1, y: this.oy + r * s + 1, w: tw * s - 2, h: th * s - 2 });
      const n = list.length;
      let cols = Math.ceil(Math.sqrt(n * bw / bh));
      let rows = Math.ceil(n / cols);
      const cs = Math.max(2, Math.min(bw / cols, bh / rows));
      cols = Math.max(1, Math.floor(bw / cs));
      rows = Math.ceil(n / cols);
      list.forEach((node, i) => {
        this.cells.push({ id: node.id, x: x0 + (i % cols) * cs, y: y0 + Math.floor(i / cols) * cs, s: cs });
      });
    }
    // systems in the open sea to the north-west: agencies, the NWS and J-LIS, the sites
    this.boxes = [];
    const sys = [...this.nodes.values()].filter((n) => n.kind !== 'lg' && n.kind !== 'ifs' && n.kind !== 'script');
    const place = (n, c, r, cw = 2) => this.boxes.push({ id: n.id, x: this.ox + c * s + 3, y: this.oy + r * s + 3, w: cw * s - 6, h: s * 0.62, n });
    let agencyCol = 0;
    for (const n of sys) {
      if (n.kind === 'nws') place(n, 5, 2, 3);
      else if (n.kind === 'jlis') place(n, 5, 3.6, 3);
      else if (n.kind === 'site' && /east/.test(n.name)) place(n, 9, 2.6, 2);
      else if (n.kind === 'site') place(n, 1, 4.6, 2);
      else if (n.kind === 'agency') { place(n, agencyCol * 2.2, 0.4, 2.1); agencyCol++; }
    }
  }

  color(n) {
    if (n.state && n.state !== 0) return STATE_COLOR[n.state] || STATE_COLOR[1];
    return LOAD_TINT[Math.min(9, n.load || 0)];
  }

  draw() {
    this.dirty = false;
    this.frames++;
    const c = this.canvas, dpr = window.devicePixelRatio || 1;
    const w = c.clientWidth, h = c.clientHeight;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
      c.width = Math.round(w * dpr); c.height = Math.round(h * dpr);
      this.layout();
    }
    const ctx = c.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = '#eef3f8';
    ctx.fillRect(0, 0, w, h);
    if (!this.tile) return;
    // links from the NWS to the sites and agencies
    const nws = this.boxes.find((b) => b.n.kind === 'nws');
    ctx.strokeStyle = '#9fb3c8';
    ctx.lineWidth = 1;
    for (const b of this.boxes) {
      if (!nws || b === nws) continue;
      ctx.beginPath();
      ctx.moveTo(nws.x + nws.w / 2, nws.y + nws.h / 2);
      ctx.lineTo(b.x + b.w / 2, b.y + b.h / 2);
      ctx.stroke();
    }
    ctx.font = `${Math.max(8, Math.min(11, this.tile / 5))}px system-ui, sans-serif`;
    for (const p of this.prefBoxes) {
      ctx.fillStyle = '#ffffff';
      ctx.fillRect(p.x, p.y, p.w, p.h);
      // the prefecture's name, and how many of its bodies are not up, in the state's colour
      const bad = (this.byPref.get(p.pref) || []).filter((n) => n.state).length;
      ctx.strokeStyle = bad ? '#d9362b' : '#c5d0dc';
      ctx.strokeRect(p.x + 0.5, p.y + 0.5, p.w - 1, p.h - 1);
      ctx.save();
      ctx.beginPath(); ctx.rect(p.x, p.y, p.w, 11); ctx.clip();   // never over the neighbour
      ctx.fillStyle = '#445';
      const name = prefName(p.pref);
      ctx.fillText(name, p.x + 2, p.y + 9);
      if (bad) { ctx.fillStyle = '#b3261e'; ctx.fillText(` ${bad}`, p.x + 2 + ctx.measureText(name).width, p.y + 9); }
      ctx.restore();
    }
    for (const cell of this.cells) {
      const n = this.nodes.get(cell.id);
      ctx.fillStyle = this.color(n);
      const g = cell.s > 4 ? 1 : 0;
      ctx.fillRect(cell.x, cell.y, cell.s - g, cell.s - g);
      if (n.lg_kind === 'prefecture') { ctx.strokeStyle = '#223'; ctx.strokeRect(cell.x + 0.5, cell.y + 0.5, cell.s - g - 1, cell.s - g - 1); }
      if (cell.id === this.selected) { ctx.strokeStyle = '#000'; ctx.lineWidth = 2; ctx.strokeRect(cell.x - 1, cell.y - 1, cell.s + 1, cell.s + 1); ctx.lineWidth = 1; }
    }
    // a body that cannot answer (down, or its site down) gets a ring in its state's colour: one
    // crashed town is seen at once (failed over is served: its colour is enough)
    for (const cell of this.cells) {
      const n = this.nodes.get(cell.id);
      if (n.state !== 1 && n.state !== 3) continue;
      ctx.strokeStyle = STATE_COLOR[n.state] || STATE_COLOR[1];
      ctx.lineWidth = 2;
      const r = Math.max(5, cell.s);
      ctx.beginPath(); ctx.arc(cell.x + cell.s / 2, cell.y + cell.s / 2, r, 0, 2 * Math.PI); ctx.stroke();
      ctx.lineWidth = 1;
    }
    for (const b of this.boxes) {
      const n = b.n;
      ctx.fillStyle = n.state ? STATE_COLOR[n.state] : n.kind === 'nws' ? '#2f5d8a' : n.kind === 'site' ? '#3c7d6b' : '#6b6f8a';
      ctx.fillRect(b.x, b.y, b.w, b.h);
      if (b.id === this.selected) { ctx.strokeStyle = '#000'; ctx.lineWidth = 2; ctx.strokeRect(b.x - 1, b.y - 1, b.w + 2, b.h + 2); ctx.lineWidth = 1; }
      ctx.fillStyle = '#fff';
      const label = n.kind === 'nws' ? t('lane_nws') : n.kind === 'jlis' ? 'J-LIS' : n.kind === 'site' ? siteLabel(n.name) : (n.label || n.name);
      ctx.fillText(label.length > 14 ? label.slice(0, 13) + '…' : label, b.x + 4, b.y + b.h / 2 + 4);
    }
    this.drawFlow(ctx);
  }

  hit(e) {
    const r = this.canvas.getBoundingClientRect();
    const x = e.clientX - r.left, y = e.clientY - r.top;
    for (const b of this.boxes) if (x >= b.x && x < b.x + b.w && y >= b.y && y < b.y + b.h) return b;
    for (const c of this.cells) if (x >= c.x && x < c.x + c.s && y >= c.y && y < c.y + c.s) return c;
    return null;
  }

  hover(e) {
    const hit = this.hit(e);
    const tip = this.tooltip;
    if (!hit) { tip.hidden = true; return; }
    const n = this.nodes.get(hit.id);
    const lines = [n.kind === 'lg' ? `${n.label} (${n.code})` : (n.label || n.name),
      t(`kind_${n.kind}`) + (n.kind === 'lg' ? ` · ${prefName(n.pref)}` : ''),
      `${t('state')}: ${t(`state${n.state || 0}`)}`];
    if (n.home) lines.push(`${t('home')}: ${siteLabel(n.home)} · ${t('backup')}: ${siteLabel(n.backup)} · ${t('server')}: ${siteLabel(n.server)}`);
    tip.textContent = lines.join('\n');
    tip.hidden = false;
    const r = this.canvas.getBoundingClientRect();
    // inside the map, whichever corner the pointer is near
    const x = e.clientX - r.left, y = e.clientY - r.top;
    tip.style.left = `${Math.max(0, x + 14 + tip.offsetWidth > r.width ? x - 14 - tip.offsetWidth : x + 14)}px`;
    tip.style.top = `${Math.max(0, y + 14 + tip.offsetHeight > r.height ? y - 14 - tip.offsetHeight : y + 14)}px`;
  }
}
