// Editing a program (its managers and administrators) and a person's
// profile (the person, the managers of their programs, administrators),
// through PATCH /programs/{id} and PATCH /people/{id}: the server decides
// who may change what (a refusal is shown as its message), and everything
// typed comes back to the page as text nodes only.
import { h, field, formData } from '../dom.js';
import { api } from '../api.js';
import { app, route } from '../main.js';
import { guarded } from './common.js';

// "a, b ,c" -> ["a", "b", "c"]; the profile's lists are edited as one line.
const listOf = (s) => String(s || '').split(',').map((x) => x.trim()).filter(Boolean);

export function programEditForm(program) {
  const msg = h('p', { class: 'status', role: 'status' });
  const form = h('form', { id: 'program-edit-form' },
    field({ label: 'Program name', name: 'name', value: program.name, required: true }),
    field({ label: 'Program description', name: 'description', type: 'textarea', value: program.description || '' }),
    h('button', { type: 'submit' }, 'Save program'), msg);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const b = formData(form, { keep: ['description'] });
    const body = { name: b.name, description: b.description ? b.description : null };
    if (await guarded(msg, () => api('PATCH', `/programs/${program.id}`, body), 'Saved.')) route();
  });
  return h('details', { class: 'card' }, h('summary', {}, 'Edit this program'), form);
}

export async function personPage(main, id) {
  const person = await api('GET', `/people/${id}`);
  const self = app.me && app.me.id === id;
  main.append(h('h1', {}, self ? 'My profile' : `Profile of ${person.erased_at ? `(erased person ${id})` : person.name}`),
    h('p', { class: 'muted' }, `Roles: ${(person.roles || []).join(', ') || '—'}`));
  const msg = h('p', { class: 'status', role: 'status' });
  const form = h('form', { class: 'card', id: 'profile-form' },
    field({ label: 'Name', name: 'name', value: person.name, required: true }),
    field({ label: 'Email', name: 'email', type: 'email', value: person.email, required: true }),
    field({ label: 'Skills', name: 'skills', value: (person.skills || []).join(', '), hint: 'Separated by commas.' }),
    field({ label: 'Interests', name: 'interests', value: (person.interests || []).join(', '), hint: 'Separated by commas.' }),
    field({ label: 'Languages', name: 'languages', value: (person.languages || []).join(', '),
      hint: 'Language tags separated by commas, e.g. en, es.' }),
    field({ label: 'Time zone', name: 'time_zone', value: person.time_zone || '', hint: 'e.g. Europe/Madrid.' }),
    // Matching profile (issue 18): what the proposals are scored from.
    h('fieldset', {}, h('legend', {}, 'For matching'),
      field({ label: 'What I teach', name: 'skills_offered', value: (person.skills_offered || []).join(', '),
        hint: 'skill:level from 1 to 5, separated by commas, e.g. welding:4, cad:2.' }),
      field({ label: 'What I want to learn', name: 'skills_wanted', value: (person.skills_wanted || []).join(', '),
        hint: 'skill:level you want to reach, e.g. welding:3.' }),
      field({ label: 'My goals', name: 'goals_text', type: 'textarea', value: person.goals_text || '' }),
      field({ label: 'Weekly availability', name: 'availability', value: (person.availability || []).join(', '),
        hint: 'Windows in my time zone on quarter hours, e.g. Mon 09:00-12:00, Thu 14:30-16:00.' }),
      field({ label: 'Mentees I can take at once', name: 'mentor_capacity', type: 'number',
        value: person.mentor_capacity ?? '', attrs: { min: 0, max: 50 } }),
      field({ label: 'Team', name: 'team', value: person.team || '' })),
    h('button', { type: 'submit' }, 'Save profile'), msg);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const b = formData(form, { keep: ['skills', 'interests', 'languages', 'time_zone', 'skills_offered', 'skills_wanted',
      'goals_text', 'availability', 'mentor_capacity', 'team'] });
    const body = { name: b.name, email: b.email, skills: listOf(b.skills), interests: listOf(b.interests),
      languages: listOf(b.languages), time_zone: b.time_zone ? b.time_zone : null,
      skills_offered: listOf(b.skills_offered), skills_wanted: listOf(b.skills_wanted),
      goals_text: b.goals_text ? b.goals_text : null, availability: listOf(b.availability),
      mentor_capacity: b.mentor_capacity === '' ? null : Number(b.mentor_capacity), team: b.team ? b.team : null };
    if (await guarded(msg, () => api('PATCH', `/people/${id}`, body), 'Saved.')) {
      if (self) app.me = { ...app.me, name: body.name, email: body.email };
      route();
    }
  });
  main.append(person.erased_at ? h('p', { class: 'muted' }, 'This person\'s data was erased.') : form);
}
