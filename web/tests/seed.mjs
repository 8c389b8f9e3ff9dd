// Real records through the API: a program with its manager, a mentor and a
// mentee (names with markup: the XSS cases), a pair with goals, sessions
// and feedback; and, for the figures, a program of 1,000 people and 500
// mentorships.
import { Api } from './server.mjs';

export const XSS = {
  mentorName: 'Ana <img src=x onerror="window.__xss=1">',
  goalTitle: '<script>window.__xss=2</script>Weld test',
  feedbackText: '"><svg onload="window.__xss=3"></svg> steady hands',
  programName: 'Apprentices <b onmouseover="window.__xss=4">2026</b>',
};
export const PW = 'a-long-password';

const iso = (d) => new Date(d).toISOString().slice(0, 19) + 'Z';
const daysAgo = (n) => iso(Date.now() - n * 86400000);

// A planned session of Ana's pair with Cleo a week ahead at 10:00 UTC: a
// series Ben plans at that time clashes with it (the schedule page names it).
const ahead = new Date(Date.now() + 7 * 86400000);
ahead.setUTCHours(10, 0, 0, 0);
export const CLASH_AT = iso(ahead);

export async function seedSmall(base) {
  const admin = await new Api(base).login('admin@example.org', 'adminpassword');
  const person = (name, email, roles) => admin.call('POST', '/people', { name, email, roles, password: PW });
  const manager = await person('Mia Manager', 'mia@example.org', ['program_manager']);
  const mentor = await person(XSS.mentorName, 'ana@example.org', ['mentor']);
  const mentee = await person('Ben Ode', 'ben@example.org', ['mentee']);
  const mentee2 = await person('Cleo Quiet', 'cleo@example.org', ['mentee']);
  const program = await admin.call('POST', '/programs', { name: XSS.programName, managers: [manager.id] });
  const pair = await admin.call('POST', '/mentorships', { program_id: program.id, kind: 'one_to_one', status: 'active',
    mentors: [mentor.id], mentees: [mentee.id] });
  // A pair with an overdue milestone: on the attention list.
  const pair2 = await admin.call('POST', '/mentorships', { program_id: program.id, kind: 'one_to_one', status: 'active',
    mentors: [mentor.id], mentees: [mentee2.id] });
  const ana = await new Api(base).login('ana@example.org', PW);
  const late = await ana.call('POST', '/goals', { mentorship_id: pair2.id, title: 'Read the manual' });
  await ana.call('POST', '/milestones', { goal_id: late.id, title: 'Chapter 1', due_date: daysAgo(10).slice(0, 10) });
  await ana.call('POST', '/sessions', { mentorship_id: pair2.id, scheduled_at: CLASH_AT, agenda: 'manual, chapter 2' });
  const goal = await ana.call('POST', '/goals', { mentorship_id: pair.id, title: XSS.goalTitle, success_criteria: 'certificate' });
  await ana.call('POST', '/milestones', { goal_id: goal.id, title: 'First seam' });
  const s = await ana.call('POST', '/sessions', { mentorship_id: pair.id, scheduled_at: daysAgo(3), started_at: daysAgo(3),
    ended_at: daysAgo(3), attendees: [mentor.id, mentee.id], agenda: 'safety first' });
  await ana.call('POST', '/feedback', { session_id: s.id, subject_id: mentee.id, rating_goal_progress: 4, rating_communication: 5,
    rating_trust_respect: 5, rating_usefulness: 4, text: XSS.feedbackText, visibility: 'pair' });
  return { manager, mentor, mentee, program, pair, goal };
}

// 1,000 people (one manager, 250 mentors, 749 mentees) and 500 mentorships
// with two goals, two sessions and one feedback each, over the last year.
export async function seedLarge(base) {
  const admin = await new Api(base).login('admin@example.org', 'adminpassword');
  const manager = await admin.call('POST', '/people', { name: 'Max Large', email: 'max@example.org', roles: ['program_manager'], password: PW });
  const program = await admin.call('POST', '/programs', { name: 'Large program', managers: [manager.id] });
  const mentors = [];
  const mentees = [];
  const people = [];
  for (let i = 0; i < 999; i++) {
    const mentor = i < 250;
    people.push(admin.call('POST', '/people', { name: `${mentor ? 'Mentor' : 'Mentee'} ${i}`, email: `p${i}@large.example`,
      roles: [mentor ? 'mentor' : 'mentee'], ...(mentor ? { password: PW } : {}) }).then((p) => (mentor ? mentors : mentees).push(p)));
    if (people.length >= 16) await Promise.all(people.splice(0));
  }
  await Promise.all(people);
  const logins = new Map();
  const as = async (mentor) => {
    if (!logins.has(mentor.id)) logins.set(mentor.id, new Api(base).login(mentor.email, PW));
    return logins.get(mentor.id);
  };
  const ops = [];
  for (let i = 0; i < 500; i++) {
    ops.push((async () => {
      const mentor = mentors[i % mentors.length];
      const mentee = mentees[i].id;
      const m = await admin.call('POST', '/mentorships', { program_id: program.id, kind: 'one_to_one', status: i % 10 ? 'active' : 'paused',
        mentors: [mentor.id], mentees: [mentee] });
      const pair = await as(mentor);
      for (let g = 0; g < 2; g++) {
        await pair.call('POST', '/goals', { mentorship_id: m.id, title: `Goal ${g} of pair ${i}`, status: (i + g) % 3 ? 'open' : 'achieved' });
      }
      for (let k = 0; k < 2; k++) {
        const at = daysAgo((i * 7 + k * 30) % 360 + 1);
        const s = await pair.call('POST', '/sessions', { mentorship_id: m.id, scheduled_at: at, started_at: at, ended_at: at,
          attendees: [mentor.id, mentee], agenda: `Session ${k}` });
        if (k === 0) {
          await pair.call('POST', '/feedback', { session_id: s.id, subject_id: mentee, rating_goal_progress: 1 + (i % 5),
            rating_communication: 4, rating_trust_respect: 5, rating_usefulness: 3 + (i % 3), text: 'ok' });
        }
      }
    })());
    if (ops.length >= 8) await Promise.all(ops.splice(0));
  }
  await Promise.all(ops);
  return { manager, program };
}
