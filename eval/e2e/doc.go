// Package e2e holds the end-to-end test of the evaluation chain on
// phantom studies with the tiny golden Qwen2.5-VL model (generate →
// load → run → interrupt → resume → rerun → report) and the script that
// does the same through the CLI with a SIGKILL (phantom_resume.sh).
package e2e
