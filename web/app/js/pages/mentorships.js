// Mentees and mentors: my mentorships, and one mentorship's goals,
// milestones, sessions, feedback and room.
import { h, field, formData, fmtDate, fmtTime } from '../dom.js';
import { api, listAll } from '../api.js';
import { app, route } from '../main.js';
import { peopleById, nameOf, names, badge, kindText, guarded, changeText } from './common.js';

export async function myMentorshipsPage(main) {
  main.append(h('h1', {}, 'My mentorships'));
  const [mentorships, people] = await Promise.all([listAll('/mentorships'), peopleById()]);
  if (!mentorships.length) {
    main.append(h('p', { class: 'muted' }, 'You are in no mentorship yet. Your program manager pairs you.'));
    return;
  }
  const list = h('ul', { class: 'plain' });
  for (const m of mentorships) {
    list.append(h('li', { class: 'card' },
      h('h2', {}, h('a', { href: `#/m/${m.id}` }, `${names(people, m.mentors)} → ${names(people, m.mentees)}`)),
      h('p', {}, badge(m.status), ' ', kindText(m.kind), ' · since ', fmtDate(m.created_at))));
  }
  main.append(list);
}

export async function mentorshipPage(main, id) {
  const [m, people, goals, sessions] = await Promise.all([
    api('GET', `/mentorships/${id}`), peopleById(),
    listAll(`/goals?mentorship_id=${id}`), listAll(`/sessions?mentorship_id=${id}`)]);
  main.append(h('h1', {}, `${names(people, m.mentors)} → ${names(people, m.mentees)}`),
    h('p', {}, badge(m.status), ' ', kindText(m.kind), m.end_reason ? ` · ended: ${m.end_reason}` : ''));
  main.append(roomCard(m));
  const goalsSection = h('section', { 'aria-labelledby': 'goals-h' }, h('h2', { id: 'goals-h' }, 'Goals'));
  for (const g of goals) goalsSection.append(await goalCard(g));
  goalsSection.append(newGoalForm(id));
  main.append(goalsSection);

  const now = new Date().toISOString();
  const upcoming = sessions.filter((s) => !s.started_at && s.scheduled_at >= now.slice(0, 19) + 'Z');
  const past = sessions.filter((s) => !upcoming.includes(s)).reverse();
  const sessSection = h('section', { 'aria-labelledby': 'sessions-h' }, h('h2', { id: 'sessions-h' }, 'Sessions'),
    h('h3', {}, 'Upcoming'), upcoming.length ? upcoming.map((s) => sessionCard(s, m, people)) : h('p', { class: 'muted' }, 'None planned.'),
    newSessionForm(m),
    h('h3', {}, 'Past'), past.length ? past.map((s) => sessionCard(s, m, people)) : h('p', { class: 'muted' }, 'None yet.'));
  main.append(sessSection);
}

function roomCard(m) {
  const host = location.hostname;
  const port = app.rooms?.udp_port || 7777;
  const room = `mentorship-${m.id}`;
  const cmd = `mentorxr --server ${host}:${port} --room ${room} --login ${app.me.email}`;
  const msg = h('span', { class: 'status', role: 'status' });
  return h('section', { class: 'card', 'aria-labelledby': 'room-h' }, h('h2', { id: 'room-h' }, 'Join the room'),
    h('p', {}, 'Meet in VR, AR or a desktop window: the session is recorded from room presence.'),
    h('code', { class: 'cmd', id: 'join-cmd' }, cmd),
    h('div', { class: 'row' },
      h('button', { type: 'button', onclick: async () => {
        try { await navigator.clipboard.writeText(cmd); msg.textContent = 'Copied.'; } catch { msg.textContent = 'Select the command and copy it.'; }
      } }, 'Copy the command'),
      h('a', { href: `mentorxr://join?server=${encodeURIComponent(`${host}:${port}`)}&room=${room}&login=${encodeURIComponent(app.me.email)}` },
        'Open in MentorXR'),
      msg));
}

