package daemon_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lingshu-edge/lingshu/dicom"
	"github.com/lingshu-edge/lingshu/dicom/phantom"
)

// TestBrowse_AfterStoreSCU is the staff's path end to end: a phantom study
// arrives with storescu, then the REST API finds it by patient id and
// modality, lists its series and instances, and returns DICOM JSON, the
// file and a rendered PNG; every one of those URLs answers 401 without a
// token, and the audit log records the reads.
func TestBrowse_AfterStoreSCU(t *testing.T) {
	requireTool(t, "storescu")
	files := writePhantom(t, phantom.Options{Modality: "CT", Slices: 8, Seed: 77})
	d := startDaemon(t, nil)
	storeSCU(t, d, nil, files)

	base := "http://" + d.HTTPAddr().String() + "/api/v1"
	token := login(t, base, "admin", adminPassword)
	var visited []string
	get := func(path string, out any) []byte {
		t.Helper()
		visited = append(visited, path)
		body, status := httpGet(t, base+path, token)
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, status, body)
		}
		if out != nil {
			if err := json.Unmarshal(body, out); err != nil {
				t.Fatalf("GET %s: %v: %s", path, err, body)
			}
		}
		return body
	}

	src := studyOf(t, files[0])
	var studies struct {
		Items []struct {
			StudyUID     string   `json:"study_uid"`
			PatientID    string   `json:"patient_id"`
			PatientName  string   `json:"patient_name"`
			Modalities   []string `json:"modalities"`
			NumSeries    int      `json:"num_series"`
			NumInstances int      `json:"num_instances"`
		} `json:"items"`
		Next string `json:"next"`
	}
	get("/studies?patient_id="+url.QueryEscape(src.patientID)+"&modality=CT", &studies)
	if len(studies.Items) != 1 || studies.Items[0].NumInstances != len(files) || studies.Items[0].NumSeries != 1 ||
		!strings.HasPrefix(studies.Items[0].PatientName, "PHANTOM^") {
		t.Fatalf("study search: %+v", studies)
	}
	var none struct{ Items []any }
	get("/studies?patient_id="+url.QueryEscape(src.patientID)+"&modality=MR", &none)
	if len(none.Items) != 0 {
		t.Fatalf("modality filter ignored: %+v", none)
	}

	study := studies.Items[0].StudyUID
	var series struct {
		Items []struct {
			SeriesUID    string `json:"series_uid"`
			Modality     string `json:"modality"`
			NumInstances int    `json:"num_instances"`
		} `json:"items"`
	}
	get("/studies/"+study+"/series", &series)
	if len(series.Items) != 1 || series.Items[0].Modality != "CT" {
		t.Fatalf("series: %+v", series)
	}
	var insts struct {
		Items []struct {
			SOPInstanceUID    string `json:"sop_instance_uid"`
			SOPClassUID       string `json:"sop_class_uid"`
			TransferSyntaxUID string `json:"transfer_syntax_uid"`
			InstanceNumber    int    `json:"instance_number"`
		} `json:"items"`
	}
	get("/series/"+series.Items[0].SeriesUID+"/instances", &insts)
	if len(insts.Items) != len(files) {
		t.Fatalf("instances: got %d, want %d", len(insts.Items), len(files))
	}
	sop := insts.Items[len(insts.Items)/2].SOPInstanceUID

	var dcmJSON map[string]struct {
		VR    string `json:"vr"`
		Value []any  `json:"Value"`
	}
	get("/instances/"+sop, &dcmJSON)
	if got := dcmJSON["00080018"]; got.VR != "UI" || len(got.Value) != 1 || got.Value[0] != sop {
		t.Fatalf("DICOM JSON SOPInstanceUID = %+v", got)
	}
	if file := get("/instances/"+sop+"/file", nil); len(file) < 132 || string(file[128:132]) != "DICM" {
		t.Fatalf("file is not Part-10 (%d bytes)", len(file))
	}
	pngBytes := get("/instances/"+sop+"/rendered?window=400&level=40&size=256", nil)
	img, err := png.Decode(bytes.NewReader(pngBytes))
	if err != nil {
		t.Fatalf("rendered is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 256 && b.Dy() != 256 {
		t.Fatalf("rendered size %v, want longest side 256", b)
	}
	if dir := os.Getenv("LINGSHU_TEST_ARTIFACTS"); dir != "" {
		writeTestFile(t, filepath.Join(dir, "browse_rendered_ct.png"), string(pngBytes))
	}

	for _, path := range visited {
		if body, status := httpGet(t, base+path, ""); status != http.StatusUnauthorized {
			t.Errorf("GET %s without a token: %d %s, want 401", path, status, body)
		}
	}
	var audit struct {
		Items []struct {
			User     string `json:"user"`
			Action   string `json:"action"`
			StudyUID string `json:"study_uid"`
		} `json:"items"`
	}
	get("/audit?limit=100", &audit)
	reads := 0
	for _, a := range audit.Items {
		if a.User == "admin" && a.StudyUID == study {
			reads++
		}
	}
	if reads < 4 {
		t.Fatalf("audit shows %d reads of the study by admin, want at least 4: %+v", reads, audit.Items)
	}
}

type studyIdentity struct{ patientID string }

func studyOf(t *testing.T, file string) studyIdentity {
	t.Helper()
	f, err := dicom.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return studyIdentity{patientID: f.Summary.PatientID}
}

func login(t *testing.T, base, user, password string) string {
	t.Helper()
	body := fmt.Sprintf(`{"username":%q,"password":%q}`, user, password)
	resp, err := http.Post(base+"/auth/login", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK || out.Token == "" {
		t.Fatalf("login: status %d, err %v", resp.StatusCode, err)
	}
	return out.Token
}

func httpGet(t *testing.T, u, token string) ([]byte, int) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return body, resp.StatusCode
}
