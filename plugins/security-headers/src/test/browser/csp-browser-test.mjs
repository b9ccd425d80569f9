// Loads a page through Gatehouse in Debian's chromium (headless, loopback only) and prints, as one
// JSON line, what ran, what was blocked and which CSP violations the page saw.
// Usage: node csp-browser-test.mjs <page url>     (CspBrowserTest runs it)
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const url = process.argv[2];
if (!url || !/^https?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?\//.test(url)) {
  console.error('usage: node csp-browser-test.mjs <loopback url>');
  process.exit(2);
}
const profile = mkdtempSync(join(tmpdir(), 'gatehouse-chromium-'));
const deadline = setTimeout(() => { console.error('timed out'); process.exit(3); }, 60_000);
let context;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    ignoreHTTPSErrors: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--ignore-certificate-errors', '--short-reporting-delay'],
  });
  const page = context.pages()[0] ?? await context.newPage();
  // Init scripts come through the DevTools protocol, outside the page's CSP: they only observe.
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', e => window.__violations.push({
      directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample, disposition: e.disposition }));
  });
  const console_ = [];
  page.on('console', m => console_.push(m.type() + ': ' + m.text()));
  const response = await page.goto(url, { waitUntil: 'load' });
  await page.waitForTimeout(300);
  const before = await page.evaluate(() => ({
    pageScriptRan: window.pageScriptRan === true,
    secondScriptRan: window.secondScript === 42,
    statusText: document.getElementById('status')?.textContent,
    statusColor: getComputedStyle(document.getElementById('status')).color,
    violations: window.__violations.slice(),
  }));
  // What an XSS would do: add an inline script and an inline event handler to the page.
  await page.evaluate(() => {
    const script = document.createElement('script');
    script.textContent = 'window.injected = true;';
    document.body.appendChild(script);
    const div = document.createElement('div');
    div.innerHTML = '<img src="data:," onerror="window.injectedHandler = true">';
    document.body.appendChild(div);
  });
  await page.waitForTimeout(500);
  const after = await page.evaluate(() => ({
    injectedRan: window.injected === true,
    injectedHandlerRan: window.injectedHandler === true,
    violations: window.__violations.slice(),
  }));
  // The browser uploads the violation report on its own schedule: poll the collector's summary
  // (served to loopback clients) while the browser stays open, bounded in time.
  const summaryUrl = new URL('/.well-known/gatehouse/csp-report', url).href;
  const started = Date.now();
  let summary = null;
  while (Date.now() - started < Number(process.env.REPORT_WAIT_MS || 20000)) {
    const reply = await context.request.get(summaryUrl);
    summary = reply.ok() ? await reply.json() : { status: reply.status() };
    if ((summary.violations ?? []).some(v => v.blocked === 'inline')) break;
    await page.waitForTimeout(250);
  }
  console.log(JSON.stringify({ status: response.status(), csp: (await response.allHeaders())['content-security-policy'] ?? null,
    before, after, reportWaitMs: Date.now() - started, summary, console: console_ }));
} finally {
  clearTimeout(deadline);
  if (context) await context.close();
  rmSync(profile, { recursive: true, force: true });
}