async function goalCard(g) {
  const milestones = await listAll(`/milestones?goal_id=${g.id}`);
  const msg = h('p', { class: 'status', role: 'status' });
  const form = h('form', {},
    field({ label: 'Title', name: 'title', value: g.title, required: true }),
    field({ label: 'Success criteria', name: 'success_criteria', type: 'textarea', value: g.success_criteria || '' }),
    h('div', { class: 'grid three' },
      field({ label: 'Target date', name: 'target_date', type: 'date', value: g.target_date || '' }),
      field({ label: 'Progress (%)', name: 'progress', type: 'number', value: g.progress, attrs: { min: 0, max: 100 } }),
      field({ label: 'Status', name: 'status', type: 'select', value: g.status,
        options: [['open', 'open'], ['achieved', 'achieved'], ['abandoned', 'abandoned']] })),
    h('div', { class: 'row' }, h('button', { type: 'submit' }, 'Save goal'),
      h('button', { type: 'button', class: 'secondary', onclick: () => save({ status: 'achieved', progress: 100 }) }, 'Mark done')),
    msg);
  const save = async (extra = {}) => {
    const body = formData(form, { keep: ['success_criteria'] });
    body.progress = Number(body.progress);
    if (!body.target_date) delete body.target_date;
    if (await guarded(msg, () => api('PATCH', `/goals/${g.id}`, { ...body, ...extra }), 'Saved.')) route();
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); save(); });
  const ms = h('ul', { class: 'plain' }, milestones.map((x) => milestoneItem(x)));
  const newMs = h('form', { class: 'row' },
    field({ label: 'New milestone', name: 'title', required: true }),
    field({ label: 'Due', name: 'due_date', type: 'date' }),
    h('button', { type: 'submit' }, 'Add milestone'));
  const msMsg = h('p', { class: 'status', role: 'status' });
  newMs.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (await guarded(msMsg, () => api('POST', '/milestones', { goal_id: g.id, ...formData(newMs) }), 'Added.')) route();
  });
  return h('article', { class: 'card goal', 'data-goal': g.id },
    h('h3', {}, g.title, ' ', badge(g.status)),
    h('p', {}, h('progress', { max: 100, value: g.progress, 'aria-label': `Progress of ${g.title}` }), ` ${g.progress}%`,
      g.target_date ? ` · target ${fmtDate(g.target_date)}` : ''),
    h('details', {}, h('summary', {}, 'Edit'), form),
    h('h4', {}, 'Milestones'), ms, newMs, msMsg);
}

function milestoneItem(x) {
  const msg = h('span', { class: 'status', role: 'status' });
  const done = !!x.done_at;
  return h('li', { class: 'row' },
    h('span', {}, done ? '✔ ' : '○ ', x.title, x.due_date ? ` (due ${fmtDate(x.due_date)})` : ''),
    h('button', { type: 'button', class: 'secondary', onclick: async () => {
      const body = { done_at: done ? null : new Date().toISOString().slice(0, 19) + 'Z' };
      if (await guarded(msg, () => api('PATCH', `/milestones/${x.id}`, body))) route();
    } }, done ? `Reopen “${x.title}”` : `Mark “${x.title}” done`), msg);
}

function newGoalForm(mentorshipId) {
  const msg = h('p', { class: 'status', role: 'status' });
  const form = h('form', { class: 'card', id: 'new-goal' }, h('h3', {}, 'New goal'),
    field({ label: 'Title', name: 'title', required: true }),
    field({ label: 'Success criteria', name: 'success_criteria', type: 'textarea' }),
    field({ label: 'Target date', name: 'target_date', type: 'date' }),
    h('button', { type: 'submit' }, 'Add goal'), msg);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (await guarded(msg, () => api('POST', '/goals', { mentorship_id: mentorshipId, ...formData(form) }), 'Added.')) route();
  });
  return form;
}

