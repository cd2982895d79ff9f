package api

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/lingshu-edge/lingshu/daemon/store"
)

// addDraft stores an AI draft of the CT study as the jobs package would.
func (f *fixture) addDraft(t *testing.T, text string) store.Report {
	t.Helper()
	r, err := f.st.AddReport(store.Report{
		StudyUID: f.ct.StudyInstanceUID, Kind: store.ReportAIDraft, Text: text, Author: "ai",
		Provenance: &store.Provenance{ModelHash: "sha256:0123456789abcdef0123", PromptVersion: "ct-v1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestReports_ListGetEditRoles(t *testing.T) {
	f := newFixture(t, Config{})
	base := "/api/v1/studies/" + f.ct.StudyInstanceUID + "/reports"
	var reps list[store.Report]
	f.getJSON(t, base, f.staff, 200, &reps)
	if reps.Items == nil || len(reps.Items) != 0 {
		t.Fatalf("empty list = %+v", reps)
	}
	f.getJSON(t, "/api/v1/studies/9.9.9/reports", f.staff, 404, nil)
	d := f.addDraft(t, "Findings: normal.")

	for _, c := range []struct {
		name   string
		token  string
		body   any
		status int
		code   string
	}{
		{"staff may not edit", f.staff, map[string]any{"text": "x"}, 403, CodeForbidden},
		{"empty text", f.rad, map[string]any{"text": " "}, 400, CodeBadRequest},
		{"unknown based_on", f.rad, map[string]any{"text": "x", "based_on": 9}, 400, CodeBadRequest},
		{"unknown field", f.rad, map[string]any{"txt": "x"}, 400, CodeBadRequest},
		{"based_on without text", f.rad, map[string]any{"based_on": 1}, 400, CodeBadRequest},
		{"draft without engine", f.rad, map[string]any{}, 503, CodeNoModel},
		{"radiologist edits", f.rad, map[string]any{"text": "Findings: normal. Impression: none.", "based_on": d.Version}, 201, ""},
		{"admin edits", f.admin, map[string]any{"text": "Impression: normal.", "based_on": 2}, 201, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, body := f.do(t, "POST", base, c.token, c.body)
			if resp.StatusCode != c.status {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			if c.code != "" {
				if code, _ := apiErr(t, body); code != c.code {
					t.Errorf("code %s", code)
				}
				return
			}
			var r store.Report
			json.Unmarshal(body, &r)
			if r.Kind != store.ReportEdited || r.Status != store.ReportStatusDraft || r.Version < 2 || r.Author == "" {
				t.Errorf("report %+v", r)
			}
		})
	}
	f.getJSON(t, "/api/v1/studies/9.9.9/reports", f.rad, 404, nil)
	if resp, _ := f.do(t, "POST", "/api/v1/studies/9.9.9/reports", f.rad, map[string]any{"text": "x"}); resp.StatusCode != 404 {
		t.Errorf("edit of unknown study: %d", resp.StatusCode)
	}
	f.getJSON(t, base, f.staff, 200, &reps)
	if len(reps.Items) != 3 || reps.Items[1].Author != "drwang" || reps.Items[2].Author != "root" || reps.Items[2].BasedOn != 2 {
		t.Fatalf("reports = %+v", reps.Items)
	}
	var r store.Report
	f.getJSON(t, base+"/1", f.staff, 200, &r)
	if r.Kind != store.ReportAIDraft || r.Text != "Findings: normal." || r.Provenance == nil {
		t.Errorf("v1 = %+v", r)
	}
	f.getJSON(t, base+"/7", f.staff, 404, nil)
	f.getJSON(t, base+"/zero", f.staff, 400, nil)

	recs, _, _ := f.st.QueryAudit(store.AuditFilter{Action: "report.edit"}, 10, "")
	if len(recs) != 6 { // every edit attempt, allowed or not (the undecodable body is "report.create")
		t.Errorf("report.edit audit records: %d", len(recs))
	}
	recs, _, _ = f.st.QueryAudit(store.AuditFilter{Action: "report.read"}, 10, "")
	if len(recs) != 3 || recs[0].StudyUID != f.ct.StudyInstanceUID {
		t.Errorf("report.read audit = %+v", recs)
	}
}

// TestReports_SignRulesAndImmutability: only radiologists sign (admins
// and staff get 403); a signed version cannot be signed again (409) and
// its text never changes; signing a later version supersedes it.
func TestReports_SignRulesAndImmutability(t *testing.T) {
	f := newFixture(t, Config{})
	base := "/api/v1/studies/" + f.ct.StudyInstanceUID + "/reports"
	f.addDraft(t, "Draft one.")
	for _, c := range []struct {
		name   string
		token  string
		path   string
		status int
		code   string
	}{
		{"staff", f.staff, base + "/1/sign", 403, CodeForbidden},
		{"admin", f.admin, base + "/1/sign", 403, CodeForbidden},
		{"bad version", f.rad, base + "/x/sign", 400, CodeBadRequest},
		{"missing version", f.rad, base + "/5/sign", 404, CodeNotFound},
		{"radiologist", f.rad, base + "/1/sign", 200, ""},
		{"again", f.rad, base + "/1/sign", 409, CodeSigned},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, body := f.do(t, "POST", c.path, c.token, nil)
			if resp.StatusCode != c.status {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			if c.code != "" {
				if code, _ := apiErr(t, body); code != c.code {
					t.Errorf("code %s", code)
				}
				return
			}
			var r store.Report
			json.Unmarshal(body, &r)
			if r.Status != store.ReportStatusSigned || r.SignedBy != "drwang" || r.SignedAt == nil {
				t.Errorf("signed = %+v", r)
			}
		})
	}
	// An edit of a signed version is a new version; the signed one is unchanged.
	resp, body := f.do(t, "POST", base, f.rad, map[string]any{"text": "Addendum: also fine.", "based_on": 1})
	if resp.StatusCode != 201 {
		t.Fatalf("edit: %d %s", resp.StatusCode, body)
	}
	if resp, body := f.do(t, "POST", base+"/2/sign", f.rad, nil); resp.StatusCode != 200 {
		t.Fatalf("sign v2: %d %s", resp.StatusCode, body)
	}
	var v1 store.Report
	f.getJSON(t, base+"/1", f.staff, 200, &v1)
	if v1.Text != "Draft one." || v1.Status != store.ReportStatusSuperseded || v1.SignedBy != "drwang" {
		t.Errorf("v1 after v2 signed = %+v", v1)
	}
	if resp, _ := f.do(t, "POST", base+"/1/sign", f.rad, nil); resp.StatusCode != 409 {
		t.Errorf("sign superseded: %d", resp.StatusCode)
	}
	var study struct {
		AIStatus string `json:"ai_status"`
	}
	f.getJSON(t, "/api/v1/studies/"+f.ct.StudyInstanceUID, f.staff, 200, &study)
	if study.AIStatus != store.AISigned {
		t.Errorf("ai_status %q", study.AIStatus)
	}
	recs, _, _ := f.st.QueryAudit(store.AuditFilter{Action: "report.sign"}, 20, "")
	if len(recs) != 8 {
		t.Errorf("report.sign audit records: %d", len(recs))
	}
}

// TestReports_DraftOnDemand: {} queues a draft job (202 {"job"}), seen in
// GET /jobs and as the study's ai_status.
func TestReports_DraftOnDemand(t *testing.T) {
	f := newFixture(t, Config{})
	f.srv.cfg.Drafts = fakeDrafts{f.st}
	base := "/api/v1/studies/" + f.ct.StudyInstanceUID + "/reports"
	resp, body := f.do(t, "POST", base, f.staff, map[string]any{})
	var out struct{ Job store.Job }
	json.Unmarshal(body, &out)
	if resp.StatusCode != 202 || out.Job.ID == "" || out.Job.State != store.JobQueued || out.Job.RequestedBy != "nurse" ||
		out.Job.Trigger != store.TriggerOnDemand || out.Job.StudyUID != f.ct.StudyInstanceUID {
		t.Fatalf("draft request: %d %s", resp.StatusCode, body)
	}
	if resp, _ := f.do(t, "POST", "/api/v1/studies/9.9.9/reports", f.staff, nil); resp.StatusCode != 404 {
		t.Errorf("draft of unknown study: %d", resp.StatusCode)
	}
	var jobs list[store.Job]
	f.getJSON(t, "/api/v1/jobs?state=queued&study_uid="+f.ct.StudyInstanceUID, f.staff, 200, &jobs)
	if len(jobs.Items) != 1 || jobs.Items[0].ID != out.Job.ID {
		t.Errorf("jobs = %+v", jobs)
	}
	f.getJSON(t, "/api/v1/jobs?state=done", f.staff, 200, &jobs)
	if len(jobs.Items) != 0 || jobs.Items == nil {
		t.Errorf("done jobs = %+v", jobs)
	}
	f.getJSON(t, "/api/v1/jobs?state=bogus", f.staff, 400, nil)
	f.getJSON(t, "/api/v1/jobs?limit=0", f.staff, 400, nil)

	var studies list[struct {
		StudyUID string `json:"study_uid"`
		AIStatus string `json:"ai_status"`
	}]
	f.getJSON(t, "/api/v1/studies", f.staff, 200, &studies)
	got := map[string]string{}
	for _, s := range studies.Items {
		got[s.StudyUID] = s.AIStatus
	}
	if got[f.ct.StudyInstanceUID] != store.AIQueued || got[f.cr.StudyInstanceUID] == "" {
		t.Errorf("ai_status = %v", got)
	}
	recs, _, _ := f.st.QueryAudit(store.AuditFilter{Action: "report.draft_request"}, 10, "")
	if len(recs) != 2 || recs[1].User != "nurse" {
		t.Errorf("audit = %+v", recs)
	}
}

// TestReports_Export: txt and pdf, with the banner only while unsigned.
func TestReports_Export(t *testing.T) {
	f := newFixture(t, Config{})
	base := "/api/v1/studies/" + f.ct.StudyInstanceUID + "/reports/1/export"
	f.addDraft(t, "FINDINGS: The lungs are clear.\n\nIMPRESSION: "+strings.Repeat("No acute disease. ", 40))
	st, _ := f.st.Study(f.ct.StudyInstanceUID)

	resp, body := f.do(t, "GET", base, f.staff, nil)
	txt := string(body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "-v1.txt") {
		t.Fatalf("txt: %d %v", resp.StatusCode, resp.Header)
	}
	for _, want := range []string{UnverifiedBanner, "IMPRESSION: No acute disease.", st.PatientID, "prompt ct-v1", "Version: 1 (ai_draft, draft)"} {
		if !strings.Contains(txt, want) {
			t.Errorf("txt lacks %q:\n%s", want, txt)
		}
	}
	resp, body = f.do(t, "GET", base+"?format=pdf", f.staff, nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("pdf: %d %v", resp.StatusCode, resp.Header)
	}
	texts := checkPDF(t, body)
	all := ""
	for _, tx := range texts {
		all += tx.Text + "\n"
	}
	if !strings.Contains(all, UnverifiedBanner) || !strings.Contains(all, "FINDINGS: The lungs are clear.") {
		t.Errorf("pdf text:\n%s", all)
	}
	f.getJSON(t, base+"?format=docx", f.staff, 400, nil)
	f.getJSON(t, "/api/v1/studies/"+f.ct.StudyInstanceUID+"/reports/2/export", f.staff, 404, nil)

	if resp, body := f.do(t, "POST", "/api/v1/studies/"+f.ct.StudyInstanceUID+"/reports/1/sign", f.rad, nil); resp.StatusCode != 200 {
		t.Fatalf("sign: %d %s", resp.StatusCode, body)
	}
	_, body = f.do(t, "GET", base, f.staff, nil)
	if strings.Contains(string(body), UnverifiedBanner) || !strings.Contains(string(body), "Signed by drwang") {
		t.Errorf("signed txt:\n%s", body)
	}
	_, body = f.do(t, "GET", base+"?format=pdf", f.staff, nil)
	for _, tx := range checkPDF(t, body) {
		if tx.Text == UnverifiedBanner {
			t.Error("signed pdf has the banner")
		}
	}
	recs, _, _ := f.st.QueryAudit(store.AuditFilter{Action: "report.export"}, 10, "")
	if len(recs) != 6 || !strings.Contains(recs[0].Detail, "format=pdf") {
		t.Errorf("audit = %+v", recs)
	}
}

// TestJobs_Cancel: radiologists and admins cancel a job (audited), staff
// may not, an ended job answers 409, and without a draft queue 503.
func TestJobs_Cancel(t *testing.T) {
	f := newFixture(t, Config{})
	if resp, body := f.do(t, "POST", "/api/v1/jobs/x/cancel", f.rad, nil); resp.StatusCode != 503 {
		t.Errorf("no queue: %d %s", resp.StatusCode, body)
	}
	f.srv.cfg.Drafts = fakeDrafts{f.st}
	j, err := fakeDrafts{f.st}.RequestDraft(t.Context(), f.ct.StudyInstanceUID, "nurse")
	if err != nil {
		t.Fatal(err)
	}
	path := "/api/v1/jobs/" + j.ID + "/cancel"
	if resp, _ := f.do(t, "POST", path, f.staff, nil); resp.StatusCode != 403 {
		t.Errorf("staff cancels: %d", resp.StatusCode)
	}
	resp, body := f.do(t, "POST", path, f.rad, nil)
	var got store.Job
	json.Unmarshal(body, &got)
	if resp.StatusCode != 200 || got.State != store.JobCancelled || got.Error != "cancelled by drwang" {
		t.Fatalf("radiologist cancels: %d %s", resp.StatusCode, body)
	}
	if resp, _ := f.do(t, "POST", path, f.admin, nil); resp.StatusCode != 409 {
		t.Errorf("cancel an ended job: %d, want 409", resp.StatusCode)
	}
	if resp, _ := f.do(t, "POST", "/api/v1/jobs/nope/cancel", f.admin, nil); resp.StatusCode != 404 {
		t.Errorf("unknown job: %d, want 404", resp.StatusCode)
	}
	var page list[store.AuditRecord]
	f.getJSON(t, "/api/v1/audit?action=job.cancel", f.admin, 200, &page)
	found := false
	for _, a := range page.Items {
		found = found || a.User == "drwang" && a.StudyUID == f.ct.StudyInstanceUID && a.Detail == "status=200"
	}
	if !found {
		t.Errorf("no audit record of drwang's cancel naming the study: %+v", page.Items)
	}
}
