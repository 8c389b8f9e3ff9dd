// Helpers shared by the pages.
import { h } from '../dom.js';
import { listAll } from '../api.js';

// id -> person, for names (only the people the caller may see).
export async function peopleById() {
  const people = await listAll('/people');
  return new Map(people.map((p) => [p.id, p]));
}

export const nameOf = (people, id) => {
  const p = people.get(id);
  if (!p) return `person ${id}`;
  return p.erased_at ? `(erased person ${id})` : p.name;
};

export const names = (people, ids) => (ids || []).map((id) => nameOf(people, id)).join(', ') || '—';

export const badge = (text) => h('span', { class: `badge ${text}` }, String(text).replaceAll('_', ' '));

// " (moved: <reason>)" / " (cancelled: <reason>)" after a session, or "".
export function changeText(s) {
  const why = s.change_reason ? `: ${s.change_reason}` : '';
  if (s.status === 'cancelled') return ` (cancelled${why})`;
  return s.sequence > 0 ? ` (moved${why})` : '';
}

export const kindText = (k) => String(k).replaceAll('_', ' ');

// Runs fn, showing progress and errors in msg; returns fn's result or null.
export async function guarded(msg, fn, done = '') {
  msg.className = 'status';
  msg.textContent = 'Saving…';
  try {
    const r = await fn();
    msg.className = 'status ok';
    msg.textContent = done;
    return r;
  } catch (e) {
    msg.className = 'status error';
    msg.textContent = e.field ? `${e.message} (${e.field})` : e.message;
    return null;
  }
}
