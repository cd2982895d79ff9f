// admin.js — administrators only: users, audit log, system health, jobs.

import * as api from './api.js';
import { h, clear, fmtStamp, fmtBytes, fmtDuration, errText, toast, debounce } from './util.js';

const TABS = [['users', 'Users'], ['audit', 'Audit log'], ['system', 'System'], ['jobs', 'Jobs']];

export function mount(main, ctx) {
  const ctrl = new AbortController();
  let unsub = () => {};
  const body = h('div', { class: 'admin-body', id: 'admin-body' });
  const nav = h('nav', { class: 'subnav', 'aria-label': 'Administration' }, TABS.map(([id, label]) =>
    h('a', { href: '#/admin/' + id, 'aria-current': id === ctx.tab ? 'page' : null, dataset: { tab: id } }, label)));
  main.append(h('section', { class: 'page admin-page', 'aria-labelledby': 'admin-title' },
    h('div', { class: 'page-head' }, h('h1', { id: 'admin-title' }, 'Administration')), nav, body));
  const views = { users, audit, system, jobs };
  const r = (views[ctx.tab] || users)(body, ctrl.signal, ctx);
  if (typeof r === 'function') unsub = r;
  return () => { ctrl.abort(); unsub(); };
}

function table(cols, rows, id) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'grid', id },
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: cols.length, class: 'empty' }, 'Nothing to show.')))));
}

function users(body, signal, ctx) {
  const list = h('div');
  const name = h('input', { id: 'u-name', required: true, autocomplete: 'off' });
  const pass = h('input', { id: 'u-pass', type: 'password', required: true, minlength: 8, autocomplete: 'new-password' });
  const role = h('select', { id: 'u-role' }, ['staff', 'radiologist', 'admin'].map((r) => h('option', { value: r }, r)));
  const err = h('p', { class: 'form-error', role: 'alert' });
  const form = h('form', { class: 'card form-inline', 'aria-labelledby': 'u-title' },
    h('h2', { id: 'u-title', class: 'sub' }, 'Add a user'),
    h('div', { class: 'field' }, h('label', { for: 'u-name' }, 'User name'), name),
    h('div', { class: 'field' }, h('label', { for: 'u-pass' }, 'Password (8+ characters)'), pass),
    h('div', { class: 'field' }, h('label', { for: 'u-role' }, 'Role'), role),
    h('div', { class: 'field actions' }, h('button', { type: 'submit', class: 'btn primary' }, 'Add user')), err);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.textContent = '';
    try {
      await api.post('/users', { name: name.value.trim(), password: pass.value, role: role.value });
      toast('User ' + name.value.trim() + ' added.', 'ok');
      name.value = pass.value = '';
      load();
    } catch (e2) { err.textContent = errText(e2); }
  });
  // change sends one PATCH and reloads; the server refuses to disable
  // yourself or to leave no enabled admin, and says so.
  async function change(u, upd, done) {
    try {
      await api.patch('/users/' + api.enc(u.name), upd);
      toast(done, 'ok');
    } catch (e) { toast(errText(e), 'error'); }
    load();
  }
  function row(u) {
    const self = ctx && ctx.session && ctx.session.user === u.name;
    const roleSel = h('select', { 'aria-label': 'Role of ' + u.name, disabled: self || null },
      ['staff', 'radiologist', 'admin'].map((r) => h('option', { value: r, selected: r === u.role || null }, r)));
    roleSel.addEventListener('change', () => change(u, { role: roleSel.value }, u.name + ' is now ' + roleSel.value + '.'));
    const toggle = h('button', { type: 'button', class: 'btn small', disabled: self || null },
      u.disabled ? 'Enable' : 'Disable');
    toggle.addEventListener('click', () => change(u, { disabled: !u.disabled }, u.name + (u.disabled ? ' enabled.' : ' disabled: signed out everywhere.')));
    return h('tr', { class: u.disabled ? 'user-disabled' : null },
      h('td', {}, u.name), h('td', {}, roleSel),
      h('td', {}, h('span', { class: 'role-badge' }, u.disabled ? 'disabled' : 'active')),
      h('td', {}, fmtStamp(u.created)), h('td', {}, toggle));
  }
  async function load() {
    try {
      const res = await api.get('/users', { signal });
      clear(list).append(table(['User', 'Role', 'Status', 'Created', ''], (res.items || []).map(row), 'users-table'));
    } catch (e) { if (e.name !== 'AbortError') clear(list).append(h('p', { class: 'form-error' }, errText(e))); }
  }
  body.append(list, form);
  load();
}

