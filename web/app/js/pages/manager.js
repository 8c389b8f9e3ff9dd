// Program managers (and administrators): programs, people, pairing,
// the attention list and the audit trail.
import { h, field, formData, fmtDate, fmtTime } from '../dom.js';
import { api, listAll } from '../api.js';
import { route } from '../main.js';
import { peopleById, nameOf, names, badge, kindText, guarded } from './common.js';
import { programEditForm } from './edit.js';

export async function programsPage(main) {
  main.append(h('h1', {}, 'Programs'));
  const programs = await listAll('/programs');
  const list = h('ul', { class: 'plain' }, programs.map((p) => h('li', { class: 'card' },
    h('h2', {}, h('a', { href: `#/programs/${p.id}` }, p.name)),
    p.description ? h('p', {}, p.description) : null,
    h('p', {}, h('a', { href: `#/programs/${p.id}/dashboard` }, `Dashboard of ${p.name}`)))));
  const msg = h('p', { class: 'status', role: 'status' });
  const form = h('form', { class: 'card' }, h('h2', {}, 'New program'),
    field({ label: 'Name', name: 'name', required: true }),
    field({ label: 'Description', name: 'description', type: 'textarea' }),
    h('button', { type: 'submit' }, 'Create program'), msg);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (await guarded(msg, () => api('POST', '/programs', formData(form)), 'Created.')) route();
  });
  main.append(programs.length ? list : h('p', { class: 'muted' }, 'You manage no program yet.'), form);
}

const REASONS = {
  no_recent_session: (r) => `no session for ${r.days_without} days${r.last_held_at ? ` (last ${fmtDate(r.last_held_at)})` : ''}`,
  falling_ratings: (r) => `ratings falling from ${r.earlier_average.toFixed(1)} to ${r.recent_average.toFixed(1)}`,
  overdue_milestone: (r) => `milestone overdue since ${fmtDate(r.due_date)}`,
};
export const reasonText = (r) => (REASONS[r.kind] ? REASONS[r.kind](r) : r.kind);

export async function programPage(main, id) {
  const [program, mentorships, people, attention] = await Promise.all([
    api('GET', `/programs/${id}`), listAll(`/mentorships?program_id=${id}`), peopleById(),
    api('GET', `/programs/${id}/attention`)]);
  main.append(h('h1', {}, program.name),
    program.description ? h('p', { id: 'program-description' }, program.description) : null,
    h('p', {}, h('a', { href: `#/programs/${id}/dashboard` }, 'Dashboard of the program\'s health')),
    h('p', {}, h('a', { href: `#/programs/${id}/proposals` }, 'Matching proposals')),
    programEditForm(program));

  main.append(h('section', { 'aria-labelledby': 'att-h' }, h('h2', { id: 'att-h' }, 'Needs attention'),
    attention.mentorships.length
      ? h('ul', { class: 'plain', id: 'attention' }, attention.mentorships.map((a) => {
        const m = mentorships.find((x) => x.id === a.mentorship_id);
        return h('li', {}, h('strong', {}, m ? `${names(people, m.mentors)} → ${names(people, m.mentees)}` : `mentorship ${a.mentorship_id}`),
          ': ', a.reasons.map(reasonText).join('; '));
      }))
      : h('p', { class: 'muted' }, 'No pair needs attention.')));

  const rows = mentorships.map((m) => mentorshipRow(m, people));
  main.append(h('section', { 'aria-labelledby': 'ms-h' }, h('h2', { id: 'ms-h' }, 'Mentorships'),
    h('div', { class: 'table-wrap' }, h('table', { id: 'mentorships' },
      h('thead', {}, h('tr', {}, ['Mentors', 'Mentees', 'Kind', 'Status', 'Since', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows)))));

  // The people of this program: its pairs' members and its own members.
  const inProgram = new Set([...(program.members || []), ...mentorships.flatMap((m) => [...m.mentors, ...m.mentees])]);
  const members = [...people.values()].filter((p) => inProgram.has(p.id));
  main.append(h('section', { 'aria-labelledby': 'people-h' }, h('h2', { id: 'people-h' }, 'People'),
    h('div', { class: 'table-wrap' }, h('table', { id: 'people' },
      h('thead', {}, h('tr', {}, ['Name', 'Email', 'Roles', 'Pairs here', 'Profile'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, members.map((p) => h('tr', {},
        h('td', {}, p.erased_at ? '(erased)' : p.name), h('td', {}, p.email || '—'), h('td', {}, p.roles.join(', ')),
        h('td', {}, mentorships.filter((m) => m.mentors.includes(p.id) || m.mentees.includes(p.id)).length),
        h('td', {}, p.erased_at ? '—' : h('a', { href: `#/people/${p.id}`, 'aria-label': `Edit the profile of ${p.name}` }, 'Edit')))))))));

  const candidates = [...people.values()].filter((p) => !p.erased_at);
  const opts = (role) => candidates.filter((p) => p.roles.includes(role)).map((p) => [p.id, `${p.name} <${p.email}>`]);
  const pairMsg = h('p', { class: 'status', role: 'status' });
  const pair = h('form', { class: 'card', id: 'pair-form' }, h('h3', {}, 'Pair a mentor and a mentee'),
    field({ label: 'Mentor', name: 'mentor', type: 'select', options: opts('mentor'), required: true }),
    field({ label: 'Mentee', name: 'mentee', type: 'select', options: opts('mentee'), required: true }),
    field({ label: 'Kind', name: 'kind', type: 'select', value: 'one_to_one',
      options: ['one_to_one', 'reverse', 'peer', 'job_shadowing', 'group'].map((k) => [k, kindText(k)]) }),
    h('button', { type: 'submit' }, 'Pair them'), pairMsg);
  pair.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const b = formData(pair);
    const body = { program_id: id, kind: b.kind, status: 'active', mentors: [Number(b.mentor)], mentees: [Number(b.mentee)] };
    if (await guarded(pairMsg, () => api('POST', '/mentorships', body), 'Paired.')) route();
  });

  const personMsg = h('p', { class: 'status', role: 'status' });
  const person = h('form', { class: 'card', id: 'person-form' }, h('h3', {}, 'Add a person to this program'),
    field({ label: 'Name', name: 'name', required: true }),
    field({ label: 'Email', name: 'email', type: 'email', required: true }),
    field({ label: 'Role', name: 'role', type: 'select', options: [['mentee', 'mentee'], ['mentor', 'mentor']] }),
    field({ label: 'First password', name: 'password', type: 'password', required: true,
      hint: 'At least 10 characters; they change it in My account.', attrs: { minlength: 10, autocomplete: 'new-password' } }),
    h('button', { type: 'submit' }, 'Add person'), personMsg);
  person.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const b = formData(person);
    const body = { name: b.name, email: b.email, roles: [b.role], password: b.password, program_id: id };
    if (await guarded(personMsg, () => api('POST', '/people', body), 'Added.')) route();
  });
  main.append(h('div', { class: 'grid two' }, pair, person));
}

