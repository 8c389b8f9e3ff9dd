// Debian's Chromium, headless, driven by playwright-core (never a
// downloaded browser), and axe-core injected into pages for accessibility.
import { readFileSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const CHROMIUM = process.env.MXR_CHROMIUM || '/usr/bin/chromium';

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 900 };

export async function launch() {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run tools/dev.sh setup (Debian package chromium)`);
  return chromium.launch({
    executablePath: CHROMIUM, headless: true,
    // As root Chromium needs --no-sandbox; the rest keeps it off the
    // network (this machine has none) and quiet.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

// A page that records console errors, CSP violations and failed requests.
export async function newPage(browser, viewport) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  page.problems = [];
  // HTTP errors the app handles (401 before login or at expiry, 4xx shown
  // to the person) are asserted on the page; anything else (a CSP refusal,
  // a script error) is a problem.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) page.problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
  return { context, page };
}

// axe-core on the page as it is now: serious and critical violations.
export async function axe(page) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export function artifactsDir() {
  const dir = process.env.MXR_WEB_ARTIFACTS || new URL('./artifacts/', import.meta.url).pathname;
  mkdirSync(dir, { recursive: true });
  return dir;
}
