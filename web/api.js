// api.js - the dashboard's side of the HTTP API (web/API.md): reads, token-protected
// controls, and the live event stream. The token comes from the URL the server printed
// (#token=...), is kept for this tab only (sessionStorage) and taken out of the address bar.

let token = '';
try { token = sessionStorage.getItem('renkei.token') || ''; } catch { /* private mode */ }
const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
if (fromHash) {
  token = fromHash;
  try { sessionStorage.setItem('renkei.token', token); } catch { /* private mode */ }
  history.replaceState(null, '', location.pathname + location.search);
}

export function hasToken() { return token !== ''; }
export function setToken(t) {
  token = t.trim();
  try { sessionStorage.setItem('renkei.token', token); } catch { /* private mode */ }
}

export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function answer(res) {
  const text = await res.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  if (!res.ok) throw new ApiError(res.status, (body && body.error) || text || res.statusText);
  return body;
}

export async function get(path) {
  return answer(await fetch(path, { cache: 'no-store' }));
}

export async function post(path, body) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  return answer(await fetch(path, { method: 'POST', headers, body: JSON.stringify(body || {}) }));
}

export async function del(path) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  return answer(await fetch(path, { method: 'DELETE', headers }));
}

// The live stream: onTick(update) per batch; onDropped(n) when the server had to drop
// updates for this browser; onEnded(info); onStatus(connected); onGone() once the server is
// gone for good. A dropped connection is retried by the browser; but when the server does not
// answer a plain read either, twice a second apart, it has stopped: the stream is closed
// (no reconnecting forever) and onGone says so, within about three seconds of the drop.
export function stream({ onTick, onDropped, onEnded, onStatus, onGone }) {
  const es = new EventSource('/api/stream');
  let probing = false;
  async function alive() {
    try {
      const res = await fetch('/api/state', { cache: 'no-store', signal: AbortSignal.timeout(1000) });
      return res.ok;
    } catch { return false; }
  }
  async function probe() {
    if (probing) return;
    probing = true;
    for (let failures = 0; ; ) {
      if (es.readyState === EventSource.OPEN) break;
      if (await alive()) break;
      if (++failures >= 2) {
        es.close();
        stream.gone = true;
        if (onGone) onGone();
        break;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    probing = false;
  }
  es.addEventListener('open', () => onStatus && onStatus(true));
  es.addEventListener('error', () => { if (onStatus) onStatus(false); probe(); });
  es.addEventListener('tick', (e) => { stream.bytes += e.data.length; onTick(JSON.parse(e.data)); });
  es.addEventListener('dropped', (e) => onDropped && onDropped(JSON.parse(e.data).dropped));
  es.addEventListener('ended', (e) => onEnded && onEnded(JSON.parse(e.data)));
  return es;
}
stream.gone = false;   // the server has gone: nothing more will come
stream.bytes = 0;   // update bytes received, for measuring the page
