// My account: password, my data (the right of access), erasure.
import { h, field, download } from '../dom.js';
import { api, listAll } from '../api.js';
import { app } from '../main.js';
import { guarded } from './common.js';

export async function accountPage(main) {
  const me = app.me;
  main.append(h('h1', {}, 'My account'),
    h('p', {}, h('strong', {}, me.name), ` · ${me.email} · ${me.roles.join(', ')}`),
    h('p', {}, h('a', { href: `#/people/${me.id}` }, 'Edit my profile')));

  const pwMsg = h('p', { class: 'status', role: 'status' });
  const pw = h('form', { class: 'card' }, h('h2', {}, 'Change my password'),
    field({ label: 'New password', name: 'password', type: 'password', required: true,
      hint: 'At least 10 characters. Your other sessions end.', attrs: { minlength: 10, autocomplete: 'new-password' } }),
    field({ label: 'Repeat it', name: 'again', type: 'password', required: true, attrs: { autocomplete: 'new-password' } }),
    h('button', { type: 'submit' }, 'Change password'), pwMsg);
  pw.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const { password, again } = pw.elements;
    if (password.value !== again.value) {
      pwMsg.className = 'status error';
      pwMsg.textContent = 'The two passwords differ.';
      return;
    }
    if (await guarded(pwMsg, () => api('PATCH', `/people/${me.id}`, { password: password.value }), 'Password changed.')) pw.reset();
  });

  const exMsg = h('p', { class: 'status', role: 'status' });
  const exportBox = h('section', { class: 'card' }, h('h2', {}, 'My data'),
    h('p', {}, 'Download everything MentorXR keeps about you that you may read: your profile, mentorships, goals, milestones, sessions and feedback.'),
    h('button', { type: 'button', onclick: async () => {
      const data = await guarded(exMsg, () => exportMine(me), 'Downloaded.');
      if (data) download(`mentorxr-my-data-${me.id}.json`, JSON.stringify(data, null, 2), 'application/json');
    } }, 'Download my data (JSON)'), exMsg);

  const erMsg = h('p', { class: 'status', role: 'status' });
  const erase = h('form', { class: 'card' }, h('h2', {}, 'Erase my account'),
    h('p', {}, 'Your name, email, profile and every text you wrote are erased; ratings and dates stay in the program\'s figures without your name. This cannot be undone.'),
    field({ label: 'Type ERASE to confirm', name: 'confirm', required: true }),
    h('button', { type: 'submit', class: 'danger' }, 'Erase my account'), erMsg);
  erase.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (erase.elements.confirm.value !== 'ERASE') {
      erMsg.className = 'status error';
      erMsg.textContent = 'Type ERASE (capitals) to confirm.';
      return;
    }
    if (await guarded(erMsg, () => api('DELETE', `/people/${me.id}`), 'Erased.')) location.reload();
  });
  main.append(h('div', { class: 'grid two' }, pw, exportBox), erase);
}

async function exportMine(me) {
  const out = { exported_at: new Date().toISOString(), person: await api('GET', `/people/${me.id}`), mentorships: [] };
  for (const m of await listAll('/mentorships')) {
    const goals = await listAll(`/goals?mentorship_id=${m.id}`);
    for (const g of goals) g.milestones = await listAll(`/milestones?goal_id=${g.id}`);
    const sessions = await listAll(`/sessions?mentorship_id=${m.id}`);
    for (const s of sessions) s.feedback = await listAll(`/feedback?session_id=${s.id}`);
    out.mentorships.push({ ...m, goals, sessions });
  }
  return out;
}
