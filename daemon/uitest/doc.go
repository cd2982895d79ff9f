// Package uitest drives the web UI (package daemon/ui) in headless Chromium
// against a real daemon: phantom studies sent over DICOM, the tiny golden
// model for questions and drafts, users of every role. The tests live in
// the _test files; they skip under -short and when chromium is missing, and
// write screenshots of each main screen to $LINGSHU_ARTIFACTS.
package uitest
