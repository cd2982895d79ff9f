// api.js — the only place that talks to the daemon's REST API.
//
// Authentication is the session cookie (HttpOnly, set by POST /auth/login);
// every non-GET request carries X-Lingshu-CSRF: 1. The token of the login
// answer is also kept in memory (never in storage) and sent as a Bearer
// header, so a page keeps working if the cookie is refused; a reload falls
// back to the cookie alone.

const BASE = '/api/v1';
let memToken = '';
const unauthorizedHandlers = new Set();

export class APIError extends Error {
  constructor(status, code, message) {
    super(message || code || ('HTTP ' + status));
    this.status = status;
    this.code = code || '';
  }
}

/** onUnauthorized registers fn, called when any request answers 401. */
export function onUnauthorized(fn) { unauthorizedHandlers.add(fn); }

function headers(method, extra) {
  const h = new Headers(extra || {});
  if (method !== 'GET' && method !== 'HEAD') h.set('X-Lingshu-CSRF', '1');
  if (memToken) h.set('Authorization', 'Bearer ' + memToken);
  return h;
}

async function errorOf(res) {
  let code = '', message = '';
  try {
    const body = await res.json();
    if (body && body.error) { code = body.error.code; message = body.error.message; }
  } catch (_) { /* not JSON */ }
  if (res.status === 401) unauthorizedHandlers.forEach((fn) => fn());
  return new APIError(res.status, code, message || res.statusText);
}

/** request sends one API call and returns the Response (throws APIError). */
export async function request(method, path, { body, signal, accept } = {}) {
  const init = { method, headers: headers(method), credentials: 'same-origin', signal, cache: 'no-store' };
  if (accept) init.headers.set('Accept', accept);
  if (body !== undefined) {
    init.headers.set('Content-Type', 'application/json');
    init.body = JSON.stringify(body);
  }
  const res = await fetch(BASE + path, init);
  if (!res.ok) throw await errorOf(res);
  return res;
}

/** json sends one API call and decodes its JSON answer (null for 204). */
export async function json(method, path, opts) {
  const res = await request(method, path, opts);
  if (res.status === 204) return null;
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

export const get = (path, opts) => json('GET', path, opts);
export const post = (path, body, opts) => json('POST', path, { ...(opts || {}), body: body === undefined ? {} : body });
export const patch = (path, body, opts) => json('PATCH', path, { ...(opts || {}), body });

/** q builds a query string from an object, skipping empty values. */
export function q(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  }
  const s = u.toString();
  return s ? '?' + s : '';
}

export const enc = encodeURIComponent;

export async function login(username, password) {
  const res = await fetch(BASE + '/auth/login', {
    method: 'POST', credentials: 'same-origin', cache: 'no-store',
    headers: { 'Content-Type': 'application/json', 'X-Lingshu-CSRF': '1' },
    body: JSON.stringify({ username, password }),
  });
  if (!res.ok) {
    let msg = res.status === 401 ? 'Wrong user name or password.' : 'Sign-in failed (' + res.status + ').';
    if (res.status === 429) msg = 'Too many failed attempts. Wait a few minutes and try again.';
    throw new APIError(res.status, 'login', msg);
  }
  const body = await res.json();
  memToken = body.token || '';
  return { user: body.user, role: body.role };
}

export async function logout() {
  try { await request('POST', '/auth/logout', { body: {} }); } catch (_) { /* already gone */ }
  memToken = '';
}

/** me returns {user, role} of the current session, or null when signed out. */
export async function me() {
  try {
    return await get('/auth/me');
  } catch (e) {
    if (e.status === 401) return null;
    throw e;
  }
}

/** blob fetches a binary resource (image, export) under the session. */
export async function blob(path, signal) {
  const res = await request('GET', path, { signal });
  return res.blob();
}

/**
 * SSEParser turns a text/event-stream byte stream into events
 * {event, data, id}. Feed it decoded text chunks with push(); it calls
 * onEvent for each complete event (a blank line ends an event). Lines may
 * end in \n, \r\n or \r; comment lines (":") are ignored.
 */
export class SSEParser {
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.buf = '';
    this.reset();
    this.lastId = '';
  }
  reset() { this.event = ''; this.data = []; this.id = null; }
  push(chunk) {
    this.buf += chunk;
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buf);
      if (!m) break;
      // A lone \r at the end may be the first half of \r\n: wait for more.
      if (m[0] === '\r' && m.index === this.buf.length - 1) break;
      const line = this.buf.slice(0, m.index);
      this.buf = this.buf.slice(m.index + m[0].length);
      this.line(line);
    }
  }
  line(line) {
    if (line === '') { this.dispatch(); return; }
    if (line[0] === ':') return;
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i);
    let value = i < 0 ? '' : line.slice(i + 1);
    if (value[0] === ' ') value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id') this.id = value;
  }
  dispatch() {
    if (this.id !== null) this.lastId = this.id;
    if (this.data.length || this.event) {
      this.onEvent({ event: this.event || 'message', data: this.data.join('\n'), id: this.lastId });
    }
    this.reset();
  }
  end() { if (this.buf) this.line(this.buf); this.buf = ''; this.dispatch(); }
}

/**
 * stream POSTs (or GETs) and parses a Server-Sent Events answer, calling
 * onEvent({event, data (parsed JSON when possible), id}) per event. Resolves
 * when the stream ends; rejects with APIError on an HTTP error and with an
 * AbortError when signal aborts. onOpen(response) runs once the server has
 * accepted the stream.
 */
export async function stream(method, path, { body, signal, lastEventId, onEvent, onOpen }) {
  const init = { method, headers: headers(method), credentials: 'same-origin', signal, cache: 'no-store' };
  init.headers.set('Accept', 'text/event-stream');
  if (lastEventId) init.headers.set('Last-Event-ID', lastEventId);
  if (body !== undefined) {
    init.headers.set('Content-Type', 'application/json');
    init.body = JSON.stringify(body);
  }
  const res = await fetch(BASE + path, init);
  if (!res.ok) {
    const err = await errorOf(res);
    err.retryAfter = Number(res.headers.get('Retry-After')) || 0;
    throw err;
  }
  if (onOpen) onOpen(res);
  const parser = new SSEParser((ev) => {
    let data = ev.data;
    try { data = JSON.parse(ev.data); } catch (_) { /* plain text */ }
    onEvent({ event: ev.event, data, id: ev.id });
  });
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    parser.push(value);
  }
  parser.end();
  return parser.lastId;
}
