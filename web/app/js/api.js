// Talking to the session server. The session token lives in an HttpOnly
// cookie this script cannot read; writes carry the CSRF token the server
// derived from it. When the session has expired (401) the call waits for
// the person to log in again (the dialog in main.js) and is then retried,
// with the same idempotency key, so nothing typed is lost and nothing is
// applied twice.

let csrf = '';
let reauthenticate = null;

export function setCsrf(token) { csrf = token || ''; }
// fn() -> Promise resolved once logged in again (rejected: give up).
export function onSessionExpired(fn) { reauthenticate = fn; }

export class ApiError extends Error {
  constructor(status, body, retryAfter = 0) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || '';
    this.field = e.field || '';
    this.retryAfter = retryAfter;
  }
}

async function parse(res) {
  const type = res.headers.get('Content-Type') || '';
  if (type.startsWith('application/json')) return res.json();
  return res.text();
}

// Calls METHOD /api/v1PATH; resolves with the JSON (or CSV text).
export async function api(method, path, body) {
  const key = method === 'GET' ? null : crypto.randomUUID();
  for (let attempt = 0; ; attempt++) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (key) {
      headers['X-CSRF-Token'] = csrf;
      headers['Idempotency-Key'] = key;
    }
    const res = await fetch(`/api/v1${path}`, {
      method, headers, credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await parse(res);
    if (res.ok) return data;
    if (res.status === 401 && reauthenticate && attempt < 3) {
      await reauthenticate();
      continue;
    }
    if (res.status === 403 && data?.error?.code === 'csrf' && attempt < 3) {
      await refreshSession();
      continue;
    }
    throw new ApiError(res.status, data, Number(res.headers.get('Retry-After') || 0));
  }
}

// GET of every page of a list.
export async function listAll(path) {
  const sep = path.includes('?') ? '&' : '?';
  let items = [];
  let after = 0;
  for (;;) {
    const page = await api('GET', `${path}${sep}limit=1000&after=${after}`);
    items = items.concat(page.items);
    if (!page.next_after) return items;
    after = page.next_after;
  }
}

// -> {person, csrf}, or null when not logged in.
export async function refreshSession() {
  const res = await fetch('/web/session', { credentials: 'same-origin' });
  if (res.status === 401) return null;
  const data = await res.json();
  if (!res.ok) throw new ApiError(res.status, data);
  setCsrf(data.csrf);
  return data;
}

export async function login(email, password) {
  const res = await fetch('/web/login', {
    method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const data = await parse(res);
  if (!res.ok) throw new ApiError(res.status, data, Number(res.headers.get('Retry-After') || 0));
  setCsrf(data.csrf);
  return data;
}

export async function logout() {
  await fetch('/web/logout', { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf } });
  setCsrf('');
}
