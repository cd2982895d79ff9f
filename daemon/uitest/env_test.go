package uitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lingshu-edge/lingshu/daemon"
	"github.com/lingshu-edge/lingshu/daemon/infer"
	"github.com/lingshu-edge/lingshu/daemon/ui"
	dicomnet "github.com/lingshu-edge/lingshu/dicom/net"
	"github.com/lingshu-edge/lingshu/dicom/phantom"
	"github.com/lingshu-edge/lingshu/internal/golden"
)

const (
	adminPassword = "uitest-admin-secret"
	radUser       = "dr.house"
	staffUser     = "desk.clerk"
	userPassword  = "correct-horse-battery"
	explicitLE    = "1.2.840.10008.1.2.1"
	ctStorage     = "1.2.840.10008.5.1.4.1.1.2"
)

// envRunner makes this test binary act as `lingshu runner` (see TestMain),
// so the daemon's inference child process needs no separate build.
const envRunner = "LINGSHU_UITEST_RUNNER"

func TestMain(m *testing.M) {
	if os.Getenv(envRunner) == "1" {
		os.Exit(runnerMain(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// runnerMain is `lingshu runner` inside this test binary: the same
// command line (infer.RunnerMain), so flags the daemon adds reach it.
func runnerMain(args []string) int {
	if err := infer.RunnerMain(context.Background(), args, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "runner:", err)
		return 1
	}
	return 0
}

// env is a running daemon with users and studies, and the URL the browser
// opens.
type env struct {
	d        *daemon.Daemon
	api      string // the daemon's own http://host:port
	base     string // what the browser opens (the daemon, or a proxy adding the UI)
	model    bool   // a model is configured
	studies  []sentStudy
	artifact string
}

type sentStudy struct {
	UID, PatientID, PatientName, Modality string
	Instances                             int
}

// defaultStudies: a 60-slice CT, a CR and a multi-frame MR.
var defaultStudies = []phantom.Options{
	{Modality: "CT", Slices: 60, Seed: 11},
	{Modality: "CR", Seed: 12},
	{Modality: "MR", Slices: 12, MultiFrame: true, Seed: 13},
}

// startEnv starts the daemon (with the tiny golden model when withModel and
// present), creates the radiologist and staff users and sends the studies.
func startEnv(t *testing.T, studies []phantom.Options, withModel bool) *env {
	t.Helper()
	e := &env{artifact: os.Getenv("LINGSHU_ARTIFACTS")}
	if e.artifact == "" {
		e.artifact = t.TempDir()
	} else if err := os.MkdirAll(e.artifact, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := daemon.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.DICOM.Addr = "127.0.0.1:0"
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.Store.MinFreeMB = 0
	cfg.Store.StableAfter = daemon.Duration{Duration: time.Second}
	cfg.Log.Level = "warn"
	modelDir := filepath.Join(golden.Root(), "qwen25vl-tiny")
	if _, err := os.Stat(filepath.Join(modelDir, "model.safetensors")); err == nil && withModel {
		cfg.Model.Path = modelDir
		cfg.Model.Backend = "cpu"
		// Short drafts: the tiny model writes gibberish until max_tokens,
		// and the test wants the draft within seconds on a busy machine.
		cfg.Drafts.KeyImages = 2
		cfg.Drafts.MaxTokens = 48
		cfg.Drafts.RenderMaxSize = 256
		cfg.Drafts.MaxPixels = 256 * 256
		e.model = true
	} else if withModel {
		t.Logf("golden qwen25vl-tiny not found under %s: ask and draft steps will expect no_model", golden.Root())
	}
	// The daemon starts its inference runner as os.Executable() (this test
	// binary) with "runner --model ..."; children inherit the environment,
	// and TestMain turns them into runners.
	t.Setenv(envRunner, "1")
	d, err := daemon.New(cfg, daemon.Options{
		LookupEnv: func(k string) (string, bool) {
			switch k {
			case "LINGSHU_ADMIN_PASSWORD":
				return adminPassword, true
			}
			return "", false
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// 40 s: unless Stop ends event streams itself (api.Server.Shutdown),
		// a stream whose browser is gone ends only when a heartbeat write
		// fails, which takes up to two heartbeats (2 × 15 s).
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
		defer cancel()
		if err := d.Stop(ctx); err != nil {
			t.Errorf("stop daemon: %v", err)
		}
		if took := time.Since(start); took > 3*time.Second {
			t.Logf("daemon stop took %.1fs (open event streams are not ended by Stop?)", took.Seconds())
		}
	})
	e.d = d
	e.api = "http://" + d.HTTPAddr().String()
	e.base = e.uiBase(t)

	admin := e.token(t, "admin", adminPassword)
	for _, u := range [][2]string{{radUser, "radiologist"}, {staffUser, "staff"}} {
		e.call(t, admin, "POST", "/api/v1/users", map[string]string{"name": u[0], "password": userPassword, "role": u[1]}, http.StatusCreated, nil)
	}
	e.sendStudies(t, studies)
	return e
}

// uiCSP is the policy daemon/api sends with the UI's pages.
const uiCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// uiBase is the daemon's URL when it serves the UI itself; otherwise (the
// static mount not wired in this build) a proxy that serves ui.FS() under
// /ui/ and passes everything else to the daemon.
func (e *env) uiBase(t *testing.T) string {
	res, err := http.Get(e.api + "/ui/")
	if err == nil {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode == http.StatusOK && bytes.Contains(b, []byte("js/app.js")) {
			return e.api
		}
	}
	t.Logf("daemon does not serve the UI at /ui/ (%v); using a proxy that adds it", err)
	target, _ := url.Parse(e.api)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.FlushInterval = -1 // SSE
	files := http.StripPrefix("/ui/", http.FileServer(http.FS(ui.FS())))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/":
			http.Redirect(w, r, "/ui/", http.StatusFound)
		case strings.HasPrefix(r.URL.Path, "/ui/"):
			w.Header().Set("Content-Security-Policy", uiCSP) // as the daemon sends it
			files.ServeHTTP(w, r)
		default:
			proxy.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// sendStudies sends the studies with the project's own SCU and checks that
// each is indexed.
func (e *env) sendStudies(t *testing.T, specs []phantom.Options) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var contexts []dicomnet.ProposedContext
	for _, c := range []string{ctStorage, phantom.CRImageStorage, phantom.DXImageStorageForPresentation, phantom.MRImageStorage, phantom.MultiFrameGrayscaleWordSCImageStorage} {
		contexts = append(contexts, dicomnet.ProposedContext{AbstractSyntax: c, TransferSyntaxes: []string{explicitLE}})
	}
	a, err := dicomnet.Dial(ctx, e.d.DICOMAddr().String(), dicomnet.ClientConfig{CallingAE: "UITEST", CalledAE: "LINGSHU", Contexts: contexts})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	total := 0
	for i, o := range specs {
		st, err := phantom.NewStudy(o, i)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range st.Instances {
			status, err := a.Store(ctx, in.SOPClassUID, in.SOPInstanceUID, in.TransferSyntaxUID, in.Dataset)
			if err != nil || status.Code != dicomnet.StatusSuccess {
				t.Fatalf("store %s instance %d: status 0x%04X %v", o.Modality, in.InstanceNumber, status.Code, err)
			}
		}
		total += len(st.Instances)
		rec, err := e.d.Store().Study(st.StudyInstanceUID)
		if err != nil {
			t.Fatalf("study %s not indexed: %v", st.StudyInstanceUID, err)
		}
		e.studies = append(e.studies, sentStudy{UID: st.StudyInstanceUID, PatientID: rec.PatientID, PatientName: rec.PatientName,
			Modality: o.Modality, Instances: len(st.Instances)})
	}
	t.Logf("sent %d studies, %d instances", len(specs), total)
}

// token logs in through the API and returns the bearer token.
func (e *env) token(t *testing.T, user, pass string) string {
	t.Helper()
	var res struct{ Token string }
	e.call(t, "", "POST", "/api/v1/auth/login", map[string]string{"username": user, "password": pass}, http.StatusOK, &res)
	if res.Token == "" {
		t.Fatalf("login %s: no token", user)
	}
	return res.Token
}

// call does one API request with a bearer token and checks the status.
func (e *env) call(t *testing.T, token, method, path string, body any, want int, out any) {
	t.Helper()
	if got := e.try(t, token, method, path, body, out); got != want {
		t.Fatalf("%s %s: status %d, want %d", method, path, got, want)
	}
}

func (e *env) try(t *testing.T, token, method, path string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.api+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, path, b, err)
		}
	}
	return res.StatusCode
}
