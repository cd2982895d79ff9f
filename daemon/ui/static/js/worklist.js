// worklist.js — the study list: search, filters, AI status, live updates.

import * as api from './api.js';
import { h, clear, fmtDate, fmtTime, fmtName, aiBadge, errText, debounce } from './util.js';

const MODALITIES = ['', 'CT', 'MR', 'CR', 'DX', 'US', 'MG', 'PT', 'NM', 'XA', 'OT'];
const AI_FILTERS = [['', 'Any AI status'], ['waiting', 'Waiting for images'], ['queued', 'Queued'], ['drafting', 'Drafting'],
  ['draft_ready', 'Draft ready'], ['signed', 'Signed'], ['failed', 'AI failed'], ['none', 'No AI']];

// Filters survive navigation to a study and back (memory only, no storage);
// signing out resets them.
const EMPTY = { name: '', pid: '', accession: '', modality: '', from: '', to: '', ai: '' };
let saved = { ...EMPTY };

export function resetFilters() { saved = { ...EMPTY }; }

function toDicomDate(v) { return v ? v.replaceAll('-', '') : ''; }

export function mount(main, ctx) {
  let items = [];
  let next = '';
  let ctrl = null;
  let prev = new Map();

  const field = (id, label, input) => h('div', { class: 'field' }, h('label', { for: id }, label), input);
  const name = h('input', { id: 'f-name', type: 'search', placeholder: 'e.g. DOE or DOE*', value: saved.name, autocomplete: 'off' });
  const pid = h('input', { id: 'f-pid', type: 'search', value: saved.pid, autocomplete: 'off' });
  const acc = h('input', { id: 'f-acc', type: 'search', value: saved.accession, autocomplete: 'off' });
  const mod = h('select', { id: 'f-mod' }, MODALITIES.map((m) => h('option', { value: m, selected: m === saved.modality }, m || 'All')));
  const from = h('input', { id: 'f-from', type: 'date', value: saved.from });
  const to = h('input', { id: 'f-to', type: 'date', value: saved.to });
  const ai = h('select', { id: 'f-ai' }, AI_FILTERS.map(([v, l]) => h('option', { value: v, selected: v === saved.ai }, l)));
  const reset = h('button', { type: 'button', class: 'btn ghost' }, 'Clear');
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Find studies' },
    field('f-name', 'Patient name', name), field('f-pid', 'Patient ID', pid), field('f-acc', 'Accession', acc),
    field('f-mod', 'Modality', mod), field('f-from', 'From', from), field('f-to', 'To', to), field('f-ai', 'AI status', ai),
    h('div', { class: 'field actions' }, h('button', { type: 'submit', class: 'btn primary' }, 'Search'), reset));

  const status = h('p', { class: 'list-status', role: 'status', 'aria-live': 'polite' });
  const tbody = h('tbody');
  const table = h('table', { class: 'grid worklist', id: 'worklist-table' },
    h('caption', { class: 'sr-only' }, 'Studies'),
    h('thead', {}, h('tr', {},
      ['Patient', 'Patient ID', 'Study date', 'Modality', 'Description', 'Accession', 'Images', 'AI status']
        .map((c, i) => h('th', { scope: 'col', class: i === 6 ? 'num' : '' }, c)))),
    tbody);
  const more = h('button', { type: 'button', class: 'btn', hidden: true }, 'Load more');

  main.append(h('section', { class: 'page worklist-page', 'aria-labelledby': 'wl-title' },
    h('div', { class: 'page-head' }, h('h1', { id: 'wl-title' }, 'Worklist'), status),
    form,
    h('div', { class: 'table-wrap' }, table),
    h('div', { class: 'more-row' }, more)));

  function readFilters() {
    saved = { name: name.value.trim(), pid: pid.value.trim(), accession: acc.value.trim(), modality: mod.value,
      from: from.value, to: to.value, ai: ai.value };
  }

  function query(cursor) {
    let pn = saved.name;
    if (pn && !/[*?]/.test(pn)) pn = '*' + pn + '*';
    return api.q({ patient_name: pn, patient_id: saved.pid, accession: saved.accession, modality: saved.modality,
      date_from: toDicomDate(saved.from), date_to: toDicomDate(saved.to), limit: 100, cursor });
  }

  async function load(append) {
    if (ctrl) ctrl.abort();
    ctrl = new AbortController();
    if (!append) status.textContent = 'Loading…';
    try {
      const res = await api.get('/studies' + query(append ? next : ''), { signal: ctrl.signal });
      items = append ? items.concat(res.items || []) : (res.items || []);
      next = res.next || '';
      render();
    } catch (e) {
      if (e.name === 'AbortError') return;
      status.textContent = 'Could not load studies: ' + errText(e);
    }
  }

  function render() {
    const shown = saved.ai ? items.filter((s) => (s.ai_status || 'none') === saved.ai) : items;
    const rows = shown.map((s) => {
      const href = '#/study/' + encodeURIComponent(s.study_uid);
      const key = s.study_uid;
      const sig = (s.ai_status || '') + '/' + s.num_instances;
      const changed = prev.size > 0 && prev.get(key) !== sig;
      const tr = h('tr', { class: changed ? 'flash' : '', dataset: { study: s.study_uid } },
        h('td', { class: 'pname' }, h('a', { href }, fmtName(s.patient_name))),
        h('td', {}, s.patient_id),
        h('td', { class: 'nowrap' }, fmtDate(s.study_date), ' ', h('span', { class: 'dim' }, fmtTime(s.study_time))),
        h('td', {}, (s.modalities || []).join(', ')),
        h('td', { class: 'desc' }, s.study_description || h('span', { class: 'dim' }, '—')),
        h('td', {}, s.accession_number || h('span', { class: 'dim' }, '—')),
        h('td', { class: 'num' }, s.num_instances),
        h('td', {}, aiBadge(s.ai_status || 'none')));
      tr.addEventListener('click', (e) => { if (e.target.tagName !== 'A') ctx.navigate(href); });
      return tr;
    });
    prev = new Map(items.map((s) => [s.study_uid, (s.ai_status || '') + '/' + s.num_instances]));
    clear(tbody);
    if (rows.length) tbody.append(...rows);
    else tbody.append(h('tr', {}, h('td', { colspan: 8, class: 'empty' }, items.length ? 'No study has this AI status.' : 'No studies match.')));
    const ready = items.filter((s) => s.ai_status === 'draft_ready').length;
    status.textContent = items.length + (next ? '+' : '') + (items.length === 1 ? ' study' : ' studies') + (ready ? ' · ' + ready + ' draft' + (ready > 1 ? 's' : '') + ' ready for review' : '');
    more.hidden = !next;
  }

  form.addEventListener('submit', (e) => { e.preventDefault(); readFilters(); prev = new Map(); load(false); });
  ai.addEventListener('change', () => { readFilters(); render(); });
  [mod, from, to].forEach((el) => el.addEventListener('change', () => { readFilters(); prev = new Map(); load(false); }));
  reset.addEventListener('click', () => {
    name.value = pid.value = acc.value = from.value = to.value = '';
    mod.value = ai.value = '';
    readFilters();
    prev = new Map();
    load(false);
  });
  more.addEventListener('click', () => load(true));

  // Live: any study or job event reloads the list (debounced) and the rows
  // whose AI status or image count changed flash once.
  const refresh = debounce(() => load(false), 700);
  const unsub = ctx.events((ev) => {
    if (/^(study_|job_|report_|reconnected$)/.test(ev.type || '')) refresh();
  });

  load(false);
  return () => { unsub(); if (ctrl) ctrl.abort(); };
}