function audit(body, signal) {
  let items = [], next = '';
  const user = h('input', { id: 'a-user', type: 'search', autocomplete: 'off' });
  const action = h('input', { id: 'a-action', type: 'search', placeholder: 'e.g. study.read', autocomplete: 'off' });
  const study = h('input', { id: 'a-study', type: 'search', autocomplete: 'off' });
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter audit log' },
    h('div', { class: 'field' }, h('label', { for: 'a-user' }, 'User'), user),
    h('div', { class: 'field' }, h('label', { for: 'a-action' }, 'Action'), action),
    h('div', { class: 'field wide' }, h('label', { for: 'a-study' }, 'Study UID'), study),
    h('div', { class: 'field actions' }, h('button', { type: 'submit', class: 'btn primary' }, 'Filter')));
  const list = h('div');
  const more = h('button', { type: 'button', class: 'btn', hidden: true }, 'Older entries');
  async function load(append) {
    try {
      const res = await api.get('/audit' + api.q({ user: user.value.trim(), action: action.value.trim(), study_uid: study.value.trim(), limit: 200, cursor: append ? next : '' }), { signal });
      items = append ? items.concat(res.items || []) : (res.items || []);
      next = res.next || '';
      clear(list).append(table(['Time', 'User', 'Action', 'Study', 'Instance', 'From', 'Detail'], items.map((a) => h('tr', {},
        h('td', { class: 'nowrap' }, fmtStamp(a.time)), h('td', {}, a.user || '—'), h('td', {}, h('code', {}, a.action)),
        h('td', { class: 'uid', title: a.study_uid || '' }, a.study_uid || ''), h('td', { class: 'uid', title: a.sop_uid || '' }, a.sop_uid || ''),
        h('td', {}, a.remote_addr || ''), h('td', { class: 'detail' }, a.detail || ''))), 'audit-table'));
      more.hidden = !next;
    } catch (e) { if (e.name !== 'AbortError') clear(list).append(h('p', { class: 'form-error' }, errText(e))); }
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); load(false); });
  more.addEventListener('click', () => load(true));
  body.append(form, list, h('div', { class: 'more-row' }, more));
  load(false);
}

function kv(rows) { return h('dl', { class: 'kv' }, rows.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '—')])); }

function system(body, signal) {
  const out = h('div', { class: 'cards', id: 'system-cards' }, h('p', { class: 'dim' }, 'Loading…'));
  body.append(out);
  async function load() {
    const [health, sys] = await Promise.all([
      api.get('/health', { signal }).catch((e) => ({ error: e })),
      api.get('/system', { signal }).catch((e) => ({ error: e })),
    ]);
    if (signal.aborted) return;
    const cards = [];
    const hc = health.counts || {};
    cards.push(h('section', { class: 'card' }, h('h2', { class: 'sub' }, 'Service'),
      health.error ? h('p', { class: 'form-error' }, errText(health.error)) : kv([
        ['Status', h('span', { class: 'badge tone-' + (health.status === 'ok' ? 'ok' : 'bad') }, health.status || '?')],
        ['Version', health.version || sys.version], ['Uptime', fmtDuration(health.uptime_s)],
        ['Studies', hc.studies], ['Series', hc.series], ['Instances', hc.instances]])));
    if (sys.error) {
      cards.push(h('section', { class: 'card' }, h('h2', { class: 'sub' }, 'System'), h('p', { class: 'form-error' }, errText(sys.error))));
    } else {
      const m = sys.model || {}, cpu = sys.cpu || {}, mem = sys.memory || {}, disk = sys.disk || {}, qu = sys.queue || {}, pr = sys.process || {};
      const tone = { ready: 'ok', starting: 'info', restarting: 'warn', failed: 'bad' }[m.state] || 'muted';
      cards.push(h('section', { class: 'card', id: 'card-model' }, h('h2', { class: 'sub' }, 'AI model'), kv([
        ['State', h('span', { class: 'badge tone-' + tone }, m.state || 'disabled')],
        ['Model', (m.model_path || '—').split('/').pop()], ['Hash', m.model_hash ? String(m.model_hash).slice(0, 16) + '…' : '—'],
        ['Backend', m.backend || '—'], ['Queued / running', (m.queued || 0) + ' / ' + (m.running || 0)], ['Runner restarts', m.restarts || 0],
        m.last_error ? ['Last error', m.last_error] : null])));
      cards.push(h('section', { class: 'card', id: 'card-host' }, h('h2', { class: 'sub' }, 'Host'), kv([
        ['CPU', (cpu.logical_cores || '?') + ' cores · ' + Math.round(cpu.used_percent || 0) + '% busy'],
        ['Load', [cpu.load1, cpu.load5, cpu.load15].map((x) => (x || 0).toFixed(2)).join(' / ')],
        ['Memory', fmtBytes((mem.total_bytes || 0) - (mem.available_bytes || 0)) + ' of ' + fmtBytes(mem.total_bytes || 0) + ' (' + Math.round(mem.used_percent || 0) + '%)'],
        ['Disk', fmtBytes(disk.free_bytes || 0) + ' free of ' + fmtBytes(disk.total_bytes || 0) + ' (' + Math.round(disk.used_percent || 0) + '% used)'],
        ['Data folder', disk.path || '—'],
        ['Process', (pr.goroutines || 0) + ' goroutines · heap ' + fmtBytes(pr.heap_bytes || 0)],
        sys.errors && sys.errors.length ? ['Unreadable', sys.errors.join(', ')] : null])));
      cards.push(h('section', { class: 'card', id: 'card-queue' }, h('h2', { class: 'sub' }, 'Queues'), kv([
        ['Questions waiting', qu.infer_queued || 0], ['Questions running', qu.infer_running || 0],
        ['Draft jobs queued', qu.jobs_queued || 0], ['Draft jobs running', qu.jobs_running || 0],
        ['', h('a', { href: '#/admin/jobs' }, 'Open jobs →')]])));
    }
    clear(out).append(...cards);
  }
  load();
  const t = setInterval(load, 10000);
  return () => clearInterval(t);
}

