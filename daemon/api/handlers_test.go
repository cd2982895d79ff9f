package api

import (
	"bytes"
	"encoding/json"
	"image/png"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/lingshu-edge/lingshu/daemon/store"
)

func TestLogin_BadCredentialsAndLogout(t *testing.T) {
	f := newFixture(t, Config{})
	for _, c := range []struct {
		body   any
		status int
		code   string
	}{
		{map[string]string{"username": "nurse", "password": "wrong"}, 401, CodeUnauthorized},
		{map[string]string{"username": "ghost", "password": "nursepass1"}, 401, CodeUnauthorized},
		{map[string]string{"username": "nurse"}, 400, CodeBadRequest},
		{"not an object", 400, CodeBadRequest},
	} {
		resp, body := f.do(t, "POST", "/api/v1/auth/login", "", c.body)
		if code, _ := apiErr(t, body); resp.StatusCode != c.status || code != c.code {
			t.Errorf("login %v: %d %s", c.body, resp.StatusCode, body)
		}
	}
	tok := f.login(t, "nurse", "nursepass1")
	f.getJSON(t, "/api/v1/studies", tok, 200, nil)
	if resp, _ := f.do(t, "POST", "/api/v1/auth/logout", tok, nil); resp.StatusCode != 204 {
		t.Errorf("logout: %d", resp.StatusCode)
	}
	f.getJSON(t, "/api/v1/studies", tok, 401, nil)
	f.getJSON(t, "/api/v1/studies", f.staff, 200, nil) // other sessions live on
}

