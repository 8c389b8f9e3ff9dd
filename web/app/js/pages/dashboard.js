// The program's health: goal completion, sessions per pair per month, time
// from pairing to first session, feedback ratings over time, mentor load,
// and the pairs that need attention. Every chart is also a table and a CSV.
//
// Data: GET /programs/{id}/dashboard (the program's mentorships, goals,
// sessions and ratings without any free text, and the mentors' names, in
// one read transaction) and the program's attention list, aggregated here. Chart.js is Debian's libjs-chart.js,
// served by the session server as /vendor/chart.min.js.
import { h, download, toCsv } from '../dom.js';
import { api } from '../api.js';
import { nameOf, names } from './common.js';
import { reasonText } from './manager.js';

export const OVERLOAD = 3;  // active mentees per mentor beyond which a mentor is overloaded
const ATTENTION_ROWS = 25;  // pairs listed on the dashboard before "Show all"

const month = (ts) => (ts ? String(ts).slice(0, 7) : null);
const dayMs = 86400000;
const median = (xs) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x, n = 2) => (x === null || Number.isNaN(x) ? null : Math.round(x * 10 ** n) / 10 ** n);

function lastMonths(n, now = new Date()) {
  const out = [];
  for (let i = n - 1; i >= 0; i--) {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1));
    out.push(d.toISOString().slice(0, 7));
  }
  return out;
}

// Pure aggregation (tested through the page): records -> figures.
export function aggregate({ mentorships, goals, sessions, feedback }, now = new Date()) {
  const months = lastMonths(12, now);
  const held = sessions.filter((s) => s.started_at);
  const sessionById = new Map(sessions.map((s) => [s.id, s]));

  const goalStatus = { open: 0, achieved: 0, abandoned: 0 };
  for (const g of goals) goalStatus[g.status] = (goalStatus[g.status] || 0) + 1;
  const completion = goals.length ? goalStatus.achieved / goals.length : null;

  const perMonth = months.map((m) => {
    const pairs = mentorships.filter((x) => month(x.created_at) <= m && x.status !== 'proposed').length;
    const count = held.filter((s) => month(s.started_at) === m).length;
    return { month: m, sessions: count, pairs, perPair: pairs ? round(count / pairs) : null };
  });

  const firstHeld = new Map();
  for (const s of held) {
    const t = Date.parse(s.started_at);
    if (!firstHeld.has(s.mentorship_id) || t < firstHeld.get(s.mentorship_id)) firstHeld.set(s.mentorship_id, t);
  }
  const buckets = [['0–7 days', 0, 7], ['8–14 days', 8, 14], ['15–30 days', 15, 30], ['31–60 days', 31, 60], ['over 60 days', 61, Infinity]];
  const waits = [];
  const waitRows = buckets.map(([label]) => ({ label, pairs: 0 }));
  let noneYet = 0;
  for (const m of mentorships) {
    if (!firstHeld.has(m.id)) { noneYet++; continue; }
    const days = Math.max(0, Math.floor((firstHeld.get(m.id) - Date.parse(m.created_at)) / dayMs));
    waits.push(days);
    waitRows[buckets.findIndex(([, lo, hi]) => days >= lo && days <= hi)].pairs++;
  }
  waitRows.push({ label: 'no session yet', pairs: noneYet });

  const ratingMonths = new Map(months.map((m) => [m, []]));
  for (const f of feedback) {
    const s = sessionById.get(f.session_id);
    const m = month(s ? s.started_at || s.scheduled_at : f.created_at);
    if (!ratingMonths.has(m)) continue;
    ratingMonths.get(m).push((f.rating_goal_progress + f.rating_communication + f.rating_trust_respect + f.rating_usefulness) / 4);
  }
  const ratings = months.map((m) => {
    const xs = ratingMonths.get(m);
    return { month: m, mean: xs.length ? round(xs.reduce((a, b) => a + b, 0) / xs.length) : null, count: xs.length };
  });

  const load = new Map();
  for (const m of mentorships) {
    if (m.status !== 'active') continue;
    for (const mentor of m.mentors) load.set(mentor, (load.get(mentor) || 0) + m.mentees.length);
  }
  const mentorLoad = [...load.entries()].map(([id, mentees]) => ({ id, mentees })).sort((a, b) => b.mentees - a.mentees);

  return {
    activePairs: mentorships.filter((m) => m.status === 'active').length,
    pairs: mentorships.length, goalStatus, completion, perMonth, waitRows,
    medianWait: median(waits), ratings, mentorLoad,
    overloaded: mentorLoad.filter((x) => x.mentees > OVERLOAD).length,
  };
}