function newSessionForm(m) {
  const msg = h('p', { class: 'status', role: 'status' });
  const form = h('form', { class: 'card' }, h('h3', {}, 'Plan a session'),
    field({ label: 'When (UTC)', name: 'scheduled_at', type: 'datetime-local', required: true }),
    field({ label: 'Agenda', name: 'agenda', type: 'textarea' }),
    h('button', { type: 'submit' }, 'Plan it'), msg);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = formData(form);
    body.scheduled_at = `${body.scheduled_at.slice(0, 16)}:00Z`;
    if (await guarded(msg, () => api('POST', '/sessions', { mentorship_id: m.id, ...body }), 'Planned.')) route();
  });
  return form;
}

function sessionCard(s, m, people) {
  const msg = h('p', { class: 'status', role: 'status' });
  const form = h('form', {},
    field({ label: 'Agenda', name: 'agenda', type: 'textarea', value: s.agenda || '' }),
    field({ label: 'Notes', name: 'notes', type: 'textarea', value: s.notes || '' }),
    h('button', { type: 'submit' }, 'Save'), msg);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    await guarded(msg, () => api('PATCH', `/sessions/${s.id}`, formData(form, { keep: ['agenda', 'notes'] })), 'Saved.');
  });
  const fb = h('div', {}, h('button', { type: 'button', class: 'secondary', onclick: async (ev) => {
    ev.target.remove();
    fb.append(await feedbackBlock(s, m, people));
  } }, 'Feedback'));
  return h('article', { class: 'card session' },
    h('h4', {}, fmtTime(s.started_at || s.scheduled_at), s.source === 'room' ? ' · in the room' : '', changeText(s)),
    h('p', { class: 'muted' }, 'Attendees: ', names(people, s.attendees)),
    h('details', {}, h('summary', {}, 'Agenda and notes'), form), fb);
}

async function feedbackBlock(s, m, people) {
  const items = await listAll(`/feedback?session_id=${s.id}`);
  const others = [...m.mentors, ...m.mentees].filter((id) => id !== app.me.id);
  const msg = h('p', { class: 'status', role: 'status' });
  const rating = (name, label) => field({ label, name, type: 'select', value: 4,
    options: [[1, '1'], [2, '2'], [3, '3'], [4, '4'], [5, '5']] });
  const form = h('form', {}, h('h5', {}, 'Give feedback'),
    field({ label: 'About', name: 'subject_id', type: 'select', options: others.map((id) => [id, nameOf(people, id)]) }),
    h('div', { class: 'grid two' }, rating('rating_goal_progress', 'Goal progress'), rating('rating_communication', 'Communication'),
      rating('rating_trust_respect', 'Trust and respect'), rating('rating_usefulness', 'Usefulness')),
    field({ label: 'Text', name: 'text', type: 'textarea' }),
    field({ label: 'Who may read it', name: 'visibility', type: 'select', value: 'pair',
      options: [['pair', 'the pair and the program managers'], ['program_manager_only', 'the program managers only']] }),
    h('button', { type: 'submit' }, 'Send feedback'), msg);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const b = formData(form);
    for (const k of ['subject_id', 'rating_goal_progress', 'rating_communication', 'rating_trust_respect', 'rating_usefulness']) b[k] = Number(b[k]);
    if (await guarded(msg, () => api('POST', '/feedback', { session_id: s.id, ...b }), 'Sent.')) route();
  });
  const list = h('ul', { class: 'plain' }, items.map((f) => h('li', {},
    h('strong', {}, nameOf(people, f.author_id)), ' about ', nameOf(people, f.subject_id), ': ',
    `progress ${f.rating_goal_progress}, communication ${f.rating_communication}, trust ${f.rating_trust_respect}, usefulness ${f.rating_usefulness}`,
    f.visibility === 'program_manager_only' ? ' (managers only)' : '',
    f.text ? h('blockquote', {}, f.text) : null)));
  return h('div', {}, items.length ? list : h('p', { class: 'muted' }, 'No feedback you may read.'), others.length ? form : null);
}