func TestLogin_RateLimited(t *testing.T) {
	f := newFixture(t, Config{LoginMaxFailures: 3})
	for i := 0; i < 3; i++ {
		f.do(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": "nurse", "password": "guess"})
	}
	resp, body := f.do(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": "nurse", "password": "nursepass1"})
	if code, _ := apiErr(t, body); resp.StatusCode != 429 || code != CodeTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("after 3 failures: %d %s", resp.StatusCode, body)
	}
}

func TestHealth_PublicWithoutPHI(t *testing.T) {
	f := newFixture(t, Config{Version: "1.2.3"})
	var h struct {
		Status  string
		Version string
		Counts  store.Counts
	}
	resp, body := f.do(t, "GET", "/api/v1/health", "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("health: %d %s", resp.StatusCode, body)
	}
	json.Unmarshal(body, &h)
	if h.Status != "ok" || h.Version != "1.2.3" || h.Counts.Studies != 2 || h.Counts.Instances != 5 {
		t.Errorf("health = %s", body)
	}
	st, _ := f.st.Study(f.ct.StudyInstanceUID)
	for _, phi := range []string{st.PatientID, st.PatientName, f.ct.StudyInstanceUID} {
		if phi != "" && bytes.Contains(body, []byte(phi)) {
			t.Errorf("health shows %q", phi)
		}
	}
}

func TestStudies_ListFilterPage(t *testing.T) {
	f := newFixture(t, Config{})
	var all list[map[string]any]
	f.getJSON(t, "/api/v1/studies", f.staff, 200, &all)
	if len(all.Items) != 2 || all.Next != "" {
		t.Fatalf("studies = %+v", all)
	}
	for _, k := range []string{"study_uid", "patient_id", "patient_name", "patient_birth_date", "patient_sex", "study_date",
		"study_time", "study_description", "accession_number", "modalities", "num_series", "num_instances"} {
		if _, ok := all.Items[0][k]; !ok {
			t.Errorf("study item lacks %s: %v", k, all.Items[0])
		}
	}
	st, _ := f.st.Study(f.ct.StudyInstanceUID)
	var one list[studyItem]
	name := strings.ToLower(strings.SplitN(st.PatientName, "^", 2)[0]) + "*"
	f.getJSON(t, "/api/v1/studies?modality=CT&patient_name="+name, f.staff, 200, &one)
	if len(one.Items) != 1 || one.Items[0].StudyUID != f.ct.StudyInstanceUID || one.Items[0].NumInstances != 3 ||
		len(one.Items[0].Modalities) != 1 || one.Items[0].Modalities[0] != "CT" {
		t.Errorf("filtered = %+v", one)
	}
	var page list[studyItem]
	f.getJSON(t, "/api/v1/studies?limit=1", f.staff, 200, &page)
	if len(page.Items) != 1 || page.Next == "" {
		t.Fatalf("page 1 = %+v", page)
	}
	var page2 list[studyItem]
	f.getJSON(t, "/api/v1/studies?limit=1&cursor="+page.Next, f.staff, 200, &page2)
	if len(page2.Items) != 1 || page2.Next != "" || page2.Items[0].StudyUID == page.Items[0].StudyUID {
		t.Errorf("page 2 = %+v", page2)
	}
	for _, bad := range []string{"limit=0", "limit=x", "limit=5000", "date_from=2026-01-01", "date_to=20261340", "cursor=zzz"} {
		resp, body := f.do(t, "GET", "/api/v1/studies?"+bad, f.staff, nil)
		if code, _ := apiErr(t, body); resp.StatusCode != 400 || code != CodeBadRequest {
			t.Errorf("%s: %d %s", bad, resp.StatusCode, body)
		}
	}
}

func TestStudySeriesInstances(t *testing.T) {
	f := newFixture(t, Config{})
	var st studyItem
	f.getJSON(t, "/api/v1/studies/"+f.ct.StudyInstanceUID, f.staff, 200, &st)
	if st.NumSeries != 1 || st.NumInstances != 3 {
		t.Errorf("study = %+v", st)
	}
	resp, body := f.do(t, "GET", "/api/v1/studies/9.9.9", f.staff, nil)
	if code, _ := apiErr(t, body); resp.StatusCode != 404 || code != CodeNotFound {
		t.Errorf("unknown study: %d %s", resp.StatusCode, body)
	}
	var series list[map[string]any]
	f.getJSON(t, "/api/v1/studies/"+f.ct.StudyInstanceUID+"/series", f.staff, 200, &series)
	if len(series.Items) != 1 || series.Items[0]["series_uid"] != f.ct.SeriesInstanceUID || series.Items[0]["modality"] != "CT" ||
		series.Items[0]["num_instances"] != 3.0 {
		t.Errorf("series = %+v", series)
	}
	for _, k := range []string{"series_number", "series_description", "body_part"} {
		if _, ok := series.Items[0][k]; !ok {
			t.Errorf("series item lacks %s", k)
		}
	}
	var insts []instanceItem
	cursor := ""
	for i := 0; i < 5; i++ {
		var page list[instanceItem]
		f.getJSON(t, "/api/v1/series/"+f.ct.SeriesInstanceUID+"/instances?limit=2&cursor="+cursor, f.staff, 200, &page)
		insts = append(insts, page.Items...)
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	if len(insts) != 3 {
		t.Fatalf("instances = %+v", insts)
	}
	for i, in := range insts {
		want := f.ct.Instances[i]
		if in.SOPInstanceUID != want.SOPInstanceUID || in.InstanceNumber != want.InstanceNumber || in.Rows == 0 ||
			in.TransferSyntaxUID != want.TransferSyntaxUID || in.SOPClassUID != want.SOPClassUID || in.NumberOfFrames != 1 {
			t.Errorf("instance %d = %+v", i, in)
		}
	}
	f.getJSON(t, "/api/v1/series/9.9/instances", f.staff, 404, nil)
}

func TestInstance_JSONAndFile(t *testing.T) {
	f := newFixture(t, Config{})
	in := f.ct.Instances[1]
	resp, body := f.do(t, "GET", "/api/v1/instances/"+in.SOPInstanceUID, f.staff, nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/dicom+json" {
		t.Fatalf("json: %d %s %.200s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	var model map[string]struct {
		VR          string `json:"vr"`
		Value       []any  `json:"Value"`
		BulkDataURI string `json:"BulkDataURI"`
	}
	if err := json.Unmarshal(body, &model); err != nil {
		t.Fatal(err)
	}
	if v := model["00080018"].Value; len(v) != 1 || v[0] != in.SOPInstanceUID {
		t.Errorf("SOP Instance UID in JSON = %v", model["00080018"])
	}
	if uri := model["7FE00010"].BulkDataURI; uri != "/api/v1/instances/"+in.SOPInstanceUID+"/file" {
		t.Errorf("pixel data BulkDataURI = %q", uri)
	}
	resp, body = f.do(t, "GET", "/api/v1/instances/"+in.SOPInstanceUID+"/file", f.staff, nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/dicom" {
		t.Fatalf("file: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	rec, _ := f.st.Instance(in.SOPInstanceUID)
	disk, _ := os.ReadFile(rec.Path)
	if !bytes.Equal(body, disk) || !bytes.HasSuffix(body, in.Dataset) {
		t.Errorf("file body (%d bytes) differs from the stored file (%d)", len(body), len(disk))
	}
	f.getJSON(t, "/api/v1/instances/9.9/file", f.staff, 404, nil)
	os.Remove(rec.Path)
	resp, body = f.do(t, "GET", "/api/v1/instances/"+in.SOPInstanceUID+"/file", f.staff, nil)
	if code, _ := apiErr(t, body); resp.StatusCode != http.StatusGone || code != "gone" {
		t.Errorf("missing file: %d %s", resp.StatusCode, body)
	}
}

func TestInstance_Rendered(t *testing.T) {
	f := newFixture(t, Config{})
	ct := f.ct.Instances[0].SOPInstanceUID
	resp, body := f.do(t, "GET", "/api/v1/instances/"+ct+"/rendered?window=400&level=40&size=64", f.staff, nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("rendered: %d %s", resp.StatusCode, body)
	}
	img, err := png.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() > 64 || b.Dy() > 64 || b.Dx() < 32 {
		t.Errorf("rendered size %v, want longest side 64", b)
	}
	cr := f.cr.Instances[0].SOPInstanceUID
	if resp, body := f.do(t, "GET", "/api/v1/instances/"+cr+"/rendered", f.staff, nil); resp.StatusCode != 200 {
		t.Errorf("CR rendered: %d %s", resp.StatusCode, body)
	}
	for _, c := range []struct {
		query  string
		status int
		code   string
	}{
		{"window=400", 400, CodeBadRequest},
		{"window=-1&level=0", 400, CodeBadRequest},
		{"window=a&level=b", 400, CodeBadRequest},
		{"frame=-1", 400, CodeBadRequest},
		{"frame=x", 400, CodeBadRequest},
		{"frame=5", 400, CodeBadRequest}, // out of range
		{"size=0", 400, CodeBadRequest},
		{"size=100000", 400, CodeBadRequest},
	} {
		resp, body := f.do(t, "GET", "/api/v1/instances/"+ct+"/rendered?"+c.query, f.staff, nil)
		if code, _ := apiErr(t, body); resp.StatusCode != c.status || code != c.code {
			t.Errorf("%s: %d %s", c.query, resp.StatusCode, body)
		}
	}
	resp, body = f.do(t, "GET", "/api/v1/instances/"+f.j2k+"/rendered", f.staff, nil)
	code, msg := apiErr(t, body)
	if resp.StatusCode != http.StatusUnsupportedMediaType || code != CodeUnsupportedMedia || !strings.Contains(msg, "unsupported transfer syntax") || !strings.Contains(msg, jpeg2000) {
		t.Errorf("jpeg 2000: %d %s", resp.StatusCode, body)
	}
}

func TestAudit_RecordsReadsAdminOnly(t *testing.T) {
	f := newFixture(t, Config{})
	sop := f.ct.Instances[0].SOPInstanceUID
	f.getJSON(t, "/api/v1/studies?patient_name=x*", f.staff, 200, nil)
	f.getJSON(t, "/api/v1/instances/"+sop+"/file", f.staff, 200, nil)
	f.getJSON(t, "/api/v1/studies/9.9.9", f.staff, 404, nil)

	resp, body := f.do(t, "GET", "/api/v1/audit", f.staff, nil)
	if code, _ := apiErr(t, body); resp.StatusCode != 403 || code != CodeForbidden {
		t.Errorf("staff reads audit: %d %s", resp.StatusCode, body)
	}
	var log list[store.AuditRecord]
	f.getJSON(t, "/api/v1/audit?user=nurse", f.admin, 200, &log)
	if len(log.Items) != 4 { // login + 3 reads
		t.Fatalf("audit = %+v", log.Items)
	}
	miss, file, search := log.Items[0], log.Items[1], log.Items[2]
	if miss.Action != "study.read" || miss.StudyUID != "9.9.9" || !strings.Contains(miss.Detail, "status=404") {
		t.Errorf("404 read = %+v", miss)
	}
	if file.Action != "instance.file" || file.SOPUID != sop || file.StudyUID != f.ct.StudyInstanceUID || file.RemoteAddr == "" || file.Time.IsZero() {
		t.Errorf("file read = %+v", file)
	}
	if search.Action != "studies.search" || !strings.Contains(search.Detail, "patient_name=x*") {
		t.Errorf("search = %+v", search)
	}
	var page list[store.AuditRecord]
	f.getJSON(t, "/api/v1/audit?limit=1&action=instance.file", f.admin, 200, &page)
	if len(page.Items) != 1 || page.Next != "" {
		t.Errorf("filtered audit = %+v", page)
	}
	f.getJSON(t, "/api/v1/audit?from=yesterday", f.admin, 400, nil)
}

func TestUsers_AdminOnly(t *testing.T) {
	f := newFixture(t, Config{})
	newUser := map[string]string{"name": "dr.li", "password": "radiology1", "role": "radiologist"}
	if resp, body := f.do(t, "POST", "/api/v1/users", f.staff, newUser); resp.StatusCode != 403 {
		t.Errorf("staff creates user: %d %s", resp.StatusCode, body)
	}
	if resp, body := f.do(t, "POST", "/api/v1/users", f.admin, newUser); resp.StatusCode != 201 || bytes.Contains(body, []byte("radiology1")) {
		t.Fatalf("admin creates user: %d %s", resp.StatusCode, body)
	}
	if resp, body := f.do(t, "POST", "/api/v1/users", f.admin, newUser); resp.StatusCode != 409 {
		t.Errorf("duplicate: %d %s", resp.StatusCode, body)
	}
	for _, bad := range []map[string]string{
		{"name": "x", "password": "short", "role": "staff"},
		{"name": "x", "password": "longenough", "role": "god"},
		{"name": "a b", "password": "longenough", "role": "staff"},
	} {
		if resp, body := f.do(t, "POST", "/api/v1/users", f.admin, bad); resp.StatusCode != 400 {
			t.Errorf("%v: %d %s", bad, resp.StatusCode, body)
		}
	}
	var users list[store.User]
	f.getJSON(t, "/api/v1/users", f.admin, 200, &users)
	if len(users.Items) != 4 { // root, nurse, drwang of the fixture, and dr.li
		t.Errorf("users = %+v", users)
	}
	f.getJSON(t, "/api/v1/users", f.staff, 403, nil)
	if tok := f.login(t, "dr.li", "radiology1"); tok == "" {
		t.Error("new user cannot log in")
	}
}

func TestStoreClosed_Unavailable(t *testing.T) {
	f := newFixture(t, Config{})
	f.st.Close()
	for _, path := range []string{"/api/v1/health", "/api/v1/studies"} {
		resp, body := f.do(t, "GET", path, f.staff, nil)
		if code, _ := apiErr(t, body); resp.StatusCode != 503 || code != CodeUnavailable {
			t.Errorf("%s on closed store: %d %s", path, resp.StatusCode, body)
		}
	}
}

func TestUsers_UpdateRolePasswordDisable(t *testing.T) {
	f := newFixture(t, Config{})
	patch := func(token, name string, body any) (int, []byte) {
		t.Helper()
		resp, b := f.do(t, "PATCH", "/api/v1/users/"+name, token, body)
		return resp.StatusCode, b
	}
	if code, body := patch(f.staff, "nurse", map[string]any{"role": "admin"}); code != 403 {
		t.Errorf("staff promotes itself: %d %s", code, body)
	}
	tests := []struct {
		name string
		user string
		body any
		want int
	}{
		{"nothing to change", "nurse", map[string]any{}, 400},
		{"bad role", "nurse", map[string]any{"role": "god"}, 400},
		{"short password", "nurse", map[string]any{"password": "short"}, 400},
		{"unknown user", "nobody", map[string]any{"role": "staff"}, 404},
		{"disable yourself", "root", map[string]any{"disabled": true}, 409},
		{"demote the last admin", "root", map[string]any{"role": "staff"}, 409},
		{"promote staff", "nurse", map[string]any{"role": "radiologist"}, 200},
	}
	for _, tt := range tests {
		if code, body := patch(f.admin, tt.user, tt.body); code != tt.want {
			t.Errorf("%s: %d %s, want %d", tt.name, code, body, tt.want)
		}
	}
	// The role change applies to the open session at once: the former
	// staff member now reaches a radiologist-only action's role check.
	var me struct{ Role string }
	f.getJSON(t, "/api/v1/auth/me", f.staff, 200, &me)
	if me.Role != store.RoleRadiologist {
		t.Errorf("role after promotion = %q", me.Role)
	}
	// Disabling ends the session and refuses new logins; enabling and a
	// new password let the user back in.
	if code, body := patch(f.admin, "nurse", map[string]any{"disabled": true}); code != 200 || !bytes.Contains(body, []byte(`"disabled":true`)) {
		t.Fatalf("disable: %d %s", code, body)
	}
	f.getJSON(t, "/api/v1/studies", f.staff, 401, nil)
	if resp, _ := f.do(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": "nurse", "password": "nursepass1"}); resp.StatusCode != 401 {
		t.Errorf("disabled user logs in: %d", resp.StatusCode)
	}
	if code, body := patch(f.admin, "nurse", map[string]any{"disabled": false, "password": "newpass123"}); code != 200 {
		t.Fatalf("enable: %d %s", code, body)
	}
	if tok := f.login(t, "nurse", "newpass123"); tok == "" {
		t.Error("re-enabled user cannot log in with the new password")
	}
	var page list[store.AuditRecord]
	f.getJSON(t, "/api/v1/audit?action=user.update", f.admin, 200, &page)
	if len(page.Items) != 3 {
		t.Errorf("%d user.update audit records, want 3", len(page.Items))
	}
}
