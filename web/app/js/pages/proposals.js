// Matching proposals of a program (its managers and administrators; issue
// 18): propose pairs for the whole pool, read why each pair was proposed
// and how fit is spread over the mentees, approve or reject pair by pair
// (approving creates the mentorship). Everything shown is text nodes.
import { h, field } from '../dom.js';
import { api, ApiError } from '../api.js';
import { route } from '../main.js';
import { badge, kindText, guarded } from './common.js';

function fairnessText(f) {
  if (!f || !f.matched) return 'No mentee could be matched.';
  return `${f.matched} matched${f.unmatched ? `, ${f.unmatched} left unmatched` : ''}; fit (0–1000): worst ${f.min}, ` +
    `10th percentile ${f.p10}, median ${f.median}, mean ${f.mean}, best ${f.max}.`;
}

function pairRow(p) {
  const msg = h('span', { class: 'status', role: 'status' });
  const decide = (decision) => async () => {
    if (await guarded(msg, () => api('PATCH', `/match_proposals/${p.id}`, { decision }), 'Saved.')) route();
  };
  const who = `${p.mentor_name} → ${p.mentee_name}`;
  const actions = p.decision === 'pending'
    ? h('td', {},
      h('button', { type: 'button', 'aria-label': `Approve ${who}`, onclick: decide('approved') }, 'Approve'), ' ',
      h('button', { type: 'button', class: 'secondary', 'aria-label': `Reject ${who}`, onclick: decide('rejected') }, 'Reject'),
      msg)
    : h('td', {}, p.mentorship_id ? h('a', { href: `#/m/${p.mentorship_id}` }, 'Mentorship') : '—');
  return h('tr', {}, h('td', {}, p.mentor_name || `person ${p.mentor_id}`), h('td', {}, p.mentee_name || `person ${p.mentee_id}`),
    h('td', {}, String(p.score)), h('td', {}, p.explanation), h('td', {}, badge(p.decision)), actions);
}

export async function proposalsPage(main, id) {
  const program = await api('GET', `/programs/${id}`);
  main.append(h('h1', {}, `Matching proposals: ${program.name}`),
    h('p', {}, h('a', { href: `#/programs/${id}` }, `Back to ${program.name}`)));
  const msg = h('p', { class: 'status', role: 'status' });
  const keep = h('input', { type: 'checkbox', id: 'keep-existing', name: 'keep_existing', checked: true });
  const form = h('form', { class: 'card', id: 'propose-form' }, h('h2', {}, 'Propose pairs for the whole program'),
    h('div', { class: 'field' }, h('label', { for: 'keep-existing' }, keep, ' Keep the current pairs')),
    field({ label: 'Week whose time zones count', name: 'week_of', type: 'date' }),
    h('button', { type: 'submit' }, 'Propose pairs'), msg);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { keep_existing: keep.checked };
    const week = form.querySelector('[name=week_of]').value;
    if (week) body.week_of = week;
    if (await guarded(msg, () => api('POST', `/programs/${id}/proposals`, body), 'Proposed.')) route();
  });
  main.append(form);
  let proposal = null;
  try {
    proposal = await api('GET', `/programs/${id}/proposals`);
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 404) throw e;
  }
  if (!proposal) {
    main.append(h('p', { class: 'muted', id: 'no-proposal' }, 'No proposal yet.'));
    return;
  }
  main.append(h('section', { 'aria-labelledby': 'batch-h' },
    h('h2', { id: 'batch-h' }, `Proposal ${proposal.batch}`),
    h('p', { id: 'fairness' }, fairnessText(proposal.fairness)),
    proposal.pairs.length
      // Focusable: a narrow screen scrolls it sideways by keyboard too.
      ? h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': 'Proposed pairs' }, h('table', { id: 'proposal' },
        h('caption', {}, `Proposed ${kindText(proposal.pairs[0].kind)} pairs, with why`),
        h('thead', {}, h('tr', {}, ['Mentor', 'Mentee', 'Fit', 'Why', 'Decision', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, proposal.pairs.map(pairRow))))
      : h('p', { class: 'muted' }, 'This proposal has no pairs.')));
}
