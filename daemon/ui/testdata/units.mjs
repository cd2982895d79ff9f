// Unit checks of the UI's pure JavaScript (SSE parsing, word diff), run by
// TestJS_Units with node. Prints "ok N" or throws.
import { SSEParser } from '../static/js/api.js';
import { wordDiff } from '../static/js/diff.js';
import { fmtName, fmtDate, fmtTime, fmtBytes, aiLabel } from '../static/js/util.js';
import { q } from '../static/js/api.js';
import assert from 'node:assert/strict';

let n = 0;
function check(name, fn) { fn(); n++; }

check('sse split across chunks and line endings', () => {
  const got = [];
  const p = new SSEParser((e) => got.push(e));
  const text = 'event: queued\ndata: {"position":1}\n\n: comment\r\nevent: token\r\ndata: {"text":"a"}\r\n\r\nid: 7\revent: done\rdata: x\rdata: y\r\r';
  for (const ch of text) p.push(ch); // worst case: one character at a time
  p.end();
  assert.deepEqual(got.map((e) => e.event), ['queued', 'token', 'done']);
  assert.equal(got[0].data, '{"position":1}');
  assert.equal(got[1].data, '{"text":"a"}');
  assert.equal(got[2].data, 'x\ny');
  assert.equal(got[2].id, '7');
});

check('sse default event name and trailing event without blank line', () => {
  const got = [];
  const p = new SSEParser((e) => got.push(e));
  p.push('data:no space\n\ndata: tail');
  p.end();
  assert.deepEqual(got, [{ event: 'message', data: 'no space', id: '' }, { event: 'message', data: 'tail', id: '' }]);
});

check('word diff', () => {
  const d = wordDiff('No acute findings. Lungs clear.', 'No acute findings. Small left effusion. Lungs clear.');
  assert.equal(d.filter((p) => p.op !== '-').map((p) => p.text).join(''), 'No acute findings. Small left effusion. Lungs clear.');
  assert.equal(d.filter((p) => p.op !== '+').map((p) => p.text).join(''), 'No acute findings. Lungs clear.');
  assert.ok(d.some((p) => p.op === '+' && p.text.includes('effusion')));
  assert.ok(!d.some((p) => p.op === '-'));
});

check('word diff replace and empty', () => {
  const d = wordDiff('a b c', 'a x c');
  assert.deepEqual(d, [{ op: '=', text: 'a ' }, { op: '-', text: 'b' }, { op: '+', text: 'x' }, { op: '=', text: ' c' }]);
  assert.deepEqual(wordDiff('', 'new'), [{ op: '+', text: 'new' }]);
  assert.deepEqual(wordDiff('same', 'same'), [{ op: '=', text: 'same' }]);
});

check('formatting', () => {
  assert.equal(fmtName('Doe^Jane^Q'), 'DOE, Jane Q');
  assert.equal(fmtName('Doe'), 'DOE');
  assert.equal(fmtName(''), '(no name)');
  assert.equal(fmtName('Yamada^Tarou=山田^太郎'), 'YAMADA, Tarou');
  assert.equal(fmtDate('20240131'), '2024-01-31');
  assert.equal(fmtDate('2024'), '2024');
  assert.equal(fmtTime('081530.123'), '08:15');
  assert.equal(fmtBytes(1536), '1.5 KiB');
  assert.equal(aiLabel('draft_ready'), 'Draft ready');
});

check('query strings skip empty values', () => {
  assert.equal(q({ a: 'x y', b: '', c: null, d: 0 }), '?a=x+y&d=0');
  assert.equal(q({}), '');
});

console.log('ok ' + n);
