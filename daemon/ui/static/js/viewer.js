// viewer.js — the image viewport: a stack of frames (every frame of every
// instance of a series, in instance order), rendered by the daemon
// (/instances/{sop}/rendered) and drawn on a canvas with zoom and pan.
//
// Speed on a 300-slice CT: decoded frames are cached (ImageBitmap, LRU),
// neighbours are prefetched in the direction of travel, and loads that are
// no longer wanted (slice scrolled past, window changed) are aborted so the
// daemon's render slots go to the frame on screen. While window/level is
// dragged, a small render is requested, one at a time, then a full one.

import * as api from './api.js';
import { h } from './util.js';

export const PRESETS = [
  { key: '1', id: 'default', label: 'Default', w: null, l: null },
  { key: '2', id: 'soft', label: 'Soft tissue', w: 400, l: 40 },
  { key: '3', id: 'lung', label: 'Lung', w: 1500, l: -600 },
  { key: '4', id: 'bone', label: 'Bone', w: 2000, l: 300 },
  { key: '5', id: 'brain', label: 'Brain', w: 80, l: 40 },
];

const CACHE_MAX = 240;
const PREFETCH_AHEAD = 8;
const PREFETCH_BEHIND = 3;
const MAX_PARALLEL = 3; // prefetch requests in flight
const CURRENT_SLOTS = 2; // requests for the image on screen in flight

export class Viewer {
  constructor(host, { onChange } = {}) {
    this.onChange = onChange || (() => {});
    this.frames = [];
    this.index = 0;
    this.win = null; // null: the file's own window (or the renderer's auto)
    this.lvl = null;
    this.baseWL = null; // numbers to start a drag from when win is null
    this.zoom = 1; this.panX = 0; this.panY = 0;
    this.tool = 'wl';
    this.dir = 1;
    this.cache = new Map(); // key → ImageBitmap (Map order = LRU order)
    this.inflight = new Map(); // key → {ctrl, promise}
    this.shown = null; // {bitmap, key}
    this.dragSmall = false;
    // loads: renders fetched; aborts: prefetches dropped as no longer near;
    // instant: steps whose image was cached; waited: steps that had to wait
    // for a render. Exposed on the element (data-stats).
    this.stats = { loads: 0, aborts: 0, instant: 0, waited: 0 };

    this.canvas = h('canvas', { class: 'vp-canvas', 'aria-hidden': 'true' });
    this.ov = {
      tl: h('div', { class: 'ov tl' }), tr: h('div', { class: 'ov tr' }),
      bl: h('div', { class: 'ov bl' }), br: h('div', { class: 'ov br' }),
    };
    this.spinner = h('div', { class: 'vp-loading', hidden: true }, 'Loading…');
    this.msg = h('div', { class: 'vp-msg', hidden: true });
    this.el = h('div', {
      class: 'viewport tool-wl', id: 'viewport', tabindex: '0', role: 'img',
      'aria-label': 'Image viewer. Wheel or arrow keys: previous and next image. Drag: window/level. Keys 1 to 5: presets. Plus and minus: zoom. 0: reset.',
    }, this.canvas, this.ov.tl, this.ov.tr, this.ov.bl, this.ov.br, this.spinner, this.msg);
    host.append(this.el);
    this.bind();
    this.ro = new ResizeObserver(() => this.resize());
    this.ro.observe(this.el);
  }

  destroy() {
    clearTimeout(this.prefetchTimer);
    this.ro.disconnect();
    for (const f of this.inflight.values()) f.ctrl.abort();
    for (const b of this.cache.values()) b.close && b.close();
    this.cache.clear();
  }

  /** setStack shows a series: instances sorted by instance number. */
  setStack(series, instances, info) {
    for (const f of this.inflight.values()) f.ctrl.abort();
    this.series = series;
    this.frames = [];
    for (const inst of instances) {
      const n = Math.max(1, inst.number_of_frames || 1);
      for (let f = 0; f < n; f++) this.frames.push({ sop: inst.sop_instance_uid, frame: f, frames: n, number: inst.instance_number });
    }
    this.info = info || {};
    this.index = Math.floor((this.frames.length - 1) / 2);
    if (series && series.modality !== 'CT' && this.win !== null && PRESETS.some((p) => p.w === this.win)) { this.win = this.lvl = null; }
    this.baseWL = null;
    this.resetView();
    this.update();
  }

  current() { return this.frames[this.index] || null; }