let chartSeq = 0;
// A chart with its table and CSV: spec {title, type, labels, series: [{label, data}], header, rows, file}.
function chartBlock(spec) {
  const id = `chart-${++chartSeq}`;
  const canvas = h('canvas', { id, role: 'img', 'aria-label': `${spec.title} (the table below has the figures)` });
  const table = h('table', {}, h('caption', {}, spec.title),
    h('thead', {}, h('tr', {}, spec.header.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, spec.rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c ?? '—'))))));
  const section = h('section', { class: 'card', 'aria-labelledby': `${id}-h`, 'data-chart': spec.file },
    h('h2', { id: `${id}-h` }, spec.title),
    h('div', { class: 'chart' }, canvas),
    h('details', { open: !window.Chart }, h('summary', {}, 'As a table'), h('div', { class: 'table-wrap' }, table)),
    h('button', { type: 'button', class: 'secondary', onclick: () => download(`${spec.file}.csv`, toCsv(spec.header, spec.rows), 'text/csv') },
      `Download ${spec.title} as CSV`));
  section.draw = () => {
    if (!window.Chart) return;
    const colors = ['#1f5f8b', '#c4501b', '#3c8d2f', '#7d3c98'];
    // eslint-disable-next-line no-new
    new window.Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: spec.series.map((s, i) => ({ label: s.label, data: s.data, borderColor: colors[i], backgroundColor: colors[i], spanGaps: true })) },
      options: { animation: false, responsive: true, maintainAspectRatio: false,
        scales: spec.yMax ? { y: { min: 0, max: spec.yMax } } : { y: { beginAtZero: true } } },
    });
  };
  return section;
}

// Chart.js is loaded async beside the app: resolves once it ran (or failed).
function chartJsReady() {
  const el = document.getElementById('chartjs');
  if (window.Chart || !el) return Promise.resolve();
  return new Promise((resolve) => {
    el.addEventListener('load', resolve, { once: true });
    el.addEventListener('error', resolve, { once: true });
  });
}

