// Everyone's schedule (issue 18): the next session and its room, every
// session of my mentorships (cancel or move one, with a reason), a
// recurring series planned for a pair (and the clashes the server finds),
// meeting times that suit every member this week, my sessions as an
// iCalendar file and a secret calendar address to subscribe to.
// Everything shown is text nodes.
import { h, field, clear, fmtTime, download } from '../dom.js';
import { api, listAll } from '../api.js';
import { app } from '../main.js';
import { peopleById, names, guarded, changeText } from './common.js';

// The RRULE of the plan form: weekly, every two weeks or the rule typed,
// ending after a number of meetings or on a date (RFC 5545 3.3.10).
export function ruleOf({ repeat, rrule, count, until }) {
  let rule = repeat === 'custom' ? String(rrule || '').trim() : repeat === 'biweekly' ? 'FREQ=WEEKLY;INTERVAL=2' : 'FREQ=WEEKLY';
  if (repeat === 'once') return '';
  if (!/(^|;)(COUNT|UNTIL)=/i.test(rule)) {
    if (until) rule += `;UNTIL=${until.replaceAll('-', '')}T235959Z`;
    else if (count) rule += `;COUNT=${count}`;
  }
  return rule;
}

function planForm(mine, pairOf, onPlanned) {
  const msg = h('p', { class: 'status', role: 'status' });
  const result = h('div', { id: 'plan-result', 'aria-live': 'polite' });
  const zone = app.me.time_zone || Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const form = h('form', { class: 'card', id: 'plan-form', 'aria-labelledby': 'plan-h' },
    h('h2', { id: 'plan-h' }, 'Plan meetings'),
    field({ label: 'Pair', name: 'mentorship', type: 'select', options: mine.map((m) => [m.id, pairOf(m.id)]), required: true }),
    field({ label: 'First meeting (local time)', name: 'start', type: 'datetime-local', required: true }),
    field({ label: 'Time zone', name: 'time_zone', value: zone, required: true, hint: 'The first meeting\'s local time is in this zone, e.g. Europe/Madrid; later meetings keep the local time across daylight-saving changes.' }),
    field({ label: 'Repeats', name: 'repeat', type: 'select', value: 'weekly',
      options: [['weekly', 'Every week'], ['biweekly', 'Every two weeks'], ['custom', 'By the custom rule'], ['once', 'Only once']] }),
    field({ label: 'Custom rule (RFC 5545 RRULE)', name: 'rrule', hint: 'Used when repeating by the custom rule, e.g. FREQ=MONTHLY;BYDAY=1TU;COUNT=6.' }),
    field({ label: 'Number of meetings', name: 'count', type: 'number', value: '6', attrs: { min: 1, max: 52 } }),
    field({ label: 'Or until (date)', name: 'until', type: 'date', hint: 'A date here ends the series instead of the number.' }),
    field({ label: 'Skip these dates', name: 'skip', hint: 'Dates with no meeting, YYYY-MM-DD, separated by commas.' }),
    field({ label: 'Agenda (optional)', name: 'agenda' }),
    h('button', { type: 'submit' }, 'Plan meetings'), msg, result);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const v = Object.fromEntries(new FormData(form).entries());
    const time = v.start.slice(11, 16);
    const body = { start: v.start.slice(0, 16), time_zone: v.time_zone.trim() };
    const rrule = ruleOf(v);
    if (rrule) body.rrule = rrule;
    const skip = v.skip.split(',').map((d) => d.trim()).filter(Boolean);
    if (skip.length) body.exceptions = skip.map((d) => `${d}T${time}`);
    if (v.agenda.trim()) body.agenda = v.agenda.trim();
    clear(result);
    const r = await guarded(msg, () => api('POST', `/mentorships/${v.mentorship}/schedule`, body), '');
    if (!r) return;
    msg.textContent = `Planned ${r.sessions.length} meeting${r.sessions.length === 1 ? '' : 's'}` +
      (r.conflicts.length ? `; ${r.conflicts.length} clash${r.conflicts.length === 1 ? '' : 'es'} with another session.` : '; no clashes.');
    result.append(h('ul', { class: 'plain', id: 'planned' }, r.sessions.map((s) => h('li', {}, fmtTime(s.scheduled_at)))));
    if (r.conflicts.length) {
      result.append(h('h3', {}, 'Clashes'), h('ul', { class: 'plain', id: 'conflicts' }, r.conflicts.map((c) => h('li', {},
        `${fmtTime(c.scheduled_at)} clashes with another session of one of you (${String(c.other_session).replace(/@.*/, '').replace('-', ' ')}).`))));
    }
    await onPlanned();
  });
  return form;
}

// Cancel or move one session: the reason is required for both.
function changeForm(s, label, onChanged) {
  const msg = h('span', { class: 'status', role: 'status' });
  const form = h('form', { class: 'inline-change' },
    field({ label: 'Reason', name: 'reason', required: true, attrs: { maxlength: 4000 } }),
    field({ label: 'New start (UTC)', name: 'when', type: 'datetime-local' }),
    h('button', { type: 'submit', name: 'do', value: 'reschedule' }, 'Move'), ' ',
    h('button', { type: 'submit', name: 'do', value: 'cancel', class: 'secondary' }, 'Cancel the session'), msg);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const reason = form.elements.reason.value.trim();
    const what = ev.submitter?.value || 'reschedule';
    if (!reason) {
      msg.className = 'status error';
      msg.textContent = 'Say why (reason).';
      form.elements.reason.focus();
      return;
    }
    const body = { reason };
    if (what === 'reschedule') {
      const when = form.elements.when.value;
      if (!when) {
        msg.className = 'status error';
        msg.textContent = 'Choose the new start (New start).';
        form.elements.when.focus();
        return;
      }
      body.scheduled_at = `${when.slice(0, 16)}:00Z`;
    }
    if (await guarded(msg, () => api('POST', `/sessions/${s.id}/${what}`, body), 'Saved.')) await onChanged();
  });
  return h('details', {}, h('summary', {}, `Cancel or move: ${label}`), form);
}