  setIndex(i) {
    if (!this.frames.length) return;
    const n = Math.max(0, Math.min(this.frames.length - 1, i));
    if (n === this.index) return;
    this.dir = n > this.index ? 1 : -1;
    this.index = n;
    this.update();
  }

  setWL(w, l) {
    if (w !== null) w = Math.max(1, Math.round(w));
    if (l !== null) l = Math.round(l);
    this.win = w; this.lvl = l;
    this.update();
  }

  preset(id) {
    const p = PRESETS.find((x) => x.id === id);
    if (p) this.setWL(p.w, p.l);
  }

  resetView() { this.zoom = 1; this.panX = 0; this.panY = 0; this.draw(); }

  setTool(t) {
    this.tool = t;
    this.el.className = 'viewport tool-' + t;
    this.onChange(this);
  }

  renderSize() {
    const r = this.el.getBoundingClientRect();
    const px = Math.max(r.width, r.height) * (window.devicePixelRatio || 1) * Math.max(1, this.zoom);
    return px > 700 ? 1024 : 512;
  }

  keyOf(fr, small) {
    const size = small ? 256 : this.renderSize();
    return fr.sop + '|' + fr.frame + '|' + (this.win ?? '') + '|' + (this.lvl ?? '') + '|' + size;
  }

  urlOf(fr, small) {
    const size = small ? 256 : this.renderSize();
    const p = { frame: fr.frame, size };
    if (this.win !== null) { p.window = this.win; p.level = this.lvl; }
    return '/instances/' + api.enc(fr.sop) + '/rendered' + api.q(p);
  }

  /** touch returns a cached image and marks it most recently used. */
  touch(key) {
    const b = this.cache.get(key);
    this.cache.delete(key);
    this.cache.set(key, b);
    return b;
  }

  load(fr, small, priority) {
    const key = this.keyOf(fr, small);
    if (this.cache.has(key)) return Promise.resolve(this.touch(key));
    const f = this.inflight.get(key);
    if (f) { if (priority) f.priority = true; return f.promise; }
    const ctrl = new AbortController();
    const entry = { ctrl, priority: !!priority, key };
    entry.promise = api.blob(this.urlOf(fr, small), ctrl.signal)
      .then((blob) => createImageBitmap(blob))
      .then((bmp) => {
        this.cache.set(key, bmp);
        while (this.cache.size > CACHE_MAX) {
          const [k, old] = this.cache.entries().next().value;
          if (this.shown && this.shown.key === k) { this.cache.delete(k); this.cache.set(k, old); continue; }
          this.cache.delete(k);
          old.close && old.close();
        }
        this.stats.loads++;
        return bmp;
      })
      .finally(() => { if (this.inflight.get(key) === entry) this.inflight.delete(key); });
    this.inflight.set(key, entry);
    return entry.promise;
  }

  /** update shows the current frame and schedules prefetch. */
  update() {
    const fr = this.current();
    this.el.dataset.index = String(this.index);
    this.el.dataset.sop = fr ? fr.sop : '';
    this.el.dataset.frame = fr ? String(fr.frame) : '';
    this.el.dataset.window = this.win === null ? '' : String(this.win);
    this.el.dataset.level = this.lvl === null ? '' : String(this.lvl);
    this.overlay();
    this.onChange(this);
    if (!fr) { this.showMsg('No images in this series.'); return; }
    const small = this.dragSmall;
    const key = this.keyOf(fr, small);
    this.wanted = key;
    this.el.dataset.wanted = key;
    // The daemon keeps rendering a request the browser gave up on, so
    // requests are rationed rather than aborted: at most CURRENT_SLOTS
    // renders for the image on screen are in flight; when the reader
    // scrolls faster than that, intermediate images are skipped and the
    // latest wanted one is requested as soon as a slot frees ("latest
    // wins"). Prefetches that are no longer near are dropped before they
    // are sent; prefetch resumes when scrolling pauses for 150 ms.
    this.lastStep = performance.now();
    const keep = new Set([key]);
    if (!small) for (const n of this.neighbours()) keep.add(this.keyOf(this.frames[n], false));
    for (const [k, f] of this.inflight) {
      if (!f.priority && !keep.has(k)) { f.ctrl.abort(); this.inflight.delete(k); this.stats.aborts++; }
    }
    this.gen = (this.gen || 0) + 1; // an older prefetch round stops sending
    if (this.cache.has(key)) {
      this.stats.instant++;
      this.show(this.touch(key), key);
      if (!small) this.schedulePrefetch();
      return;
    }
    this.stats.waited++;
    this.fetchWanted();
  }