function jobs(body, signal, ctx) {
  const state = h('select', { id: 'j-state' }, ['', 'queued', 'running', 'done', 'failed', 'cancelled'].map((s) => h('option', { value: s }, s || 'All states')));
  const list = h('div');
  body.append(h('div', { class: 'filters' }, h('div', { class: 'field' }, h('label', { for: 'j-state' }, 'State'), state)), list);
  async function load() {
    try {
      const res = await api.get('/jobs' + api.q({ state: state.value, limit: 200 }), { signal });
      clear(list).append(table(['Created', 'Kind', 'Study', 'State', 'Trigger', 'By', 'Attempts', 'Finished', 'Error', ''], (res.items || []).map((j) => h('tr', {},
        h('td', { class: 'nowrap' }, fmtStamp(j.created_at)), h('td', {}, j.kind),
        h('td', { class: 'uid' }, h('a', { href: '#/study/' + encodeURIComponent(j.study_uid) + '/report' }, j.study_uid)),
        h('td', {}, h('span', { class: 'badge tone-' + ({ done: 'ok', failed: 'bad', running: 'info', queued: 'info' }[j.state] || 'muted') }, j.state)),
        h('td', {}, j.trigger), h('td', {}, j.requested_by || '—'), h('td', { class: 'num' }, j.attempts),
        h('td', { class: 'nowrap' }, j.finished_at && !String(j.finished_at).startsWith('0001') ? fmtStamp(j.finished_at) : '—'),
        h('td', { class: 'detail' }, j.error || ''), h('td', {}, cancelButton(j)))), 'jobs-table'));
    } catch (e) { if (e.name !== 'AbortError') clear(list).append(h('p', { class: 'form-error' }, errText(e))); }
  }
  // A queued or running job can be cancelled; a running draft stops
  // within a decode step and writes nothing.
  function cancelButton(j) {
    if (j.state !== 'queued' && j.state !== 'running') return '';
    const b = h('button', { type: 'button', class: 'btn small', 'aria-label': 'Cancel job ' + j.id }, 'Cancel');
    b.addEventListener('click', async () => {
      b.disabled = true;
      try {
        await api.post('/jobs/' + api.enc(j.id) + '/cancel');
        toast('Job cancelled.', 'ok');
      } catch (e) { toast(errText(e), 'error'); }
      load();
    });
    return b;
  }
  state.addEventListener('change', load);
  load();
  const refresh = debounce(load, 500);
  return ctx.events((ev) => { if (ev.type === 'job_updated') refresh(); });
}
