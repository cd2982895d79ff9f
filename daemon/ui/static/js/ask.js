// ask.js — questions about the image on screen. The answer streams token by
// token: POST /instances/{sop}/ask answers Server-Sent Events, read with
// fetch + ReadableStream (EventSource cannot POST); Cancel aborts it.

import * as api from './api.js';
import { h, clear, fmtStamp, errText } from './util.js';

// Example questions by modality and body part (a click fills the box).
function suggestions(modality, body) {
  const head = /HEAD|BRAIN|SKULL/i.test(body || '') || modality === 'MR' && !/CHEST|THORAX|LUNG/i.test(body || '');
  if (head) return ['Is there a mass?', 'Is there a midline shift?', 'Are the ventricles enlarged?'];
  if (modality === 'CT') return ['Is there a lung nodule?', 'Is there a pneumothorax?', 'Is there a pleural effusion?'];
  if (modality === 'CR' || modality === 'DX') return ['Is there a pneumothorax?', 'Is the heart enlarged?', 'Is there a pleural effusion?'];
  return ['Describe the main finding.', 'Is this image normal?'];
}

export function mount(host, ctx) {
  const st = { ctx, ctrl: null, img: null };
  const target = h('p', { class: 'ask-target', id: 'ask-target' }, 'No image selected');
  const input = h('textarea', { id: 'ask-input', rows: 3, maxlength: 2000, placeholder: 'Ask about the image on screen…' });
  const send = h('button', { type: 'submit', class: 'btn primary', id: 'ask-send' }, 'Ask');
  const length = h('select', { id: 'ask-length', title: 'Longest answer, in model tokens' },
    [['96', 'Brief'], ['256', 'Normal'], ['768', 'Detailed']].map(([v, l]) => h('option', { value: v, selected: v === '256' }, l)));
  const cancel = h('button', { type: 'button', class: 'btn', id: 'ask-cancel', hidden: true }, 'Cancel');
  const chips = h('div', { class: 'chips', role: 'group', 'aria-label': 'Example questions' });
  const form = h('form', { class: 'ask-form' },
    chips,
    h('div', { class: 'ask-label' }, h('label', { for: 'ask-input' }, 'Question about this image'), target), input,
    h('div', { class: 'row' }, send, cancel, h('label', { for: 'ask-length', class: 'inline' }, 'Length'), length,
      h('span', { class: 'hint' }, 'Ctrl+Enter to send, Esc to stop')));
  const answerBox = h('div', { class: 'answer', id: 'ask-answer', 'aria-live': 'polite', 'aria-busy': 'false' });
  const history = h('ol', { class: 'ask-history', id: 'ask-history' });
  // Chat layout: the conversation (oldest first, the answer streaming at
  // its end) scrolls; the question box stays at the bottom.
  const convo = h('div', { class: 'convo', tabindex: '0', 'aria-label': 'Questions and answers on this study' },
    h('h3', { class: 'sub' }, 'Questions on this study'), history, answerBox);
  host.append(
    h('div', { class: 'ai-note', role: 'note' }, 'AI answers are unverified suggestions, not a diagnosis.'),
    convo, form);
  Object.assign(st, { target, input, send, cancel, answerBox, history, length, chips, convo });
  setSeries(st, null);

  form.addEventListener('submit', (e) => { e.preventDefault(); ask(st); });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); ask(st); }
    if (e.key === 'Escape' && st.ctrl) { e.preventDefault(); st.ctrl.abort(); }
  });
  cancel.addEventListener('click', () => { if (st.ctrl) st.ctrl.abort(); });
  loadHistory(st);
  return st;
}

export function setImage(st, fr) {
  if (!st) return;
  st.img = fr;
  st.target.textContent = fr ? 'On image ' + (fr.number || '?') + (fr.frames > 1 ? ', frame ' + (fr.frame + 1) : '') : 'No image selected';
}

/** setSeries adapts the example questions to the series on screen. */
export function setSeries(st, series) {
  if (!st) return;
  const list = suggestions(series && series.modality, series && series.body_part);
  clear(st.chips).append(...list.map((q) => h('button', { type: 'button', class: 'chip', onclick: () => { st.input.value = q; st.input.focus(); } }, q)));
}

export function destroy(st) { if (st && st.ctrl) st.ctrl.abort(); }

