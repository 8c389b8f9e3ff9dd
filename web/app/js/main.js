// The app's shell: who is logged in, the navigation for their roles, the
// pages by URL fragment (#/...), and the dialog that renews an expired
// session without leaving the page.
import { h, clear, field, status } from './dom.js';
import { api, login, logout, refreshSession, onSessionExpired, ApiError } from './api.js';
import { myMentorshipsPage, mentorshipPage } from './pages/mentorships.js';
import { accountPage } from './pages/account.js';
import { programsPage, programPage, auditPage } from './pages/manager.js';
import { dashboardPage } from './pages/dashboard.js';
import { personPage } from './pages/edit.js';
import { proposalsPage } from './pages/proposals.js';
import { schedulePage } from './pages/schedule.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
export const app = { me: null, rooms: null };

const isManager = () => app.me && (app.me.roles.includes('program_manager') || app.me.roles.includes('administrator'));
const isMember = () => app.me && (app.me.roles.includes('mentor') || app.me.roles.includes('mentee'));

// The login form, shared by the page and the dialog. onDone() after success.
export function loginForm({ email = '', lockEmail = false, onDone }) {
  const msg = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const button = h('button', { type: 'submit' }, 'Log in');
  const form = h('form', { class: 'login-form', novalidate: false },
    field({ label: 'Email', name: 'email', type: 'email', value: email, required: true,
      attrs: { autocomplete: 'username', readonly: lockEmail } }),
    field({ label: 'Password', name: 'password', type: 'password', required: true,
      attrs: { autocomplete: 'current-password' } }),
    button, msg);
  let timer = null;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const email = form.elements.email.value.trim();
    const password = form.elements.password.value;
    button.disabled = true;
    status(msg, 'Logging in…');
    try {
      await login(email, password);
      form.elements.password.value = '';
      status(msg, '');
      button.disabled = false;
      await onDone();
    } catch (e) {
      if (e instanceof ApiError && e.status === 429) {
        // Throttled: say so, and count down until the next try is allowed.
        let left = Math.max(1, e.retryAfter || 1);
        const tick = () => {
          status(msg, `Too many failed attempts. You can try again in ${left} s.`, 'warn');
          if (left-- <= 0) { clearInterval(timer); status(msg, 'You can try again now.'); button.disabled = false; }
        };
        clearInterval(timer);
        tick();
        timer = setInterval(tick, 1000);
        return;
      }
      status(msg, e.status === 401 ? 'Wrong email or password.' : e.message, 'error');
      button.disabled = false;
    }
  });
  return form;
}

function showLogin() {
  renderNav();
  clear(main);
  main.append(h('section', { class: 'login card' }, h('h1', {}, 'Log in to MentorXR'),
    loginForm({ onDone: async () => { await loadMe(); route(); } })));
  main.querySelector('input')?.focus();
}

// Session expiry: a modal dialog over the untouched page; every call that
// got 401 waits for it and is then retried.
let pendingRelogin = null;
onSessionExpired(() => {
  if (pendingRelogin) return pendingRelogin;
  const dialog = document.getElementById('relogin');
  const slot = document.getElementById('relogin-form');
  pendingRelogin = new Promise((resolve) => {
    slot.replaceWith(Object.assign(loginForm({
      email: app.me?.email || '', lockEmail: !!app.me,
      onDone: async () => { dialog.close(); pendingRelogin = null; resolve(); },
    }), { id: 'relogin-form' }));
    dialog.addEventListener('cancel', (ev) => ev.preventDefault());  // the page needs a session
    dialog.showModal();
    dialog.querySelector('input[type=password]').focus();
  });
  return pendingRelogin;
});

function renderNav() {
  clear(nav);
  if (!app.me) return;
  const links = [];
  if (isMember()) links.push(['#/', 'My mentorships']);
  links.push(['#/schedule', 'Schedule']);
  if (isManager()) links.push(['#/programs', 'Programs'], ['#/audit', 'Audit']);
  links.push(['#/account', 'My account']);
  const here = location.hash || '#/';
  for (const [href, text] of links) {
    nav.append(h('a', { href, 'aria-current': here === href ? 'page' : null }, text));
  }
  nav.append(h('span', { class: 'me' }, app.me.name || app.me.email),
    h('button', { type: 'button', onclick: async () => { await logout(); app.me = null; showLogin(); } }, 'Log out'));
}

async function loadMe() {
  const s = await refreshSession();
  app.me = s ? s.person : null;
  app.rooms = s ? s.rooms : null;
  return app.me;
}

const routes = [
  [/^#\/?$/, () => (isMember() || !isManager() ? myMentorshipsPage : programsPage)],
  [/^#\/m\/(\d+)$/, () => mentorshipPage],
  [/^#\/account$/, () => accountPage],
  [/^#\/schedule$/, () => schedulePage],
  [/^#\/programs$/, () => programsPage],
  [/^#\/programs\/(\d+)$/, () => programPage],
  [/^#\/programs\/(\d+)\/dashboard$/, () => dashboardPage],
  [/^#\/programs\/(\d+)\/proposals$/, () => proposalsPage],
  [/^#\/audit$/, () => auditPage],
  [/^#\/people\/(\d+)$/, () => personPage],
];

export async function route() {
  if (!app.me) return showLogin();
  renderNav();
  const hash = location.hash || '#/';
  clear(main);
  for (const [re, page] of routes) {
    const m = hash.match(re);
    if (!m) continue;
    try {
      await page()(main, ...m.slice(1).map(Number));
    } catch (e) {
      main.append(h('p', { class: 'status error', role: 'alert' }, `Could not load this page: ${e.message}`));
    }
    const title = main.querySelector('h1');
    document.title = title ? `${title.textContent} · MentorXR` : 'MentorXR';
    main.focus();
    return;
  }
  main.append(h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/' }, 'Back to the start')));
}

window.addEventListener('hashchange', route);
(async () => {
  try {
    await loadMe();
  } catch (e) {
    clear(main).append(h('p', { class: 'status error', role: 'alert' }, `The server did not answer: ${e.message}`));
    return;
  }
  route();
})();
export { api };