  /** fetchWanted requests the image on screen if a slot is free. */
  fetchWanted() {
    const fr = this.current();
    if (!fr) return;
    const small = this.dragSmall;
    const key = this.keyOf(fr, small);
    if (this.cache.has(key)) { this.show(this.touch(key), key); return; }
    const f = this.inflight.get(key);
    if (!f) {
      let busy = 0;
      for (const x of this.inflight.values()) if (x.priority) busy++;
      if (busy >= CURRENT_SLOTS) return; // requested when one of them ends
    }
    const spin = setTimeout(() => { if (this.wanted === key) this.spinner.hidden = false; }, 150);
    this.load(fr, small, true).then((bmp) => {
      if (this.wanted === key) this.show(bmp, key);
      if (!small) this.schedulePrefetch();
    }, (e) => {
      if (e.name === 'AbortError' || this.wanted !== key) return;
      this.showMsg('Cannot display this image: ' + (e.message || e));
    }).finally(() => {
      clearTimeout(spin);
      if (this.wanted === key) this.spinner.hidden = true;
      else setTimeout(() => this.fetchWanted(), 0); // a slot is free: the latest wanted image
    });
  }

  neighbours() {
    const out = [];
    const ahead = this.dir > 0 ? PREFETCH_AHEAD : PREFETCH_BEHIND;
    const behind = this.dir > 0 ? PREFETCH_BEHIND : PREFETCH_AHEAD;
    for (let d = 1; d <= Math.max(ahead, behind); d++) {
      if (d <= ahead && this.index + this.dir * d >= 0 && this.index + this.dir * d < this.frames.length) out.push(this.index + this.dir * d);
      if (d <= behind && this.index - this.dir * d >= 0 && this.index - this.dir * d < this.frames.length) out.push(this.index - this.dir * d);
    }
    return out;
  }

  // schedulePrefetch starts prefetching once scrolling pauses for 150 ms.
  schedulePrefetch() {
    clearTimeout(this.prefetchTimer);
    const wait = Math.max(0, 150 - (performance.now() - this.lastStep));
    this.prefetchTimer = setTimeout(() => this.prefetch(), wait);
  }

  prefetch() {
    const gen = this.gen;
    const todo = this.neighbours().map((n) => this.frames[n]).filter((fr) => !this.cache.has(this.keyOf(fr, false)));
    const pump = () => {
      while (gen === this.gen && todo.length && this.inflight.size < MAX_PARALLEL) {
        const fr = todo.shift();
        if (this.inflight.has(this.keyOf(fr, false))) continue;
        this.load(fr, false, false).catch(() => {}).then(pump);
      }
    };
    pump();
  }

  show(bmp, key) {
    this.shown = { bitmap: bmp, key };
    this.msg.hidden = true;
    this.el.dataset.loaded = key;
    this.el.dataset.stats = JSON.stringify(this.stats);
    this.draw();
  }

  showMsg(text) {
    this.msg.textContent = text;
    this.msg.hidden = false;
    this.el.dataset.loaded = '';
  }

  resize() {
    const r = this.el.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.max(1, Math.round(r.width * dpr));
    this.canvas.height = Math.max(1, Math.round(r.height * dpr));
    this.draw();
  }

  draw() {
    const c = this.canvas, g = c.getContext('2d');
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.fillStyle = '#000';
    g.fillRect(0, 0, c.width, c.height);
    if (!this.shown) return;
    const b = this.shown.bitmap;
    const dpr = window.devicePixelRatio || 1;
    const fit = Math.min(c.width / b.width, c.height / b.height);
    const s = fit * this.zoom;
    const w = b.width * s, hh = b.height * s;
    g.imageSmoothingEnabled = true;
    g.imageSmoothingQuality = 'high';
    g.drawImage(b, (c.width - w) / 2 + this.panX * dpr, (c.height - hh) / 2 + this.panY * dpr, w, hh);
    this.overlay();
  }

  overlay() {
    const fr = this.current();
    const i = this.info || {};
    this.ov.tl.replaceChildren(h('div', { class: 'ov-strong' }, i.patient || ''), h('div', {}, i.patientID || ''), h('div', {}, i.studyDate || ''));
    this.ov.tr.replaceChildren(h('div', { class: 'ov-strong' }, i.modality || ''), h('div', {}, i.seriesDesc || ''));
    const pos = fr ? ('Image ' + (this.index + 1) + ' / ' + this.frames.length) : '';
    const fline = fr && fr.frames > 1 ? 'Frame ' + (fr.frame + 1) + ' / ' + fr.frames : (fr ? 'Instance ' + (fr.number || '—') : '');
    this.ov.bl.replaceChildren(h('div', { class: 'ov-strong' }, pos), h('div', {}, fline));
    const wl = this.win === null ? (this.baseWL ? 'W ' + this.baseWL[0] + ' L ' + this.baseWL[1] + ' (file)' : 'W/L default') : 'W ' + this.win + ' L ' + this.lvl;
    this.ov.br.replaceChildren(h('div', { class: 'ov-strong' }, wl), h('div', {}, 'Zoom ' + Math.round(this.zoom * 100) + '%'));
  }

