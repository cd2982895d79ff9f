// app.js — the shell: session, hash router, live event feed.
//
// Routes: #/login, #/worklist, #/study/<study_uid>[/<tab>], #/admin[/<tab>].
// Every view is mount(main, ctx) → cleanup. Nothing with patient data is in
// the DOM unless a session is live: on sign-out or any 401 the view is torn
// down and the login form replaces it.

import * as api from './api.js';
import { h, clear, toast } from './util.js';
import * as loginView from './login.js';
import * as worklistView from './worklist.js';
import * as studyView from './study.js';
import * as adminView from './admin.js';

const main = document.getElementById('main');
const topbar = document.getElementById('topbar');
let session = null;
let cleanup = null;
let events = null;

/** Events is the live feed of GET /api/v1/events (SSE over fetch, resumable). */
class Events {
  constructor(onState) {
    this.subs = new Set();
    this.ctrl = null;
    this.lastId = '';
    this.onState = onState;
    this.delay = 1000;
    this.stopped = false;
    this.run();
  }
  subscribe(fn) { this.subs.add(fn); return () => this.subs.delete(fn); }
  emit(ev) { this.subs.forEach((fn) => { try { fn(ev); } catch (e) { console.error(e); } }); }
  async run() {
    while (!this.stopped) {
      this.ctrl = new AbortController();
      try {
        this.lastId = await api.stream('GET', '/events', {
          signal: this.ctrl.signal,
          lastEventId: this.lastId,
          onOpen: () => {
            this.onState('live');
            // Events before a (re)connection may be missed: views reload.
            if (this.opened) this.emit({ type: 'reconnected' });
            this.opened = true;
          },
          onEvent: (ev) => {
            this.delay = 1000;
            if (ev.id) this.lastId = ev.id;
            const data = typeof ev.data === 'object' && ev.data ? ev.data : {};
            if (!data.type) data.type = ev.event;
            this.emit(data);
          },
        }) || this.lastId;
      } catch (e) {
        if (this.stopped) return;
        if (e.status === 401) { this.stop(); return; }
      }
      if (this.stopped) return;
      this.onState('reconnecting');
      await new Promise((r) => setTimeout(r, this.delay));
      this.delay = Math.min(this.delay * 2, 15000);
    }
  }
  stop() {
    this.stopped = true;
    if (this.ctrl) this.ctrl.abort();
    this.subs.clear();
    this.onState('');
  }
}

function setLiveState(s) {
  const el = document.getElementById('live-state');
  el.className = 'live ' + (s || '');
  el.textContent = s === 'live' ? 'Live' : s === 'reconnecting' ? 'Reconnecting…' : '';
  el.title = s === 'live' ? 'Receiving live updates' : '';
}

function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function teardown() {
  if (cleanup) { try { cleanup(); } catch (e) { console.error(e); } }
  cleanup = null;
  clear(main);
}

// signedOut shows the login form. The page asked for is kept (to return to
// after signing in) unless forget: an explicit sign-out starts afresh.
function signedOut(message, forget) {
  session = null;
  if (events) { events.stop(); events = null; }
  teardown();
  worklistView.resetFilters(); // the next user starts from a clean search
  document.getElementById('toasts').replaceChildren();
  topbar.hidden = true;
  document.body.dataset.role = '';
  if (!location.hash.startsWith('#/login')) {
    const back = location.hash && location.hash !== '#/' && !forget ? location.hash : '';
    history.replaceState(null, '', '#/login' + (back ? '?next=' + encodeURIComponent(back) : ''));
  }
  cleanup = loginView.mount(main, { message, onLogin });
}

async function onLogin(s) {
  session = s;
  showShell();
  const m = /[?&]next=([^&]+)/.exec(location.hash);
  const next = m ? decodeURIComponent(m[1]) : '#/worklist';
  navigate(next.startsWith('#/') && !next.startsWith('#/login') ? next : '#/worklist');
}

function showShell() {
  topbar.hidden = false;
  document.body.dataset.role = session.role;
  document.getElementById('whoami-name').textContent = session.user;
  document.getElementById('whoami-role').textContent = session.role;
  topbar.querySelectorAll('[data-role]').forEach((el) => { el.hidden = el.dataset.role !== session.role; });
  if (!events) events = new Events(setLiveState);
}

function route() {
  if (!session) { signedOut(); return; }
  const hash = location.hash || '#/worklist';
  const parts = hash.replace(/^#\/?/, '').split('?')[0].split('/').map(decodeURIComponent);
  teardown();
  topbar.querySelectorAll('[data-nav]').forEach((a) => {
    if (a.dataset.nav === (parts[0] === 'study' ? 'worklist' : parts[0])) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
  const ctx = { session, navigate, events: (fn) => (events ? events.subscribe(fn) : () => {}) };
  switch (parts[0]) {
    case 'study':
      if (parts[1]) { cleanup = studyView.mount(main, { ...ctx, studyUID: parts[1], tab: parts[2] || 'ask' }); break; }
      navigate('#/worklist');
      return;
    case 'admin':
      if (session.role !== 'admin') { main.append(h('p', { class: 'empty' }, 'Only administrators can open this page.')); break; }
      cleanup = adminView.mount(main, { ...ctx, tab: parts[1] || 'users' });
      break;
    case 'login':
      navigate('#/worklist');
      return;
    case 'worklist':
    default:
      cleanup = worklistView.mount(main, ctx);
  }
  // Move focus to the new view for keyboard and screen-reader users,
  // unless the view placed it somewhere itself.
  if (!main.contains(document.activeElement)) main.focus({ preventScroll: true });
}

api.onUnauthorized(() => {
  if (session) { signedOut('Your session has ended. Please sign in again.'); }
});

document.getElementById('logout-btn').addEventListener('click', async () => {
  await api.logout();
  signedOut('You are signed out.', true);
});

// Signed out, a new hash only updates where to go after signing in.
window.addEventListener('hashchange', () => { if (session) route(); else signedOut(); });

async function start() {
  try {
    session = await api.me();
  } catch (e) {
    session = null;
  }
  if (session) { showShell(); route(); } else signedOut();
}

start();
