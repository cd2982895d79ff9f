// Package report reads evaluation runs (manifest.json + results.jsonl
// written by eval/harness), summarises them per dataset — accuracy with a
// seeded bootstrap interval, per-tag breakdowns, confusion matrices for
// closed questions, open-answer overlap, report metrics and length
// distributions — compares later runs with the first (paired bootstrap of
// the difference; exact McNemar test for accuracy, sign test for ROUGE-L;
// regressions beyond a threshold flagged), and writes JSON and a
// self-contained HTML page (inline CSS and SVG, no script).
package report
