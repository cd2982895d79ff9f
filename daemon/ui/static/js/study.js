// study.js — one study: patient bar, series thumbnails, the viewer, and the
// Ask / Report side panel.

import * as api from './api.js';
import { h, clear, fmtDate, fmtName, aiBadge, errText, toast } from './util.js';
import { Viewer, PRESETS } from './viewer.js';
import * as askPanel from './ask.js';
import * as reportPanel from './report.js';

async function allInstances(seriesUID, signal) {
  let out = [], cursor = '';
  do {
    const res = await api.get('/series/' + api.enc(seriesUID) + '/instances' + api.q({ limit: 1000, cursor }), { signal });
    out = out.concat(res.items || []);
    cursor = res.next || '';
  } while (cursor);
  out.sort((a, b) => (a.instance_number || 0) - (b.instance_number || 0));
  return out;
}

function dsValue(js, tag) {
  const e = js && js[tag];
  const v = e && e.Value && e.Value[0];
  const n = typeof v === 'string' ? parseFloat(v) : v;
  return Number.isFinite(n) ? n : null;
}

export function mount(main, ctx) {
  const ctrl = new AbortController();
  const urls = [];
  let study = null, seriesList = [], current = null, instances = [];
  let tab = ctx.tab === 'report' ? 'report' : 'ask';

  const back = h('a', { class: 'btn ghost back', href: '#/worklist' }, '← Worklist');
  const pbar = h('div', { class: 'patient-info' }, h('span', { class: 'dim' }, 'Loading study…'));
  const aiSlot = h('div', { class: 'ai-slot' });
  const rail = h('nav', { class: 'series-rail', 'aria-label': 'Series' });
  const vhost = h('div', { class: 'vp-host' });
  const slider = h('input', { type: 'range', id: 'slice-slider', min: 0, max: 0, value: 0, 'aria-label': 'Image number' });
  const frameSel = h('select', { id: 'frame-select', 'aria-label': 'Frame', hidden: true });
  const toolBtn = (id, label, title) => h('button', { type: 'button', class: 'tool', dataset: { tool: id }, title, 'aria-pressed': 'false' }, label);
  const tools = [toolBtn('wl', 'W/L', 'Drag to change window/level'), toolBtn('pan', 'Pan', 'Drag to move (also Shift+drag or middle button)'),
    toolBtn('zoom', 'Zoom', 'Drag up/down to zoom (also Ctrl+wheel, + and -)')];
  const presetBtns = PRESETS.map((p) => h('button', { type: 'button', class: 'preset', dataset: { preset: p.id }, 'aria-pressed': 'false',
    title: p.label + (p.w ? ' (W ' + p.w + ' / L ' + p.l + ')' : ' (from the image)') + ' — key ' + p.key }, p.label));
  const resetBtn = h('button', { type: 'button', class: 'tool', title: 'Fit image, key 0' }, 'Fit');
  const keys = h('details', { class: 'keys' }, h('summary', {}, 'Keys'),
    h('dl', {}, [['↑ ↓ / wheel', 'previous / next image'], ['PgUp PgDn', 'jump 10%'], ['Home End', 'first / last'],
      ['1 – 5', 'window presets'], ['drag', 'window/level (or tool)'], ['Shift+drag', 'pan'], ['+ − / Ctrl+wheel', 'zoom'],
      ['0 / double-click', 'fit']].map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])));
  const toolbar = h('div', { class: 'vp-toolbar', role: 'toolbar', 'aria-label': 'Viewer tools' },
    h('div', { class: 'tgroup', role: 'group', 'aria-label': 'Mouse tool' }, tools),
    h('div', { class: 'tgroup', role: 'group', 'aria-label': 'Window presets' }, presetBtns),
    h('div', { class: 'tgroup' }, resetBtn, frameSel), keys);

  const tabAsk = h('button', { type: 'button', role: 'tab', id: 'tab-ask', 'aria-controls': 'panel-ask' }, 'Ask AI');
  const tabReport = h('button', { type: 'button', role: 'tab', id: 'tab-report', 'aria-controls': 'panel-report' }, 'Report');
  const panelAsk = h('div', { role: 'tabpanel', id: 'panel-ask', 'aria-labelledby': 'tab-ask', class: 'tabpanel ask-panel' });
  const panelReport = h('div', { role: 'tabpanel', id: 'panel-report', 'aria-labelledby': 'tab-report', class: 'tabpanel report-panel' });

  main.append(h('section', { class: 'study-page', 'aria-label': 'Study' },
    h('header', { class: 'patient-bar' }, back, pbar, aiSlot),
    h('div', { class: 'study-grid' },
      rail,
      h('div', { class: 'viewer-col' }, toolbar, vhost, h('div', { class: 'slice-row' }, h('label', { for: 'slice-slider', class: 'sr-only' }, 'Image'), slider)),
      h('aside', { class: 'side-panel', 'aria-label': 'AI assistant and report' },
        h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Panels' }, tabAsk, tabReport), panelAsk, panelReport))));

  const viewer = new Viewer(vhost, { onChange: syncControls });

  function syncControls(v) {
    slider.max = String(Math.max(0, v.frames.length - 1));
    slider.value = String(v.index);
    slider.setAttribute('aria-valuetext', 'Image ' + (v.index + 1) + ' of ' + v.frames.length);
    tools.forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.tool === v.tool)));
    presetBtns.forEach((b) => {
      const p = PRESETS.find((x) => x.id === b.dataset.preset);
      b.setAttribute('aria-pressed', String(p.w === v.win && p.l === v.lvl));
    });
    const fr = v.current();
    if (fr && fr.frames > 1) {
      if (frameSel.options.length !== fr.frames) {
        clear(frameSel).append(...Array.from({ length: fr.frames }, (_, i) => h('option', { value: i }, 'Frame ' + (i + 1))));
      }
      frameSel.value = String(fr.frame);
      frameSel.hidden = false;
    } else frameSel.hidden = true;
    askPanel.setImage(askState, fr);
  }

  slider.addEventListener('input', () => viewer.setIndex(Number(slider.value)));
  frameSel.addEventListener('change', () => {
    const fr = viewer.current();
    if (fr) viewer.setIndex(viewer.index - fr.frame + Number(frameSel.value));
  });
  tools.forEach((b) => b.addEventListener('click', () => viewer.setTool(b.dataset.tool)));
  presetBtns.forEach((b) => b.addEventListener('click', () => { viewer.preset(b.dataset.preset); viewer.el.focus(); }));
  resetBtn.addEventListener('click', () => viewer.resetView());

  function selectTab(t, focus) {
    tab = t;
    for (const [b, p, id] of [[tabAsk, panelAsk, 'ask'], [tabReport, panelReport, 'report']]) {
      b.setAttribute('aria-selected', String(id === t));
      b.tabIndex = id === t ? 0 : -1;
      p.hidden = id !== t;
    }
    if (focus) (t === 'ask' ? tabAsk : tabReport).focus();
    history.replaceState(null, '', '#/study/' + encodeURIComponent(ctx.studyUID) + '/' + t);
  }
  [tabAsk, tabReport].forEach((b) => {
    b.addEventListener('click', () => selectTab(b === tabAsk ? 'ask' : 'report'));
    b.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') { selectTab(tab === 'ask' ? 'report' : 'ask', true); e.preventDefault(); }
    });
  });

  const askState = askPanel.mount(panelAsk, { ...ctx, current: () => viewer.current() });
  const reportState = reportPanel.mount(panelReport, ctx);
  selectTab(tab);

  function renderPatient() {
    const s = study;
    const sexAge = [s.patient_sex, s.patient_birth_date ? 'born ' + fmtDate(s.patient_birth_date) : ''].filter(Boolean).join(' · ');
    clear(pbar).append(
      h('h1', { class: 'pname', id: 'patient-name' }, fmtName(s.patient_name)),
      h('div', { class: 'pmeta' },
        h('span', {}, h('span', { class: 'dim' }, 'ID '), s.patient_id || '—'),
        sexAge ? h('span', {}, sexAge) : null,
        h('span', {}, fmtDate(s.study_date)),
        h('span', {}, (s.modalities || []).join('/')),
        s.study_description ? h('span', { class: 'pdesc' }, s.study_description) : null,
        s.accession_number ? h('span', {}, h('span', { class: 'dim' }, 'Acc '), s.accession_number) : null));
    clear(aiSlot).append(h('span', { class: 'dim small' }, 'AI '), aiBadge(s.ai_status || 'none'));
  }

  async function thumb(img, sop) {
    try {
      const b = await api.blob('/instances/' + api.enc(sop) + '/rendered' + api.q({ size: 128 }), ctrl.signal);
      const u = URL.createObjectURL(b);
      urls.push(u);
      img.src = u;
    } catch (_) { img.alt = 'No preview'; }
  }

  function renderRail() {
    clear(rail).append(h('h2', { class: 'rail-title' }, 'Series'));
    const list = h('ul', { class: 'rail-list' });
    for (const se of seriesList) {
      const img = h('img', { alt: '', width: 96, height: 96 });
      const btn = h('button', { type: 'button', class: 'series-btn', dataset: { series: se.series_uid },
        'aria-pressed': String(current && current.series_uid === se.series_uid) },
      h('span', { class: 'thumb' }, img),
      h('span', { class: 'series-label' }, h('strong', {}, (se.modality || '') + ' ' + (se.series_number || '')),
        h('span', {}, se.series_description || 'Series'), h('span', { class: 'dim' }, se.num_instances + ' img')));
      btn.addEventListener('click', () => openSeries(se));
      list.append(h('li', {}, btn));
      se.thumbImg = img;
    }
    rail.append(list);
  }

  async function loadThumbs() {
    for (const se of seriesList) {
      if (ctrl.signal.aborted) return;
      try {
        const insts = se === current ? instances : await api.get('/series/' + api.enc(se.series_uid) + '/instances' + api.q({ limit: 1 }), { signal: ctrl.signal }).then((r) => r.items || []);
        const mid = insts[Math.floor(insts.length / 2)] || insts[0];
        if (mid) await thumb(se.thumbImg, mid.sop_instance_uid);
      } catch (_) { /* thumbnail is optional */ }
    }
  }

  async function openSeries(se) {
    current = se;
    rail.querySelectorAll('.series-btn').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.series === se.series_uid)));
    try {
      instances = await allInstances(se.series_uid, ctrl.signal);
    } catch (e) {
      if (e.name !== 'AbortError') toast('Cannot list images: ' + errText(e), 'bad');
      return;
    }
    askPanel.setSeries(askState, se);
    viewer.setStack(se, instances, {
      patient: fmtName(study.patient_name), patientID: study.patient_id, studyDate: fmtDate(study.study_date),
      modality: se.modality, seriesDesc: [se.series_number, se.series_description].filter(Boolean).join(' · '),
    });
    // The file's own window (to start a drag from and to show in the overlay).
    const mid = viewer.current();
    if (mid) {
      api.get('/instances/' + api.enc(mid.sop), { signal: ctrl.signal }).then((js) => {
        const w = dsValue(js, '00281051'), c = dsValue(js, '00281050');
        if (w && c !== null) { viewer.baseWL = [Math.round(w), Math.round(c)]; viewer.overlay(); }
      }).catch(() => {});
    }
    viewer.el.focus({ preventScroll: true });
  }

  async function load() {
    try {
      study = await api.get('/studies/' + api.enc(ctx.studyUID), { signal: ctrl.signal });
      renderPatient();
      seriesList = (await api.get('/studies/' + api.enc(ctx.studyUID) + '/series', { signal: ctrl.signal })).items || [];
      seriesList.sort((a, b) => (a.series_number || 0) - (b.series_number || 0));
      renderRail();
      const first = seriesList.slice().sort((a, b) => b.num_instances - a.num_instances)[0];
      if (first) await openSeries(first);
      else viewer.showMsg('This study has no series yet.');
      loadThumbs();
    } catch (e) {
      if (e.name === 'AbortError') return;
      clear(pbar).append(h('p', { class: 'form-error', role: 'alert' }, 'Cannot open this study: ' + errText(e)));
    }
  }

  const unsub = ctx.events((ev) => {
    if (ev.type === 'reconnected') { reportPanel.refresh(reportState); return; }
    if (ev.study_uid !== ctx.studyUID) return;
    if (/^report_|^job_/.test(ev.type)) reportPanel.refresh(reportState);
    if (/^(study_|job_|report_)/.test(ev.type)) {
      api.get('/studies/' + api.enc(ctx.studyUID), { signal: ctrl.signal }).then((s) => { study = s; renderPatient(); }).catch(() => {});
    }
    if (ev.type === 'study_late_arrival' || ev.type === 'study_received') toast('New images arrived for this study.', 'info');
  });

  load();
  return () => {
    unsub();
    ctrl.abort();
    askPanel.destroy(askState);
    viewer.destroy();
    urls.forEach((u) => URL.revokeObjectURL(u));
  };
}
