// harness.mjs - what the browser tests share: start renkei serving (and stop it), launch
// Debian's chromium through playwright-core (never a downloaded browser), keep screenshots.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const RENKEI = process.env.RENKEI || 'build/renkei';
export const ARTIFACTS = process.env.ARTIFACTS || 'build/web-artifacts';
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
mkdirSync(ARTIFACTS, { recursive: true });

// Start `renkei run ARGS --serve 0`; resolves once it printed its URL.
export function serve(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(RENKEI, ['run', ...args, '--serve', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    const exited = new Promise((res) => child.on('exit', (code, signal) => res({ code, signal, out, err })));
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/dashboard at (http:\/\/[^/]+\/)#token=([0-9a-f]+)/);
      if (m && !child.started) {
        child.started = true;
        resolve({
          base: m[1], token: m[2], url: `${m[1]}#token=${m[2]}`, child,
          output: () => out,
          async stop() { child.kill('SIGINT'); return exited; },
        });
      }
    });
    child.stderr.on('data', (d) => { err += d; });
    exited.then((r) => { if (!child.started) reject(new Error(`renkei exited ${r.code}: ${err || out}`)); });
  });
}

export async function launch() {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

// A page of the dashboard at url, 1440×900 unless told, in English, its errors collected in
// page.errors.
export async function openDashboard(browser, url, viewport = { width: 1440, height: 900 }) {
  const page = await browser.newPage({ viewport, bypassCSP: true });   // waitForFunction evaluates text
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(url);
  await page.evaluate(() => localStorage.setItem('renkei.lang', 'en'));
  await page.reload();
  return page;
}

export async function shot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

export async function api(base, path, { method = 'GET', body, token } = {}) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(base + path.replace(/^\//, ''), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: await res.json().catch(() => null) };
}

// A served run with a browser on its dashboard, for a test file's before(); close() for its after().
export async function servedPage(args) {
  const server = await serve(args);
  const browser = await launch();
  const page = await openDashboard(browser, server.url);
  return { server, browser, page, async close() { await browser.close(); await server.stop(); } };
}