export async function dashboardPage(main, id) {
  performance.clearMarks();
  performance.mark('mxr-dashboard-start');
  const [data, attention] = await Promise.all([api('GET', `/programs/${id}/dashboard`), api('GET', `/programs/${id}/attention`),
    chartJsReady()]);
  performance.mark('mxr-dashboard-data');  // the figures' "data_ms": both answers (and Chart.js) are in
  const program = { name: data.name };
  const mentorships = data.mentorships;
  const byId = new Map(data.people.map((p) => [p.id, p]));
  const a = aggregate(data);

  main.append(h('h1', {}, `Dashboard: ${program.name}`),
    h('div', { class: 'kpis' },
      h('div', { class: 'kpi' }, h('strong', { id: 'kpi-pairs' }, a.activePairs), 'active pairs'),
      h('div', { class: 'kpi' }, h('strong', { id: 'kpi-completion' }, a.completion === null ? '—' : `${Math.round(a.completion * 100)}%`), 'goals achieved'),
      h('div', { class: 'kpi' }, h('strong', {}, a.medianWait === null ? '—' : `${a.medianWait} d`), 'median time from pairing to first session'),
      h('div', { class: 'kpi' }, h('strong', {}, attention.mentorships.length), 'pairs need attention'),
      h('div', { class: 'kpi' }, h('strong', {}, a.overloaded), `mentors with more than ${OVERLOAD} mentees`)));

  const pairById = new Map(mentorships.map((m) => [m.id, m]));
  const att = attention.mentorships.map((x) => {
    const m = pairById.get(x.mentorship_id);
    return [m ? names(byId, m.mentors) : '', m ? names(byId, m.mentees) : '', x.status, x.reasons.map(reasonText).join('; ')];
  });
  const attHeader = ['Mentors', 'Mentees', 'Status', 'Why'];
  // The first rows at once, the rest on request (and all in the CSV): a
  // program with hundreds of drifting pairs would otherwise lay out a
  // table of hundreds of rows before the charts.
  const attRow = (r) => h('tr', {}, r.map((c) => h('td', {}, c)));
  const attBody = h('tbody', {}, att.slice(0, ATTENTION_ROWS).map(attRow));
  const showAll = att.length > ATTENTION_ROWS
    ? h('button', { type: 'button', class: 'secondary', 'aria-controls': 'attention',
      onclick: () => { attBody.append(...att.slice(ATTENTION_ROWS).map(attRow)); showAll.remove(); } },
    `Show all ${att.length} pairs`)
    : null;
  main.append(h('section', { class: 'card', 'aria-labelledby': 'att-h', 'data-chart': 'attention' },
    h('h2', { id: 'att-h' }, 'Pairs with falling ratings or no recent meeting'),
    att.length ? h('div', { class: 'table-wrap' }, h('table', { id: 'attention' },
      h('thead', {}, h('tr', {}, attHeader.map((t) => h('th', { scope: 'col' }, t)))), attBody))
      : h('p', { class: 'muted' }, 'No pair needs attention.'),
    showAll,
    h('button', { type: 'button', class: 'secondary', onclick: () => download('attention.csv', toCsv(attHeader, att), 'text/csv') },
      'Download the attention list as CSV')));

  const blocks = [
    chartBlock({ title: 'Goal completion', file: 'goal-completion', type: 'bar', labels: Object.keys(a.goalStatus),
      series: [{ label: 'goals', data: Object.values(a.goalStatus) }], header: ['Status', 'Goals'],
      rows: Object.entries(a.goalStatus) }),
    chartBlock({ title: 'Sessions per pair per month', file: 'sessions-per-pair', type: 'line', labels: a.perMonth.map((r) => r.month),
      series: [{ label: 'sessions per pair', data: a.perMonth.map((r) => r.perPair) }], header: ['Month', 'Sessions held', 'Pairs', 'Per pair'],
      rows: a.perMonth.map((r) => [r.month, r.sessions, r.pairs, r.perPair]) }),
    chartBlock({ title: 'Time from pairing to first session', file: 'time-to-first-session', type: 'bar', labels: a.waitRows.map((r) => r.label),
      series: [{ label: 'pairs', data: a.waitRows.map((r) => r.pairs) }], header: ['Wait', 'Pairs'],
      rows: a.waitRows.map((r) => [r.label, r.pairs]) }),
    chartBlock({ title: 'Feedback ratings over time', file: 'ratings', type: 'line', yMax: 5, labels: a.ratings.map((r) => r.month),
      series: [{ label: 'mean rating (1–5)', data: a.ratings.map((r) => r.mean) }], header: ['Month', 'Mean rating', 'Feedback entries'],
      rows: a.ratings.map((r) => [r.month, r.mean, r.count]) }),
    chartBlock({ title: 'Mentor load', file: 'mentor-load', type: 'bar', labels: a.mentorLoad.slice(0, 20).map((x) => nameOf(byId, x.id)),
      series: [{ label: 'active mentees', data: a.mentorLoad.slice(0, 20).map((x) => x.mentees) }], header: ['Mentor', 'Active mentees', 'Overloaded'],
      rows: a.mentorLoad.map((x) => [nameOf(byId, x.id), x.mentees, x.mentees > OVERLOAD ? 'yes' : 'no']) }),
  ];
  main.append(h('div', { class: 'grid two' }, blocks));
  for (const b of blocks) b.draw();
  performance.mark('mxr-dashboard-ready');
  performance.measure('mxr-dashboard', 'mxr-dashboard-start', 'mxr-dashboard-ready');
}
