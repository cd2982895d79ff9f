// diff.js — a word diff for comparing report versions: longest common
// subsequence over words (whitespace kept with the word before it), with
// the common prefix and suffix trimmed first so typical edits stay cheap.

const MAX_CELLS = 4e6; // beyond this, fall back to "all removed, all added"

function words(s) { return String(s || '').match(/\s+|[^\s]+/g) || []; }

/**
 * wordDiff returns [{op: '=', '-', '+', text}] turning a into b; adjacent
 * parts with the same op are merged.
 */
export function wordDiff(a, b) {
  const A = words(a), B = words(b);
  let pre = 0;
  while (pre < A.length && pre < B.length && A[pre] === B[pre]) pre++;
  let suf = 0;
  while (suf < A.length - pre && suf < B.length - pre && A[A.length - 1 - suf] === B[B.length - 1 - suf]) suf++;
  const a2 = A.slice(pre, A.length - suf), b2 = B.slice(pre, B.length - suf);
  const out = [];
  const push = (op, text) => {
    const last = out[out.length - 1];
    if (last && last.op === op) last.text += text; else out.push({ op, text });
  };
  A.slice(0, pre).forEach((w) => push('=', w));
  const n = a2.length, m = b2.length;
  if (n * m > MAX_CELLS) {
    a2.forEach((w) => push('-', w));
    b2.forEach((w) => push('+', w));
  } else {
    // L[i][j] = LCS length of a2[i:], b2[j:]
    const L = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        L[i][j] = a2[i] === b2[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
      }
    }
    let i = 0, j = 0;
    while (i < n && j < m) {
      if (a2[i] === b2[j]) { push('=', a2[i]); i++; j++; } else if (L[i + 1][j] >= L[i][j + 1]) { push('-', a2[i]); i++; } else { push('+', b2[j]); j++; }
    }
    while (i < n) push('-', a2[i++]);
    while (j < m) push('+', b2[j++]);
  }
  A.slice(A.length - suf).forEach((w) => push('=', w));
  return out;
}
