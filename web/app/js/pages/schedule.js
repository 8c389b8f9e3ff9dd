// Everyone's schedule (issue 18): the next session and its room, every
// session of my mentorships, meeting times that suit every member of a
// pair this week (their time zones and weekly windows), and my sessions as
// an iCalendar file. Everything shown is text nodes.
import { h, fmtTime, download } from '../dom.js';
import { api, listAll } from '../api.js';
import { app } from '../main.js';
import { peopleById, names, guarded } from './common.js';

export async function schedulePage(main) {
  main.append(h('h1', {}, 'Schedule'));
  const [mentorships, people] = await Promise.all([listAll('/mentorships'), peopleById()]);
  const sessions = (await Promise.all(mentorships.map((m) => listAll(`/sessions?mentorship_id=${m.id}`)))).flat();
  const pairOf = (id) => {
    const m = mentorships.find((x) => x.id === id);
    return m ? `${names(people, m.mentors)} → ${names(people, m.mentees)}` : `mentorship ${id}`;
  };
  sessions.sort((a, b) => a.scheduled_at.localeCompare(b.scheduled_at));
  const now = new Date().toISOString().slice(0, 19) + 'Z';
  const next = sessions.find((s) => s.scheduled_at >= now && !s.ended_at && s.status !== 'cancelled');
  main.append(h('section', { class: 'card', 'aria-labelledby': 'next-h' }, h('h2', { id: 'next-h' }, 'Next session'),
    next
      ? h('p', { id: 'next-session' }, `${fmtTime(next.scheduled_at)}: ${pairOf(next.mentorship_id)}, room mentorship-${next.mentorship_id}`)
      : h('p', { class: 'muted', id: 'next-session' }, 'No session planned.')));

  const icsMsg = h('p', { class: 'status', role: 'status' });
  main.append(h('p', {}, h('button', { type: 'button', onclick: async () => {
    const text = await guarded(icsMsg, () => api('GET', `/people/${app.me.id}/calendar.ics`), 'Downloaded.');
    if (text) download('mentorxr.ics', text, 'text/calendar');
  } }, 'Download my calendar (.ics)'), icsMsg));

  main.append(h('section', { 'aria-labelledby': 'all-h' }, h('h2', { id: 'all-h' }, 'All sessions'),
    sessions.length
      ? h('ul', { class: 'plain', id: 'sessions' }, sessions.map((s) => h('li', {},
        `${fmtTime(s.scheduled_at)}: ${pairOf(s.mentorship_id)}${s.agenda ? ` (${s.agenda})` : ''}` +
          (s.status === 'cancelled' ? ` (cancelled${s.change_reason ? `: ${s.change_reason}` : ''})` : ''))))
      : h('p', { class: 'muted' }, 'No sessions yet.')));

  main.append(h('section', { 'aria-labelledby': 'times-h' }, h('h2', { id: 'times-h' }, 'Times that suit everyone this week'),
    h('ul', { class: 'plain', id: 'meeting-times' }, mentorships.filter((m) => m.status !== 'ended').map((m) => {
      const out = h('span', { role: 'status' });
      const find = async () => {
        const r = await guarded(out, () => api('GET', `/mentorships/${m.id}/meeting_times?minutes=60`), '');
        if (!r) return;
        out.textContent = r.without_availability.length
          ? `${names(people, r.without_availability)} gave no weekly availability.`
          : r.starts.length ? r.starts.map(fmtTime).join('; ') : 'No common hour this week.';
      };
      return h('li', {}, h('button', { type: 'button', class: 'secondary', 'aria-label': `Find times for ${pairOf(m.id)}`,
        onclick: find }, 'Find times'), ' ', pairOf(m.id), ': ', out);
    }))));
}
