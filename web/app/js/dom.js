// Building the page. Every string a person typed reaches the DOM through
// text nodes and attribute values, never through markup: there is no
// innerHTML anywhere, and the page's Content-Security-Policy
// (require-trusted-types-for 'script') makes the browser refuse it.

// h('a', {href: '#/x', class: 'btn'}, 'text', child, [more]) -> element.
// Attributes starting with "on" take functions (listeners); null/false skip.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

let fieldSeq = 0;
// A labelled form field: {label, name, type, value, required, options, hint}.
export function field({ label, name, type = 'text', value = '', required = false, options = null, hint = '', attrs = {} }) {
  const id = `f${++fieldSeq}-${name}`;
  let input;
  if (type === 'textarea') input = h('textarea', { id, name, required, ...attrs }, value ?? '');
  else if (type === 'select') {
    input = h('select', { id, name, required, ...attrs },
      options.map(([v, text]) => h('option', { value: v, selected: String(v) === String(value) }, text)));
  } else input = h('input', { id, name, type, value: value ?? '', required, ...attrs });
  const hintId = hint ? `${id}-hint` : null;
  if (hintId) input.setAttribute('aria-describedby', hintId);
  return h('div', { class: 'field' }, h('label', { for: id }, label), input,
    hint ? h('small', { id: hintId, class: 'hint' }, hint) : null);
}

// Form values as an object (empty strings dropped unless keep).
export function formData(form, { keep = [] } = {}) {
  const out = {};
  for (const [k, v] of new FormData(form).entries()) {
    if (v === '' && !keep.includes(k)) continue;
    out[k] = v;
  }
  return out;
}

export function status(el, text, kind = 'info') {
  clear(el);
  el.className = `status ${kind}`;
  if (text) el.append(text);
}

export const fmtDate = (s) => (s ? String(s).slice(0, 10) : '—');
export const fmtTime = (s) => (s ? String(s).replace('T', ' ').replace('Z', ' UTC') : '—');

// A file the browser downloads (CSV, JSON), made here: nothing leaves the page.
export function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// RFC 4180 CSV; cells a spreadsheet would run as formulas get a leading '.
export function toCsv(header, rows) {
  const cell = (v) => {
    let s = v === null || v === undefined ? '' : String(v);
    if (/^[=+\-@]/.test(s) && typeof v !== 'number') s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}