function mentorshipRow(m, people) {
  const msg = h('span', { class: 'status', role: 'status' });
  const set = (body) => async () => {
    if (await guarded(msg, () => api('PATCH', `/mentorships/${m.id}`, body))) route();
  };
  const pairName = `${names(people, m.mentors)} and ${names(people, m.mentees)}`;
  const actions = [];
  if (m.status === 'active') actions.push(h('button', { type: 'button', class: 'secondary', onclick: set({ status: 'paused' }), 'aria-label': `Pause ${pairName}` }, 'Pause'));
  if (m.status === 'paused' || m.status === 'proposed') actions.push(h('button', { type: 'button', class: 'secondary', onclick: set({ status: 'active' }), 'aria-label': `Activate ${pairName}` }, 'Activate'));
  if (m.status !== 'ended') {
    const end = h('form', { class: 'row' },
      field({ label: `Reason to end (${pairName})`, name: 'end_reason', required: true }),
      h('button', { type: 'submit', class: 'danger' }, 'End'));
    end.addEventListener('submit', (ev) => { ev.preventDefault(); set({ status: 'ended', end_reason: end.elements.end_reason.value })(); });
    actions.push(h('details', {}, h('summary', {}, 'End…'), end));
  }
  return h('tr', { 'data-mentorship': m.id },
    h('td', {}, names(people, m.mentors)), h('td', {}, names(people, m.mentees)), h('td', {}, kindText(m.kind)),
    h('td', {}, badge(m.status), m.end_reason ? h('div', { class: 'muted' }, m.end_reason) : null),
    h('td', {}, fmtDate(m.created_at)), h('td', {}, h('div', { class: 'row' }, actions, msg)));
}

export async function auditPage(main, _unused, after = 0) {
  main.append(h('h1', {}, 'Audit trail'),
    h('p', { class: 'muted' }, 'Who changed what, when: the events of your programs and their people (field names, never values).'));
  const people = await peopleById();
  const tbody = h('tbody');
  const more = h('button', { type: 'button', class: 'secondary' }, 'Older events');
  let cursor = after;
  const load = async () => {
    const page = await api('GET', `/audit?after=${cursor}&limit=200`);
    for (const e of page.items) {
      tbody.append(h('tr', {}, h('td', {}, fmtTime(e.at)), h('td', {}, e.actor_id === 0 ? 'the server' : nameOf(people, e.actor_id)),
        h('td', {}, e.action), h('td', {}, `${e.entity} ${e.entity_id}`), h('td', {}, (e.fields || []).join(', '))));
      cursor = e.id;
    }
    more.hidden = page.items.length < 200;
  };
  more.addEventListener('click', load);
  main.append(h('div', { class: 'table-wrap' }, h('table', { id: 'audit' },
    h('thead', {}, h('tr', {}, ['When', 'Who', 'Action', 'Record', 'Fields'].map((t) => h('th', { scope: 'col' }, t)))), tbody)), more);
  await load();
}
