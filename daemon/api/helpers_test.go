package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lingshu-edge/lingshu/daemon/store"
	"github.com/lingshu-edge/lingshu/dicom"
	"github.com/lingshu-edge/lingshu/dicom/phantom"
)

const jpeg2000 = "1.2.840.10008.1.2.4.90"

type fixture struct {
	srv   *Server
	st    *store.Store
	ct    *phantom.Study // 3-slice CT
	cr    *phantom.Study // one CR image
	admin string         // tokens
	staff string
	rad   string    // a radiologist
	extra [2]string // one more header for the next request (doHeader)
	j2k   string    // SOP UID of an instance whose transfer syntax cannot be rendered
}

// phantoms builds the test studies once per test binary (the CR phantom
// takes seconds to render).
var phantoms = func() func() (ct, cr *phantom.Study, err error) {
	var once sync.Once
	var ct, cr *phantom.Study
	var err error
	return func() (*phantom.Study, *phantom.Study, error) {
		once.Do(func() {
			ct, err = phantom.NewStudy(phantom.Options{Modality: "CT", Slices: 3, Seed: 7}, 0)
			if err == nil {
				cr, err = phantom.NewStudy(phantom.Options{Modality: "CR", Seed: 7}, 1)
			}
		})
		return ct, cr, err
	}
}()

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newFixture(t *testing.T, cfg Config) *fixture {
	t.Helper()
	st, err := store.Open(t.TempDir(), store.Options{BcryptCost: 4, StableAfter: time.Hour, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{st: st, srv: New(cfg, st, quiet())}
	if _, err := st.CreateUser("root", "rootpass1", store.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateUser("nurse", "nursepass1", store.RoleStaff); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateUser("drwang", "drwangpass1", store.RoleRadiologist); err != nil {
		t.Fatal(err)
	}
	f.ct, f.cr, err = phantoms()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*phantom.Study{f.ct, f.cr} {
		for _, in := range s.Instances {
			put(t, st, in.SOPClassUID, in.SOPInstanceUID, in.TransferSyntaxUID, in.Dataset)
		}
	}
	// The CR dataset again, labelled JPEG 2000: indexable, not renderable.
	cr := f.cr.Instances[0]
	f.j2k = "1.2.826.0.1.3680043.10.999.1"
	ds := bytes.Replace(cr.Dataset, []byte(cr.SOPInstanceUID), []byte(f.j2k+pad(len(cr.SOPInstanceUID)-len(f.j2k))), 1)
	put(t, st, cr.SOPClassUID, f.j2k, jpeg2000, ds)

	f.admin = f.login(t, "root", "rootpass1")
	f.staff = f.login(t, "nurse", "nursepass1")
	f.rad = f.login(t, "drwang", "drwangpass1")
	return f
}

func pad(n int) string {
	if n <= 0 {
		return ""
	}
	return string(bytes.Repeat([]byte{0}, n))
}

func put(t *testing.T, st *store.Store, class, sop, ts string, ds []byte) {
	t.Helper()
	_, err := st.PutInstance(context.Background(), store.Incoming{
		Meta:     dicom.FileMeta{MediaStorageSOPClassUID: class, MediaStorageSOPInstanceUID: sop, TransferSyntaxUID: ts},
		Dataset:  ds,
		SenderAE: "PHANTOM",
	})
	if err != nil {
		t.Fatalf("put %s: %v", sop, err)
	}
}

func (f *fixture) login(t *testing.T, user, pw string) string {
	t.Helper()
	resp, body := f.do(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": user, "password": pw})
	if resp.StatusCode != 200 {
		t.Fatalf("login %s: %d %s", user, resp.StatusCode, body)
	}
	var out struct{ Token string }
	json.Unmarshal(body, &out)
	return out.Token
}

// do sends a request (body marshalled as JSON when not nil) and returns
// the response and its body. token is a bearer token, or "cookie:T" (the
// session cookie with the CSRF header) or "cookie-nocsrf:T".
func (f *fixture) do(t *testing.T, method, path, token string, body any) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch {
	case strings.HasPrefix(token, "cookie:"): // cookie session, with the CSRF header
		req.Header.Set("Cookie", SessionCookie+"="+strings.TrimPrefix(token, "cookie:"))
		req.Header.Set(CSRFHeader, "1")
	case strings.HasPrefix(token, "cookie-nocsrf:"):
		req.Header.Set("Cookie", SessionCookie+"="+strings.TrimPrefix(token, "cookie-nocsrf:"))
	case token != "":
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if f.extra[0] != "" {
		req.Header.Set(f.extra[0], f.extra[1])
	}
	resp, err := f.srv.App().Test(req, 10000)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b
}

// getJSON GETs path with token, expects status, and decodes into v.
func (f *fixture) getJSON(t *testing.T, path, token string, status int, v any) {
	t.Helper()
	resp, body := f.do(t, "GET", path, token, nil)
	if resp.StatusCode != status {
		t.Fatalf("GET %s: status %d, want %d: %s", path, resp.StatusCode, status, body)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("GET %s: %v: %s", path, err, body)
		}
	}
}

// apiErr decodes the error body and checks its shape.
func apiErr(t *testing.T, body []byte) (code, msg string) {
	t.Helper()
	var e struct {
		Error *struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error == nil || e.Error.Code == "" {
		t.Fatalf("not an error body: %s", body)
	}
	return e.Error.Code, e.Error.Message
}