  bind() {
    const el = this.el;
    el.addEventListener('wheel', (e) => {
      e.preventDefault();
      if (e.ctrlKey || e.metaKey) { this.zoomBy(e.deltaY < 0 ? 1.15 : 1 / 1.15); return; }
      this.wheelAcc = (this.wheelAcc || 0) + e.deltaY;
      const step = e.deltaMode === 1 ? 1 : 40;
      while (Math.abs(this.wheelAcc) >= step) {
        const s = Math.sign(this.wheelAcc);
        this.wheelAcc -= s * step;
        this.setIndex(this.index + s);
      }
    }, { passive: false });

    let drag = null;
    el.addEventListener('pointerdown', (e) => {
      el.focus({ preventScroll: true });
      const mode = e.button === 1 || e.shiftKey ? 'pan' : e.button === 2 ? 'zoom' : this.tool;
      drag = { mode, x: e.clientX, y: e.clientY, w: this.win ?? (this.baseWL || [400, 40])[0], l: this.lvl ?? (this.baseWL || [400, 40])[1],
        zoom: this.zoom, panX: this.panX, panY: this.panY };
      el.setPointerCapture(e.pointerId);
      if (mode === 'wl') this.dragSmall = true;
      e.preventDefault();
    });
    el.addEventListener('pointermove', (e) => {
      if (!drag) return;
      const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      if (drag.mode === 'wl') {
        const k = Math.max(1, drag.w / 256);
        const w = Math.max(1, drag.w + dx * k), l = drag.l + dy * k;
        if (!this.wlPending) {
          this.wlPending = true;
          requestAnimationFrame(() => { this.wlPending = false; this.setWL(this.nw, this.nl); });
        }
        this.nw = w; this.nl = l;
      } else if (drag.mode === 'pan') {
        this.panX = drag.panX + dx; this.panY = drag.panY + dy; this.draw();
      } else if (drag.mode === 'zoom') {
        this.zoom = Math.max(0.25, Math.min(16, drag.zoom * Math.exp(-dy / 200))); this.draw();
      }
    });
    const end = () => {
      if (!drag) return;
      const wasWL = drag.mode === 'wl';
      drag = null;
      if (wasWL) { this.dragSmall = false; if (this.nw !== undefined) { this.setWL(this.nw, this.nl); this.nw = undefined; } }
    };
    el.addEventListener('pointerup', end);
    el.addEventListener('pointercancel', end);
    el.addEventListener('contextmenu', (e) => e.preventDefault());
    el.addEventListener('dblclick', () => this.resetView());

    el.addEventListener('keydown', (e) => {
      const k = e.key;
      const page = Math.max(1, Math.round(this.frames.length / 10));
      const map = {
        ArrowDown: () => this.setIndex(this.index + 1), ArrowRight: () => this.setIndex(this.index + 1),
        ArrowUp: () => this.setIndex(this.index - 1), ArrowLeft: () => this.setIndex(this.index - 1),
        PageDown: () => this.setIndex(this.index + page), PageUp: () => this.setIndex(this.index - page),
        Home: () => this.setIndex(0), End: () => this.setIndex(this.frames.length - 1),
        '+': () => this.zoomBy(1.25), '=': () => this.zoomBy(1.25), '-': () => this.zoomBy(0.8),
        0: () => this.resetView(),
      };
      const p = PRESETS.find((x) => x.key === k);
      if (p && !e.ctrlKey && !e.altKey && !e.metaKey) { this.preset(p.id); e.preventDefault(); return; }
      if (map[k] && !e.ctrlKey && !e.altKey && !e.metaKey) { map[k](); e.preventDefault(); }
    });
  }

  zoomBy(f) {
    const before = this.renderSize();
    this.zoom = Math.max(0.25, Math.min(16, this.zoom * f));
    if (this.renderSize() !== before) this.update(); // sharper render for the new scale
    this.draw();
    this.onChange(this);
  }
}