function entry(rec) {
  const total = rec.timings_ms && rec.timings_ms.total;
  const meta = [fmtStamp(rec.created_at), rec.user, total ? (total / 1000).toFixed(1) + ' s' : '',
    rec.stop && rec.stop !== 'eos' && rec.stop !== 'stop' ? 'stopped: ' + rec.stop : ''].filter(Boolean).join(' · ');
  return h('li', { class: 'qa' },
    h('p', { class: 'q' }, h('span', { class: 'sr-only' }, 'Question: '), rec.question),
    h('p', { class: 'a' }, h('span', { class: 'sr-only' }, 'Answer: '), rec.answer || h('span', { class: 'dim' }, '(no answer)')),
    h('p', { class: 'meta' }, meta));
}

async function loadHistory(st) {
  try {
    const res = await api.get('/studies/' + api.enc(st.ctx.studyUID) + '/asks');
    const items = (res.items || []).slice().sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)));
    clear(st.history).append(...(items.length ? items.map(entry) : [h('li', { class: 'empty' }, 'No questions yet.')]));
    scrollEnd(st);
  } catch (e) {
    clear(st.history).append(h('li', { class: 'empty' }, e.code === 'no_model' ? 'No AI model configured.' : 'History unavailable: ' + errText(e)));
  }
}

function scrollEnd(st) { st.convo.scrollTop = st.convo.scrollHeight; }

async function ask(st) {
  const question = st.input.value.trim();
  const fr = st.img || st.ctx.current();
  if (!question || !fr || st.ctrl) { if (!question) st.input.focus(); return; }
  st.ctrl = new AbortController();
  st.send.disabled = true;
  st.cancel.hidden = false;
  const qEl = h('p', { class: 'q' }, question);
  const status = h('p', { class: 'stream-status', id: 'ask-status' }, 'Sending…');
  const text = h('p', { class: 'a streaming', id: 'ask-stream' });
  const stats = h('p', { class: 'meta' });
  clear(st.answerBox).append(qEl, status, text, stats);
  st.answerBox.setAttribute('aria-busy', 'true');
  st.answerBox.dataset.done = '';
  scrollEnd(st);
  let ok = false;
  let answer = '';
  try {
    await api.stream('POST', '/instances/' + api.enc(fr.sop) + '/ask', {
      body: { question, frame: fr.frame, max_tokens: Number(st.length.value) || 0 },
      signal: st.ctrl.signal,
      onEvent: ({ event, data }) => {
        if (event === 'queued') status.textContent = data && data.position > 0 ? 'Waiting in queue (position ' + data.position + ')…' : 'Starting…';
        else if (event === 'reset') { answer = ''; text.textContent = ''; status.textContent = 'Restarting…'; } else if (event === 'token') {
          answer += (data && data.text) || '';
          text.textContent = answer;
          status.textContent = 'Answering…';
          const c = st.convo;
          if (c.scrollHeight - c.scrollTop - c.clientHeight < 80) scrollEnd(st); // follow unless the reader scrolled up
        } else if (event === 'done') {
          if (data && typeof data.text === 'string' && data.text) answer = data.text;
          text.textContent = answer;
          const t = (data && data.timings_ms) || {};
          status.textContent = 'Done';
          stats.textContent = [data && data.stop ? 'stop: ' + data.stop : '', t.total ? 'total ' + (t.total / 1000).toFixed(1) + ' s' : '',
            data && data.model_hash ? 'model ' + String(data.model_hash).slice(0, 12) : ''].filter(Boolean).join(' · ');
          st.answerBox.dataset.done = 'true';
          ok = true;
        } else if (event === 'error') {
          const er = (data && data.error) || {};
          status.textContent = 'Error: ' + (er.message || er.code || 'unknown');
          status.classList.add('bad');
        }
      },
    });
    st.input.value = '';
  } catch (e) {
    status.textContent = e.name === 'AbortError' ? 'Cancelled.' : errText(e);
    if (e.name !== 'AbortError') status.classList.add('bad');
  } finally {
    text.classList.remove('streaming');
    st.answerBox.setAttribute('aria-busy', 'false');
    st.ctrl = null;
    st.send.disabled = false;
    st.cancel.hidden = true;
    // A stored answer moves into the history; a failed or cancelled one
    // stays in view with its status.
    if (ok) await loadHistory(st).then(() => clear(st.answerBox));
  }
}
