package uitest

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/lingshu-edge/lingshu/dicom/phantom"
)

// TestUI_Workflow is the staff workflow in a real browser against a real
// daemon: sign in, find a study, view it (scroll, window/level), ask a
// question and watch the answer stream, review the AI draft, edit, compare,
// sign, see it immutable; a staff user cannot sign; signed-out pages show
// no patient data; the audit log shows what the test did. Screenshots of
// each main screen go to $LINGSHU_ARTIFACTS.
func TestUI_Workflow(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped under -short")
	}
	chromiumPath(t) // skip early, before starting a daemon
	t0 := time.Now()
	e := startEnv(t, defaultStudies, true)
	ct := e.studies[0]
	t.Logf("daemon up with studies at %.1fs; UI at %s; artifacts in %s", time.Since(t0).Seconds(), e.base, e.artifact)
	b := newBrowser(t, e.base, e.artifact, 150*time.Second)

	// Signed out: a deep link to a study shows only the sign-in form.
	studyHash := "#/study/" + url.PathEscape(ct.UID)
	b.open(studyHash)
	b.wait("login page", `document.querySelector('#login-user') !== null`, 15*time.Second)
	b.noPatientData("signed-out deep link", e.studies)
	if got := e.try(t, "", "GET", "/api/v1/studies", nil, nil); got != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/studies without a session: %d, want 401", got)
	}
	b.shot("01-login")

	// Wrong password: an error, still no data.
	b.do("bad login", chromedp.SetValue(chromedp.CSS("#login-user"), radUser), chromedp.SetValue(chromedp.CSS("#login-pass"), "wrong-password"),
		chromedp.Click(chromedp.CSS("#login-submit")))
	b.wait("login error", `document.querySelector('#login-error').textContent.length > 0`, 10*time.Second)

	// The radiologist signs in with the keyboard only (Tab moves to a
	// visibly focused password field, Enter submits); the deep link resumes.
	js[bool](b, `(() => { document.querySelector('#login-user').value = ''; document.querySelector('#login-pass').value = ''; return true; })()`)
	b.do("focus user name", chromedp.Focus(chromedp.CSS("#login-user")))
	b.do("type user", chromedp.KeyEvent(radUser), chromedp.KeyEvent(kb.Tab))
	if !js[bool](b, `document.activeElement.id === 'login-pass' && document.activeElement.matches(':focus-visible')`) {
		t.Errorf("Tab from the user name does not reach a visibly focused password field")
	}
	b.do("type password", chromedp.KeyEvent(userPassword), chromedp.KeyEvent(kb.Enter))
	b.wait("signed in as "+radUser, fmt.Sprintf(`document.querySelector('#whoami-name').textContent === %q && !document.querySelector('#topbar').hidden`, radUser), 10*time.Second)
	b.wait("study opened after sign-in", `location.hash.startsWith('#/study/')`, 10*time.Second)

	// Worklist: every study, then a search by patient name.
	b.open("#/worklist")
	b.wait("worklist rows", fmt.Sprintf(`document.querySelectorAll('#worklist-table tbody tr[data-study]').length >= %d`, len(e.studies)), 15*time.Second)
	b.wait("live feed", `document.querySelector('#live-state').textContent === 'Live'`, 10*time.Second)
	if e.model {
		// Give the automatic draft of the CT a moment, so the worklist shows its status.
		_, _ = chromedp.Run(b.ctx, chromedp.Poll[chromedp.Void](fmt.Sprintf(`(() => { const r = document.querySelector('tr[data-study=%q] [data-ai]'); return r && r.dataset.ai !== 'waiting'; })()`, ct.UID),
			chromedp.WithPollingTimeout(5*time.Second), chromedp.WithPollingInterval(100*time.Millisecond)))
	}
	b.shot("02-worklist")

	// Live: a study sent now appears without a reload, and (with a model)
	// its AI status moves on to "draft ready" as the draft finishes.
	n := len(e.studies)
	e.sendStudies(t, []phantom.Options{{Modality: "DX", Seed: 14}})
	late := e.studies[n]
	b.wait("new study appears live", fmt.Sprintf(`document.querySelector('tr[data-study=%q]') !== null`, late.UID), 15*time.Second)
	if e.model {
		b.wait("draft ready live", fmt.Sprintf(`document.querySelector('tr[data-study=%q] [data-ai]')?.dataset.ai === 'draft_ready'`, late.UID), 45*time.Second)
	}
	given := givenName(ct.PatientName) // phantoms are all "Phantom^<Given>^<n>"
	b.do("search", chromedp.SetValue(chromedp.CSS("#f-name"), strings.ToLower(given)), chromedp.Click(chromedp.CSS(".filters button[type=submit]")))
	b.wait("search result", fmt.Sprintf(`(() => { const rows = document.querySelectorAll('#worklist-table tbody tr[data-study]'); return rows.length === 1 && rows[0].dataset.study === %q; })()`, ct.UID), 10*time.Second)

	// Viewer: open the CT from the worklist.
	b.do("open study", chromedp.Click(chromedp.CSS(fmt.Sprintf(`tr[data-study=%q] a`, ct.UID))))
	b.wait("first image", `(() => { const v = document.querySelector('#viewport'); return v && v.dataset.loaded; })()`, 20*time.Second)
	b.wait("thumbnails", `[...document.querySelectorAll('.series-btn img')].every(i => i.complete && i.naturalWidth > 0)`, 15*time.Second)
	idx := js[string](b, `document.querySelector('#viewport').dataset.index`)
	b.do("focus viewer", chromedp.Focus(chromedp.CSS("#viewport")))
	b.press(kb.ArrowDown)
	b.press(kb.ArrowDown)
	b.wait("scrolled two images", fmt.Sprintf(`Number(document.querySelector('#viewport').dataset.index) === %s + 2`, idx), 5*time.Second)
	b.do("lung preset", chromedp.Click(chromedp.CSS(`button[data-preset="lung"]`)))
	b.wait("lung window rendered", `document.querySelector('#viewport').dataset.loaded.includes('|1500|-600|')`, 15*time.Second)
	b.drag("#viewport", 80, -40)
	b.wait("dragged window rendered", `(() => { const v = document.querySelector('#viewport'); return v.dataset.window !== '1500' && v.dataset.loaded.includes('|' + v.dataset.window + '|' + v.dataset.level + '|') && !v.dataset.loaded.endsWith('|256'); })()`, 15*time.Second)
	b.do("soft tissue preset", chromedp.Click(chromedp.CSS(`button[data-preset="soft"]`)))
	b.wait("soft tissue rendered", `document.querySelector('#viewport').dataset.loaded.includes('|400|40|')`, 15*time.Second)
	b.shot("03-viewer")
	b.do("keys help", chromedp.Click(chromedp.CSS(".keys summary")))
	b.shot("03b-viewer-keys")
	b.do("close keys help", chromedp.Click(chromedp.CSS(".keys summary")))

	// Ask: the answer streams in (the text grows over several updates).
	b.do("ask tab", chromedp.Click(chromedp.CSS("#tab-ask")))
	js[bool](b, `(() => { window.__lens = []; new MutationObserver(() => { const s = document.querySelector('#ask-stream'); if (s) window.__lens.push(s.textContent.length); })
		.observe(document.querySelector('#ask-answer'), { subtree: true, childList: true, characterData: true }); return true; })()`)
	question := "Is there a nodule in the right lung?"
	b.do("ask", chromedp.SetValue(chromedp.CSS("#ask-input"), question), chromedp.SetValue(chromedp.CSS("#ask-length"), "96"),
		chromedp.Click(chromedp.CSS("#ask-send")))
	if e.model {
		b.wait("answer done", `document.querySelector('#ask-answer').dataset.done === 'true' || document.querySelector('#ask-status')?.classList.contains('bad')`, 60*time.Second)
		if msg := js[string](b, `document.querySelector('#ask-status')?.classList.contains('bad') ? document.querySelector('#ask-status').textContent : ''`); msg != "" {
			b.fail("ask", fmt.Errorf("the answer ended with %q", msg))
		}
		lens := js[[]int](b, `window.__lens.filter(n => n > 0)`)
		distinct := map[int]bool{}
		for _, n := range lens {
			distinct[n] = true
		}
		if len(distinct) < 2 {
			t.Errorf("answer did not stream: text lengths seen %v", lens)
		}
		b.wait("question in history", fmt.Sprintf(`document.querySelector('#ask-history').textContent.includes(%q)`, question), 10*time.Second)
		t.Logf("ask: %d streamed updates, %d distinct lengths", len(lens), len(distinct))
	} else {
		b.wait("no model message", `document.querySelector('#ask-status')?.textContent.includes('No AI model')`, 10*time.Second)
	}
	b.shot("04-ask")

	// Report: the AI draft (automatic on study stable, or requested).
	rad := e.token(t, radUser, userPassword)
	b.do("report tab", chromedp.Click(chromedp.CSS("#tab-report")))
	if e.model {
		b.wait("AI draft", `(() => { const x = document.querySelector('#report-banner'); return x && x.textContent.includes('AI draft — not verified'); })()`, 60*time.Second)
	} else {
		e.call(t, rad, "POST", "/api/v1/studies/"+url.PathEscape(ct.UID)+"/reports", map[string]any{"text": "Manual report without a model.", "based_on": 0}, http.StatusCreated, nil)
		b.wait("report", `document.querySelector('#report-banner') !== null`, 15*time.Second)
	}
	if e.model {
		b.do("provenance", chromedp.Click(chromedp.CSS("#report-provenance summary")))
	}
	b.shot("05-report")

	// Edit → a new version; compare; sign; immutable.
	v0 := js[int](b, `Number(document.querySelector('#report-version').value)`)
	b.do("edit", chromedp.Click(chromedp.CSS("#report-edit")))
	b.wait("editor", `document.querySelector('#report-editor') !== null`, 5*time.Second)
	addendum := "Radiologist review: no acute cardiopulmonary finding."
	js[bool](b, fmt.Sprintf(`(() => { const t = document.querySelector('#report-editor'); t.value = t.value + '\n' + %q; return true; })()`, addendum))
	b.do("save", chromedp.Click(chromedp.CSS("#report-save")))
	b.wait("new version", fmt.Sprintf(`Number((document.querySelector('#report-version') || {}).value) === %d && document.querySelector('#report-text').textContent.includes(%q)`, v0+1, addendum), 10*time.Second)
	b.do("compare", chromedp.Click(chromedp.CSS("#report-compare-btn")))
	b.wait("diff", `[...document.querySelectorAll('#report-diff ins')].some(x => x.textContent.includes('acute'))`, 5*time.Second)
	b.shot("06-report-compare")
	b.do("close compare", chromedp.Click(chromedp.CSS("#report-compare-close")))
	b.wait("report view", `document.querySelector('#report-text') !== null`, 5*time.Second)
	b.do("sign", chromedp.Click(chromedp.CSS("#report-sign")))
	b.do("confirm sign", chromedp.Click(chromedp.CSS("#report-sign-confirm")))
	b.wait("signed", fmt.Sprintf(`(() => { const x = document.querySelector('#report-banner'); return x && x.textContent.includes('Signed') && x.textContent.includes(%q); })()`, radUser), 10*time.Second)
	if js[bool](b, `document.querySelector('#report-sign') !== null || document.querySelector('#report-editor') !== null`) {
		t.Errorf("a signed report still offers Sign or an editor")
	}
	b.shot("07-report-signed")
	b.do("export", chromedp.Click(chromedp.CSS(`button[data-export="txt"]`)), chromedp.Click(chromedp.CSS(`button[data-export="pdf"]`)))
	signedPath := fmt.Sprintf("/api/v1/studies/%s/reports/%d", url.PathEscape(ct.UID), v0+1)
	if got := e.try(t, rad, "POST", signedPath+"/sign", map[string]any{}, nil); got != http.StatusConflict {
		t.Errorf("signing a signed report again: %d, want 409", got)
	}
	var signed struct{ Text, Status, SignedBy string }
	e.call(t, rad, "GET", signedPath, nil, http.StatusOK, &signed)
	if signed.Status != "signed" || !strings.Contains(signed.Text, addendum) {
		t.Errorf("signed report: status %q, text %q", signed.Status, signed.Text)
	}
	// A later edit is a new version; the signed one stays as it was.
	var v2 struct{ Version int }
	e.call(t, rad, "POST", "/api/v1/studies/"+url.PathEscape(ct.UID)+"/reports", map[string]any{"text": "Addendum draft.", "based_on": v0 + 1}, http.StatusCreated, &v2)

	// Staff: sees the report, cannot sign (no button; the API refuses).
	b.logout()
	b.noPatientData("after sign-out", e.studies)
	b.open(studyHash + "/report")
	b.login(staffUser, userPassword)
	b.wait("staff report view", `document.querySelector('#report-sign-note') !== null && document.querySelector('#report-text') !== null`, 15*time.Second)
	if !js[bool](b, fmt.Sprintf(`document.querySelector('#report-banner').textContent.includes(%q)`, "Signed by "+radUser)) {
		t.Errorf("staff does not see the signed report first: %q", js[string](b, `document.querySelector('#report-banner').textContent`))
	}
	if js[bool](b, `document.querySelector('#report-sign') !== null || document.querySelector('#report-edit') !== null`) {
		t.Errorf("staff user is offered Sign or Edit")
	}
	staff := e.token(t, staffUser, userPassword)
	if got := e.try(t, staff, "POST", fmt.Sprintf("/api/v1/studies/%s/reports/%d/sign", url.PathEscape(ct.UID), v2.Version), map[string]any{}, nil); got != http.StatusForbidden {
		t.Errorf("staff signing: %d, want 403", got)
	}
	if got := e.try(t, staff, "GET", "/api/v1/audit", nil, nil); got != http.StatusForbidden {
		t.Errorf("staff reading the audit log: %d, want 403", got)
	}
	b.shot("08-staff-report")

	// Admin: the audit log shows what the radiologist did.
	b.logout()
	b.open("#/admin/audit")
	b.login("admin", adminPassword)
	b.do("filter audit", chromedp.SetValue(chromedp.CSS("#a-user"), radUser), chromedp.Click(chromedp.CSS(".filters button[type=submit]")))
	wantActions := []string{"study.read", "instance.rendered", "report.edit", "report.sign", "report.export"}
	if e.model {
		wantActions = append(wantActions, "ask")
	}
	b.wait("audit rows", `document.querySelectorAll('#audit-table tbody tr').length > 5`, 10*time.Second)
	rows := js[string](b, `[...document.querySelectorAll('#audit-table tbody tr')].map(r => r.textContent).join('\n')`)
	for _, a := range wantActions {
		if !strings.Contains(rows, radUser+a) {
			t.Errorf("audit log lacks %s by %s", a, radUser)
		}
	}
	if !strings.Contains(rows, ct.UID) {
		t.Errorf("audit log does not name the study viewed (%s)", ct.UID)
	}
	b.shot("09-admin-audit")
	b.open("#/admin/system")
	b.wait("system cards", `document.querySelectorAll('#system-cards .card').length >= 3`, 10*time.Second)
	b.shot("10-admin-system")
	b.open("#/admin/jobs")
	b.wait("jobs table", `document.querySelector('#jobs-table') !== null`, 10*time.Second)
	b.shot("11-admin-jobs")
	b.open("#/admin/users")
	b.wait("users table", fmt.Sprintf(`document.querySelector('#users-table') && document.querySelector('#users-table').textContent.includes(%q)`, staffUser), 10*time.Second)
	// Disabling the staff account from the users page ends its open
	// session at once (the token from the staff part above).
	staffRow := fmt.Sprintf(`[...document.querySelectorAll('#users-table tbody tr')].find((r) => r.cells[0].textContent === %q)`, staffUser)
	js[bool](b, `(() => { `+staffRow+`.querySelector('button').click(); return true; })()`)
	b.wait("staff disabled", `(() => { const r = `+staffRow+`; return !!r && r.textContent.includes('disabled'); })()`, 10*time.Second)
	if got := e.try(t, staff, "GET", "/api/v1/studies", nil, nil); got != http.StatusUnauthorized {
		t.Errorf("disabled staff session: %d, want 401", got)
	}
	if js[bool](b, `(() => { const r = [...document.querySelectorAll('#users-table tbody tr')].find((r) => r.cells[0].textContent === 'admin'); return !r.querySelector('button').disabled; })()`) {
		t.Errorf("the signed-in admin is offered to disable their own account")
	}
	b.shot("13-admin-users")

	// Large monitor: the viewer of the multi-frame MR.
	mr := e.studies[2] // defaultStudies[2]
	b.do("large monitor", chromedp.EmulateViewport(1920, 1080))
	b.open("#/study/" + url.PathEscape(mr.UID))
	b.wait("MR frame", `(() => { const v = document.querySelector('#viewport'); return v && v.dataset.loaded && !document.querySelector('#frame-select').hidden; })()`, 20*time.Second)
	b.do("frame select", chromedp.SetValue(chromedp.CSS("#frame-select"), "3"))
	js[bool](b, `document.querySelector('#frame-select').dispatchEvent(new Event('change')); true`)
	b.wait("frame 4", `document.querySelector('#viewport').dataset.frame === '3' && document.querySelector('#viewport').dataset.loaded.includes('|3|')`, 15*time.Second)
	b.shot("12-viewer-1920x1080")
	t.Logf("workflow done in %.1fs (browser %.1fs)", time.Since(t0).Seconds(), time.Since(b.start).Seconds())
}