function feedSection() {
  const msg = h('p', { class: 'status', role: 'status' });
  const out = h('div', { id: 'feed-out' });
  const show = (path) => {
    const url = new URL(path, location.origin).href;
    const copyMsg = h('span', { class: 'status', role: 'status' });
    const input = h('input', { id: 'feed-url', type: 'text', readonly: true, value: url });
    clear(out).append(h('div', { class: 'field' }, h('label', { for: 'feed-url' }, 'Your calendar address (shown this once)'), input),
      h('button', { type: 'button', onclick: async () => {
        try {
          await navigator.clipboard.writeText(url);
          copyMsg.textContent = 'Copied.';
        } catch {
          input.select();
          copyMsg.textContent = 'Selected: copy it with Ctrl+C.';
        }
      } }, 'Copy the address'), ' ', copyMsg);
  };
  return h('section', { class: 'card', 'aria-labelledby': 'feed-h' }, h('h2', { id: 'feed-h' }, 'Calendar subscription'),
    h('p', {}, 'A private address your calendar application subscribes to, so your sessions (and every change to them) appear there. ' +
      'Anyone who has the address can read your sessions: keep it secret. It is shown once; a new one replaces the old, ' +
      'which stops working, and you can turn it off.'),
    h('p', {},
      h('button', { type: 'button', onclick: async () => {
        const r = await guarded(msg, () => api('POST', `/people/${app.me.id}/calendar_feed`), 'A new address is ready; any earlier one no longer works.');
        if (r) show(r.path);
      } }, 'Make a new address'), ' ',
      h('button', { type: 'button', class: 'secondary', onclick: async () => {
        const r = await guarded(msg, () => api('DELETE', `/people/${app.me.id}/calendar_feed`), '');
        if (!r) return;
        clear(out);
        msg.textContent = r.revoked ? 'Turned off: the address no longer works.' : 'There was no address to turn off.';
      } }, 'Turn the address off')),
    msg, out);
}

export async function schedulePage(main) {
  main.append(h('h1', {}, 'Schedule'));
  const [mentorships, people] = await Promise.all([listAll('/mentorships'), peopleById()]);
  const pairOf = (id) => {
    const m = mentorships.find((x) => x.id === id);
    return m ? `${names(people, m.mentors)} → ${names(people, m.mentees)}` : `mentorship ${id}`;
  };
  const open = mentorships.filter((m) => m.status !== 'ended');
  const nextBox = h('section', { class: 'card', 'aria-labelledby': 'next-h' });
  const listBox = h('section', { 'aria-labelledby': 'all-h' });

  const refresh = async () => {
    const sessions = (await Promise.all(mentorships.map((m) => listAll(`/sessions?mentorship_id=${m.id}`)))).flat();
    sessions.sort((a, b) => a.scheduled_at.localeCompare(b.scheduled_at));
    const now = new Date().toISOString().slice(0, 19) + 'Z';
    const next = sessions.find((s) => s.scheduled_at >= now && !s.ended_at && s.status !== 'cancelled');
    clear(nextBox).append(h('h2', { id: 'next-h' }, 'Next session'),
      next
        ? h('p', { id: 'next-session' }, `${fmtTime(next.scheduled_at)}: ${pairOf(next.mentorship_id)}, room mentorship-${next.mentorship_id}`)
        : h('p', { class: 'muted', id: 'next-session' }, 'No session planned.'));
    clear(listBox).append(h('h2', { id: 'all-h' }, 'All sessions'),
      sessions.length
        ? h('ul', { class: 'plain', id: 'sessions' }, sessions.map((s) => {
          const text = `${fmtTime(s.scheduled_at)}: ${pairOf(s.mentorship_id)}${s.agenda ? ` (${s.agenda})` : ''}${changeText(s)}`;
          const changeable = s.status !== 'cancelled' && !s.started_at && s.scheduled_at >= now;
          return h('li', {}, h('span', { class: 'session-text' }, text),
            changeable ? changeForm(s, fmtTime(s.scheduled_at), refresh) : null);
        }))
        : h('p', { class: 'muted' }, 'No sessions yet.'));
  };
  await refresh();
  main.append(nextBox);

  const icsMsg = h('p', { class: 'status', role: 'status' });
  main.append(h('p', {}, h('button', { type: 'button', onclick: async () => {
    const text = await guarded(icsMsg, () => api('GET', `/people/${app.me.id}/calendar.ics`), 'Downloaded.');
    if (text) download('mentorxr.ics', text, 'text/calendar');
  } }, 'Download my calendar (.ics)'), icsMsg));

  main.append(listBox);
  if (open.length) main.append(planForm(open, pairOf, refresh));
  main.append(feedSection());

  main.append(h('section', { 'aria-labelledby': 'times-h' }, h('h2', { id: 'times-h' }, 'Times that suit everyone this week'),
    h('ul', { class: 'plain', id: 'meeting-times' }, open.map((m) => {
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
