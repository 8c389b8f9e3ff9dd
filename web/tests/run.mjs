// The web app in a real browser against the real server with real data.
//   MXR_SERVER_BINARY=build/dev/server/mentorxr-server node --test run.mjs
// MXR_WEB_SUITE=full adds both viewports for every journey and the
// dashboard figures with 1,000 people and 500 mentorships.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from './server.mjs';
import { seedSmall, seedLarge, XSS, PW, CLASH_AT } from './seed.mjs';
import { launch, newPage, axe, artifactsDir, PHONE, DESKTOP } from './browser.mjs';

const FULL = process.env.MXR_WEB_SUITE === 'full';
const binary = process.env.MXR_SERVER_BINARY;
let server;
let browser;
const shots = artifactsDir();

before(async () => {
  assert.ok(binary, 'MXR_SERVER_BINARY names the mentorxr-server to test');
  server = await startServer(binary);
  await seedSmall(server.base);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

// Keyboard only: the login form is focused, typed into, submitted with Enter.
async function loginByKeyboard(page, email, password) {
  await page.goto(server.base);
  await page.getByRole('heading', { name: 'Log in to MentorXR' }).waitFor();
  await page.keyboard.type(email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

// What every page must satisfy: no serious/critical axe violation, no
// script from the XSS cases ran, no error in the console; a screenshot.
async function checkPage(page, name) {
  await page.waitForLoadState('load');
  const violations = await axe(page);
  assert.deepEqual(violations, [], `${name}: axe ${JSON.stringify(violations, null, 1)}`);
  assert.equal(await page.evaluate(() => window.__xss), undefined, `${name}: an injected script ran`);
  assert.deepEqual(page.problems, [], `${name}: ${page.problems.join('\n')}`);
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

const utc = (t) => t.replace('T', ' ').replace('Z', ' UTC');
const plusDays = (t, n) => new Date(Date.parse(t) + n * 86400000).toISOString().slice(0, 19) + 'Z';

// On the schedule page: plan a series at the time Ana meets Cleo (the clash
// is named), cancel one meeting and move the other with a reason (required),
// and a calendar address that serves the calendar until it is turned off.
async function scheduleChanges(page, tag) {
  const plan = page.locator('#plan-form');
  await plan.getByLabel('First meeting (local time)').fill(CLASH_AT.slice(0, 16));
  await plan.getByLabel('Time zone').fill('UTC');
  await plan.getByLabel('Repeats').selectOption('biweekly');
  await plan.getByLabel('Number of meetings').fill('2');
  await plan.getByLabel('Agenda (optional)').fill(`series ${tag}`);
  await plan.getByRole('button', { name: 'Plan meetings' }).click();
  await plan.getByText('Planned 2 meetings; 1 clash with another session.').waitFor();
  assert.deepEqual(await page.locator('#planned li').allTextContents(), [utc(CLASH_AT), utc(plusDays(CLASH_AT, 14))]);
  assert.match(await page.locator('#conflicts li').textContent(),
    new RegExp(`^${utc(CLASH_AT)} clashes with another session of one of you \\(session \\d+\\)\\.$`));
  const series = page.locator('#sessions li', { hasText: `series ${tag}` });
  await series.nth(1).waitFor();
  assert.equal(await series.count(), 2);

  // Cancel the first: without a reason the form is not sent.
  const first = series.nth(0);
  await first.locator('summary').click();
  await first.getByRole('button', { name: 'Cancel the session' }).click();
  assert.ok(await first.getByLabel('Reason').evaluate((el) => el.validity.valueMissing), 'the reason is required');
  assert.doesNotMatch(await first.textContent(), /cancelled/);
  await first.getByLabel('Reason').fill('Ben is ill');
  await first.getByRole('button', { name: 'Cancel the session' }).click();
  await series.filter({ hasText: `series ${tag}) (cancelled: Ben is ill)` }).waitFor();
  // Move the second, by keyboard.
  const second = series.nth(1);
  await second.locator('summary').focus();
  await page.keyboard.press('Enter');
  await second.getByLabel('Reason').fill('booth booked');
  await second.getByLabel('New start (UTC)').fill(plusDays(CLASH_AT, 15).slice(0, 16));
  await second.getByRole('button', { name: 'Move', exact: true }).press('Enter');
  await page.locator('#sessions li', { hasText: `${utc(plusDays(CLASH_AT, 15))}: ` })
    .filter({ hasText: `series ${tag}) (moved: booth booked)` }).waitFor();

  // The calendar address: shown once, fetched without any cookie, then off.
  await page.getByRole('button', { name: 'Make a new address' }).click();
  const address = page.getByLabel('Your calendar address (shown this once)');
  await address.waitFor();
  const url = await address.inputValue();
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/api\/v1\/calendar\/[0-9a-f]{64}\.ics$/);
  const feed = await fetch(url);
  assert.equal(feed.status, 200);
  const ics = await feed.text();
  assert.match(ics, /^BEGIN:VCALENDAR\r\n/);
  assert.match(ics, /STATUS:CANCELLED/);
  assert.match(ics, /SEQUENCE:1/);
  await page.getByRole('button', { name: 'Copy the address' }).click();
  await page.getByText(/^(Copied\.|Selected: copy it with Ctrl\+C\.)$/).waitFor();
  await page.getByRole('button', { name: 'Turn the address off' }).click();
  await page.getByText('Turned off: the address no longer works.').waitFor();
  assert.equal(await address.count(), 0, 'the address is no longer shown');
  assert.equal((await fetch(url)).status, 404);
}

async function menteeJourney(viewport, tag) {
  const { context, page } = await newPage(browser, viewport);
  try {
    await loginByKeyboard(page, 'ben@example.org', PW);
    assert.equal(await page.evaluate(() => document.cookie), '', 'the session cookie is out of the scripts\' reach');
    await page.getByRole('heading', { name: 'My mentorships' }).waitFor();
    // The mentor's name with markup is shown as text.
    const pairLink = page.getByRole('link', { name: `${XSS.mentorName} → Ben Ode` });
    await pairLink.waitFor();
    await checkPage(page, `mentee-home-${tag}`);

    // Keyboard: focus the pair's link and follow it.
    await pairLink.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Goals' }).waitFor();
    await page.getByRole('heading', { name: XSS.goalTitle }).waitFor();
    assert.match(await page.locator('#join-cmd').textContent(), /--room mentorship-\d+ --login ben@example.org/);
    assert.match(await page.getByRole('link', { name: 'Open in MentorXR' }).getAttribute('href'),
      /^mentorxr:\/\/join\?server=127\.0\.0\.1%3A\d+&room=mentorship-\d+&login=ben%40example\.org$/);
    // The held session's (the schedule below adds upcoming ones, listed first).
    await page.locator('article.session', { hasText: 'safety first' }).getByRole('button', { name: 'Feedback' }).click();
    await page.getByText(XSS.feedbackText).waitFor();
    // Toggle the milestone (the full suite runs this journey twice).
    const markDone = page.getByRole('button', { name: 'Mark “First seam” done' });
    const reopen = page.getByRole('button', { name: 'Reopen “First seam”' });
    await markDone.or(reopen).waitFor();
    const wasDone = (await reopen.count()) > 0;
    await (wasDone ? reopen : markDone).click();
    await (wasDone ? markDone : reopen).waitFor();
    await checkPage(page, `mentee-mentorship-${tag}`);

    // The session ends while a goal is being typed: nothing typed is lost.
    const title = `Solder <i>joints</i> & "pipes" ${tag}`;
    const form = page.locator('#new-goal');
    await form.getByLabel('Title').fill(title);
    await form.getByLabel('Success criteria').fill('three clean joints');
    await context.clearCookies();
    await form.getByRole('button', { name: 'Add goal' }).click();
    const dialog = page.locator('#relogin');
    await dialog.getByLabel('Password').waitFor();
    assert.equal(await dialog.getByLabel('Email').inputValue(), 'ben@example.org');
    await dialog.getByLabel('Password').fill(PW);
    await dialog.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: title }).waitFor();
    assert.equal(await page.getByRole('heading', { name: title }).count(), 1, 'the goal was saved once');

    await page.getByRole('link', { name: 'My account' }).click();
    await page.getByRole('heading', { name: 'Change my password' }).waitFor();
    await checkPage(page, `mentee-account-${tag}`);
    // The right of access: everything the mentee may read, as JSON.
    const mine = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download my data (JSON)' }).click();
    const data = JSON.parse(await (await mine).createReadStream().then((st) => new Response(st).text()));
    assert.equal(data.person.email, 'ben@example.org');
    assert.ok(data.mentorships[0].goals.some((g) => g.title === XSS.goalTitle), 'my goals are in my data');

    // The schedule (issue 18): sessions of my pairs, times that suit both,
    // my calendar as iCalendar.
    await page.getByRole('link', { name: 'Schedule', exact: true }).click();
    await page.getByRole('heading', { name: 'Next session' }).waitFor();
    await page.locator('#sessions').getByText(/safety first/).waitFor();
    await page.getByRole('button', { name: /^Find times for / }).first().click();
    await page.locator('#meeting-times').getByText(/gave no weekly availability/).first().waitFor();
    const ics = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download my calendar (.ics)' }).click();
    const cal = await (await ics).createReadStream().then((st) => new Response(st).text());
    assert.match(cal, /^BEGIN:VCALENDAR\r\n/);
    assert.match(cal, /LOCATION:mentorship-\d+/);
    await scheduleChanges(page, tag);
    await checkPage(page, `mentee-schedule-${tag}`);
    // The pair's page says which sessions were cancelled or moved, and why.
    await page.getByRole('link', { name: 'My mentorships' }).click();
    await page.getByRole('link', { name: `${XSS.mentorName} → Ben Ode` }).click();
    await page.locator('article.session h4', { hasText: '(cancelled: Ben is ill)' }).first().waitFor();
    await page.locator('article.session h4', { hasText: '(moved: booth booked)' }).first().waitFor();

    // The CSP's Trusted Types make markup from strings impossible.
    const refused = await page.evaluate(() => {
      try { document.createElement('div').innerHTML = '<img src=x onerror="window.__xss=5">'; return false; } catch { return true; }
    });
    assert.ok(refused, 'innerHTML with a string is refused by the page\'s CSP');
  } finally {
    await context.close();
  }
}

async function managerJourney(viewport, tag) {
  const { context, page } = await newPage(browser, viewport);
  try {
    await loginByKeyboard(page, 'mia@example.org', PW);
    await page.getByRole('heading', { name: 'Programs' }).waitFor();
    await checkPage(page, `manager-programs-${tag}`);
    await page.getByRole('link', { name: XSS.programName, exact: true }).click();
    await page.getByRole('heading', { name: 'Needs attention' }).waitFor();
    // Cleo's pair never met: on the list, with the reason.
    await page.locator('#attention').getByText(/Cleo Quiet: milestone overdue since \d{4}-\d\d-\d\d/).waitFor();
    await checkPage(page, `manager-program-${tag}`);

    // A new mentee, paired with Ana.
    const person = page.locator('#person-form');
    await person.getByLabel('Name').fill(`Dora ${tag}`);
    await person.getByLabel('Email').fill(`dora-${tag}@example.org`);
    await person.getByLabel('First password').fill(PW);
    await person.getByRole('button', { name: 'Add person' }).click();
    const pair = page.locator('#pair-form');
    await pair.getByLabel('Mentee').selectOption({ label: `Dora ${tag} <dora-${tag}@example.org>` });
    await pair.getByRole('button', { name: 'Pair them' }).click();
    await page.locator('#people tr', { hasText: `dora-${tag}@example.org` }).waitFor();
    const row = page.locator('#mentorships tr', { hasText: `Dora ${tag}` });
    await row.getByText('active').waitFor();
    await row.getByRole('button', { name: /^Pause/ }).click();
    const paused = page.locator('#mentorships tr', { hasText: `Dora ${tag}` });
    await paused.getByText('paused').waitFor();
    // Ended, with the reason kept and shown.
    await paused.getByText('End…').click();
    await paused.getByRole('textbox').fill('moved to <another> site');
    await paused.getByRole('button', { name: 'End', exact: true }).click();
    const ended = page.locator('#mentorships tr', { hasText: `Dora ${tag}` });
    await ended.getByText('ended').waitFor();
    await ended.getByText('moved to <another> site').waitFor();

    await page.getByRole('link', { name: 'Dashboard of the program\'s health' }).click();
    await page.getByRole('heading', { name: /^Dashboard: / }).waitFor();
    await page.waitForFunction(() => performance.getEntriesByName('mxr-dashboard-ready').length === 1);
    assert.equal(await page.locator('section[data-chart] canvas').count(), 5);
    assert.ok(await page.evaluate(() => typeof window.Chart === 'function'), 'Chart.js loaded from the server');
    assert.equal(await page.locator('#kpi-pairs').textContent(), '2');  // Ana–Ben, Ana–Cleo (Dora's has ended)
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download Mentor load as CSV' }).click();
    const csv = await (await download).createReadStream().then((s) => new Response(s).text());
    assert.match(csv, /^Mentor,Active mentees,Overloaded\r\n/);
    assert.ok(csv.includes(XSS.mentorName.replaceAll('"', '""')), csv);
    await checkPage(page, `manager-dashboard-${tag}`);

    // Matching (issue 18): propose for the whole pool with the current pairs
    // set aside, read why a pair was proposed and the fit spread, reject it.
    await page.getByRole('link', { name: 'Programs', exact: true }).click();
    await page.getByRole('link', { name: XSS.programName, exact: true }).click();
    await page.getByRole('link', { name: 'Matching proposals' }).click();
    await page.getByRole('heading', { name: /^Matching proposals: / }).waitFor();
    const propose = page.locator('#propose-form');
    await propose.getByLabel('Keep the current pairs').uncheck();
    await propose.getByRole('button', { name: 'Propose pairs' }).click();
    const proposed = page.locator('#proposal tbody tr').first();
    await proposed.getByText(/named no skills to learn; availability not given/).waitFor();
    assert.match(await page.locator('#fairness').textContent(), /^1 matched; fit \(0–1000\): worst \d+/);
    await proposed.getByRole('button', { name: /^Reject / }).click();
    await page.locator('#proposal tbody tr').first().getByText('rejected').waitFor();
    await checkPage(page, `manager-proposals-${tag}`);

    await page.getByRole('link', { name: 'Audit' }).click();
    await page.locator('#audit tbody tr').first().waitFor();
    await checkPage(page, `manager-audit-${tag}`);
  } finally {
    await context.close();
  }
}

test('a mentee on a phone: login by keyboard, goals, milestones, feedback, session expiry keeps what was typed, schedule', () =>
  menteeJourney(PHONE, 'phone'));

test('a manager on a desktop: attention list, a new person paired, paused and ended, dashboard with CSV, matching proposal, audit', () =>
  managerJourney(DESKTOP, 'desktop'));

test('login throttling is shown with the time to wait', async () => {
  const { context, page } = await newPage(browser, PHONE);
  try {
    await page.goto(server.base);
    for (let i = 0; i < 4; i++) {
      await page.getByLabel('Email').fill('ben@example.org');
      await page.getByLabel('Password').fill('wrong-password');
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.locator('.status.error, .status.warn').waitFor();
      if (await page.getByText(/Too many failed attempts/).count()) break;
    }
    await page.getByText(/Too many failed attempts\. You can try again in \d+ s\./).waitFor();
    await checkPage(page, 'login-throttled-phone');
  } finally {
    await context.close();
  }
});

if (FULL) {
  test('full: the mentee on a desktop and the manager on a phone', async () => {
    await menteeJourney(DESKTOP, 'desktop');
    await managerJourney(PHONE, 'phone');
  });

  test('full: a mentee changes her password, then erases her account', async () => {
    const { context, page } = await newPage(browser, PHONE);
    try {
      await loginByKeyboard(page, 'cleo@example.org', PW);
      await page.getByRole('link', { name: 'My account' }).click();
      await page.getByLabel('New password').fill('another-long-password');
      await page.getByLabel('Repeat it').fill('another-long-password');
      await page.getByRole('button', { name: 'Change password' }).click();
      await page.getByText('Password changed.').waitFor();
      await page.getByLabel('Type ERASE to confirm').fill('ERASE');
      await page.getByRole('button', { name: 'Erase my account' }).click();
      await page.getByRole('heading', { name: 'Log in to MentorXR' }).waitFor();
      await page.getByLabel('Email').fill('cleo@example.org');
      await page.getByLabel('Password').fill('another-long-password');
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByText('Wrong email or password.').waitFor();
    } finally {
      await context.close();
    }
  });

  test('full: a manager edits a program and a person\'s profile; the edits are there after a reload, markup as text', async () => {
    const EDIT = {
      programName: 'Renamed <img src=x onerror="window.__xss=7"> program',
      description: 'For <script>window.__xss=8</script> welders & <b>fitters</b>',
      personName: 'Erin <svg onload="window.__xss=9"></svg> Edited',
      skills: ['welding', '<i>brazing</i>'],
    };
    const { context, page } = await newPage(browser, DESKTOP);
    try {
      await loginByKeyboard(page, 'mia@example.org', PW);
      await page.getByRole('heading', { name: 'Programs' }).waitFor();
      const create = page.locator('form', { hasText: 'New program' });
      await create.getByLabel('Name').fill('Program to edit');
      await create.getByRole('button', { name: 'Create program' }).click();
      await page.getByRole('link', { name: 'Program to edit', exact: true }).click();
      await page.getByRole('heading', { name: 'Program to edit' }).waitFor();

      await page.getByText('Edit this program').click();
      const edit = page.locator('#program-edit-form');
      await edit.getByLabel('Program name').fill(EDIT.programName);
      await edit.getByLabel('Program description').fill(EDIT.description);
      await edit.getByRole('button', { name: 'Save program' }).click();
      await page.getByRole('heading', { name: EDIT.programName, exact: true }).waitFor();

      // A person added here, then her profile edited through its page.
      const person = page.locator('#person-form');
      await person.getByLabel('Name').fill('Erin Plain');
      await person.getByLabel('Email').fill('erin@example.org');
      await person.getByLabel('First password').fill(PW);
      await person.getByRole('button', { name: 'Add person' }).click();
      await page.getByRole('link', { name: 'Edit the profile of Erin Plain' }).click();
      const profile = page.locator('#profile-form');
      await profile.getByLabel('Name').fill(EDIT.personName);
      await profile.getByLabel('Skills').fill(EDIT.skills.join(', '));
      await profile.getByLabel('Time zone').fill('Europe/Madrid');
      // The matching profile (issue 18): a malformed window is refused, naming the field.
      await profile.getByLabel('What I teach').fill('welding:4, <b>cad</b>:2');
      await profile.getByLabel('Weekly availability').fill('Mon 9-12');
      await profile.getByRole('button', { name: 'Save profile' }).click();
      await profile.getByText(/weekly windows on quarter hours.*\(availability\)/).waitFor();
      await profile.getByLabel('Weekly availability').fill('Mon 09:00-12:00, Thu 14:30-16:00');
      await profile.getByRole('button', { name: 'Save profile' }).click();
      await page.getByRole('heading', { name: `Profile of ${EDIT.personName}`, exact: true }).waitFor();

      // After a reload everything comes from the server again.
      await page.reload();
      await page.getByRole('heading', { name: `Profile of ${EDIT.personName}`, exact: true }).waitFor();
      assert.equal(await profile.getByLabel('Name').inputValue(), EDIT.personName);
      assert.equal(await profile.getByLabel('Skills').inputValue(), EDIT.skills.join(', '));
      assert.equal(await profile.getByLabel('Time zone').inputValue(), 'Europe/Madrid');
      assert.equal(await profile.getByLabel('What I teach').inputValue(), 'welding:4, <b>cad</b>:2');
      assert.equal(await profile.getByLabel('Weekly availability').inputValue(), 'Mon 09:00-12:00, Thu 14:30-16:00');
      await checkPage(page, 'manager-profile-edit-desktop');
      await page.goBack();
      await page.reload();
      await page.getByRole('heading', { name: EDIT.programName, exact: true }).waitFor();
      assert.equal(await page.locator('#program-description').textContent(), EDIT.description);
      await page.locator('#people td', { hasText: EDIT.personName }).waitFor();
      await page.getByText('Edit this program').click();
      assert.equal(await edit.getByLabel('Program name').inputValue(), EDIT.programName);
      await checkPage(page, 'manager-program-edit-desktop');
      await page.getByRole('link', { name: 'Programs', exact: true }).click();
      await page.getByRole('link', { name: EDIT.programName, exact: true }).waitFor();
      assert.equal(await page.evaluate(() => window.__xss), undefined, 'no edited markup ran');
    } finally {
      await context.close();
    }
  });

  test('full: dashboard of 1,000 people and 500 mentorships (figures)', { timeout: 600000 }, async () => {
    const t0 = Date.now();
    const { program } = await seedLarge(server.base);
    const seedSeconds = (Date.now() - t0) / 1000;
    const runs = [];
    let page;
    let context;
    for (let i = 0; i < 3; i++) {
      // A cold first load each time: a fresh browser context (empty cache)
      // whose cookie comes from /web/login, then the dashboard's URL.
      await context?.close();
      ({ context, page } = await newPage(browser, DESKTOP));
      const res = await context.request.post(`${server.base}/web/login`, { data: { email: 'max@example.org', password: PW } });
      assert.equal(res.status(), 200);
      await page.goto(`${server.base}/#/programs/${program.id}/dashboard`);
      await page.waitForFunction(() => performance.getEntriesByName('mxr-dashboard-ready').length === 1, null, { timeout: 60000 });
      runs.push(await page.evaluate(() => {
        // Times from the start of the navigation (performance's time origin).
        const ready = performance.getEntriesByName('mxr-dashboard-ready')[0].startTime;
        const api = performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/v1/') || e.name.includes('/web/'));
        const all = performance.getEntriesByType('resource');
        const nav = performance.getEntriesByType('navigation')[0];
        return {
          first_render_ms: Math.round(ready),
          app_started_ms: Math.round(performance.getEntriesByName('mxr-dashboard-start')[0].startTime),
          data_ms: Math.round(performance.getEntriesByName('mxr-dashboard-data')[0].startTime),
          api_calls: api.map((e) => ({ url: new URL(e.name).pathname + new URL(e.name).search,
            start_ms: Math.round(e.startTime), server_ms: Math.round(e.responseStart - e.requestStart), total_ms: Math.round(e.responseEnd - e.startTime),
            bytes: e.encodedBodySize })),
          requests: all.length + 1,
          transferred_bytes: all.reduce((s, e) => s + e.transferSize, nav.transferSize),
          body_bytes: all.reduce((s, e) => s + e.encodedBodySize, nav.encodedBodySize),
          decoded_bytes: all.reduce((s, e) => s + e.decodedBodySize, nav.decodedBodySize),
        };
      }));
    }
    try {
      assert.equal(await page.locator('section[data-chart] canvas').count(), 5);
      assert.equal(await page.locator('#kpi-pairs').textContent(), '450');
      // The attention table lists 25 pairs, then all of them on request.
      assert.equal(await page.locator('#attention tbody tr').count(), 25);
      const showAll = page.getByRole('button', { name: /^Show all \d+ pairs$/ });
      const total = Number((await showAll.textContent()).match(/\d+/)[0]);
      await showAll.click();
      assert.equal(await page.locator('#attention tbody tr').count(), total);
      const figures = { seed_seconds: seedSeconds, runs };
      writeFileSync(join(shots, 'figures.json'), JSON.stringify(figures, null, 2));
      await page.screenshot({ path: join(shots, 'manager-dashboard-large.png'), fullPage: true });
      console.log(JSON.stringify(figures, null, 1));
    } finally {
      await context.close();
    }
  });
}
