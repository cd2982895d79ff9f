// util.js — DOM building and formatting shared by the views. Text always
// goes in through text nodes (never parsed as markup), so patient data cannot
// inject markup.

/** h builds an element: h('a', {href: '#', class: 'x', onclick: fn}, 'text', child). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** clear empties an element and returns it. */
export function clear(el) { el.replaceChildren(); return el; }

/** fmtDate turns a DICOM date (YYYYMMDD) into YYYY-MM-DD. */
export function fmtDate(d) {
  if (!d || d.length !== 8) return d || '';
  return d.slice(0, 4) + '-' + d.slice(4, 6) + '-' + d.slice(6, 8);
}

/** fmtTime turns a DICOM time (HHMMSS.frac) into HH:MM. */
export function fmtTime(t) {
  if (!t || t.length < 4) return '';
  return t.slice(0, 2) + ':' + t.slice(2, 4);
}

/** fmtName turns a DICOM person name "Family^Given^Middle" into "FAMILY, Given Middle". */
export function fmtName(pn) {
  if (!pn) return '(no name)';
  const [family, given, middle] = pn.split('=')[0].split('^');
  const rest = [given, middle].filter(Boolean).join(' ');
  return family ? (family.toUpperCase() + (rest ? ', ' + rest : '')) : rest;
}

/** fmtStamp formats an RFC 3339 timestamp in local time. */
export function fmtStamp(s) {
  if (!s) return '';
  const d = new Date(s);
  if (isNaN(d)) return s;
  const p = (n) => String(n).padStart(2, '0');
  return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + ' ' + p(d.getHours()) + ':' + p(d.getMinutes()) + ':' + p(d.getSeconds());
}

export function fmtBytes(n) {
  if (!Number.isFinite(n)) return '—';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : n) + ' ' + u[i];
}

export function fmtDuration(s) {
  s = Math.max(0, Math.floor(s || 0));
  const d = Math.floor(s / 86400), hh = Math.floor(s % 86400 / 3600), mm = Math.floor(s % 3600 / 60);
  if (d) return d + 'd ' + hh + 'h';
  if (hh) return hh + 'h ' + mm + 'm';
  return mm + 'm ' + (s % 60) + 's';
}

/** AI status of a study (store.AIStatus) → label and CSS tone. */
const AI = {
  none: ['No AI', 'muted'],
  waiting: ['Waiting for images', 'muted'],
  queued: ['Queued', 'info'],
  drafting: ['Drafting', 'info'],
  draft_ready: ['Draft ready', 'warn'],
  signed: ['Signed', 'ok'],
  failed: ['AI failed', 'bad'],
};

export function aiBadge(status) {
  const [label, tone] = AI[status] || [status || 'Unknown', 'muted'];
  return h('span', { class: 'badge tone-' + tone, dataset: { ai: status || '' } }, label);
}

export function aiLabel(status) { return (AI[status] || [status || ''])[0]; }

/** toast shows a short message in the live region. */
export function toast(msg, tone = 'info', ms = 4000) {
  const box = document.getElementById('toasts');
  if (!box) return;
  const t = h('div', { class: 'toast tone-' + tone }, msg);
  box.append(t);
  setTimeout(() => t.remove(), ms);
}

/** errText gives a readable message for an error from api.js. */
export function errText(e) {
  if (!e) return 'Unknown error';
  if (e.name === 'AbortError') return 'Cancelled';
  if (e.code === 'no_model') return 'No AI model is configured on this appliance.';
  if (e.status === 403) return 'You are not allowed to do this (' + (e.message || 'forbidden') + ').';
  if (e.status === 503 && e.retryAfter) return 'The AI is busy. Try again in ' + e.retryAfter + ' s.';
  return e.message || String(e);
}

/** debounce delays fn until calls stop for ms. */
export function debounce(fn, ms) {
  let t = 0;
  return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); };
}

/** download saves a Blob under a file name. */
export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
