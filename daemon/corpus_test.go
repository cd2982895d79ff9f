package daemon_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"net/http"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/lingshu-edge/lingshu/daemon"
	"github.com/lingshu-edge/lingshu/dicom"
	dicomnet "github.com/lingshu-edge/lingshu/dicom/net"
)

// pydicomTestFiles is where Debian's python3-pydicom installs its sample
// files: several vendors, modalities, transfer syntaxes and bit depths.
const pydicomTestFiles = "/usr/lib/python3/dist-packages/pydicom/data/test_files"

// TestCorpus_PydicomFiles stores every public sample Part-10 file that
// carries a storage SOP class, as encoded, through our own SCU, then asks the
// REST API to render it. Each one must be stored, and then either rendered
// to a PNG or refused with a clear reason; nothing may crash the daemon.
func TestCorpus_PydicomFiles(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(pydicomTestFiles, "*"))
	if len(files) == 0 {
		t.Skipf("no sample files under %s (apt-get install python3-pydicom)", pydicomTestFiles)
	}
	sort.Strings(files)
	d := startDaemon(t, func(c *daemon.Config) { c.Store.DuplicatePolicy = "replace" })
	base := "http://" + d.HTTPAddr().String() + "/api/v1"
	token := login(t, base, "admin", adminPassword)

	var stored, rendered, refused, skipped, duplicates int
	firstFile := map[string]string{} // SOP Instance UID → first file that carried it
	for _, path := range files {
		name := filepath.Base(path)
		f, err := dicom.ReadFile(path)
		if err != nil || !f.HasMeta || !dicomnet.IsStorageSOPClass(instanceIdentity(f)[0]) {
			skipped++ // not a Part-10 storage instance (DICOMDIR, bare datasets, deliberately broken files)
			continue
		}
		st, err := storeOne(d, f, instanceIdentity(f))
		if err != nil {
			t.Errorf("%s: store: %v", name, err)
			continue
		}
		if st.Code != dicomnet.StatusSuccess {
			t.Logf("%-40s refused at C-STORE: 0x%04X %s", name, st.Code, st.Comment)
			continue
		}
		// Many sample files are re-encodings of one instance under the same
		// SOP Instance UID; with the "replace" policy each one is rendered as
		// itself right after it is stored.
		if _, dup := firstFile[instanceIdentity(f)[1]]; dup {
			duplicates++
		}
		firstFile[instanceIdentity(f)[1]] = name
		stored++
		body, status := httpGet(t, base+"/instances/"+instanceIdentity(f)[1]+"/rendered?size=256", token)
		switch {
		case status == http.StatusOK:
			if _, err := png.Decode(bytes.NewReader(body)); err != nil {
				t.Errorf("%s: 200 but not a PNG: %v", name, err)
				continue
			}
			rendered++
			t.Logf("%-40s %-28s rendered", name, dicom.UIDName(f.Meta.TransferSyntaxUID))
		case status >= 400 && status < 500:
			var e struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			if err := json.Unmarshal(body, &e); err != nil || e.Error.Message == "" {
				t.Errorf("%s: %d without a clear reason: %s", name, status, body)
				continue
			}
			refused++
			t.Logf("%-40s %-28s not rendered (%d): %s", name, dicom.UIDName(f.Meta.TransferSyntaxUID), status, e.Error.Message)
		default:
			t.Errorf("%s: render answered %d: %s", name, status, body)
		}
	}
	t.Logf("corpus: %d files, %d stored (%d replacing an earlier file's SOP Instance UID), %d rendered, %d refused for rendering with a reason, %d not storage instances",
		len(files), stored, duplicates, rendered, refused, skipped)
	if stored == 0 || rendered == 0 {
		t.Fatalf("nothing stored or rendered from %d files", len(files))
	}
	// The daemon is still alive and answering after the whole corpus.
	if _, status := httpGet(t, base+"/health", ""); status != http.StatusOK {
		t.Fatalf("health after corpus: %d", status)
	}
}

// instanceIdentity is the SOP class and instance a sender puts in its
// C-STORE command: the dataset's own, falling back to the meta header's (a
// few sample files disagree between the two on purpose).
func instanceIdentity(f *dicom.File) [2]string {
	id := [2]string{f.Summary.SOPClassUID, f.Summary.SOPInstanceUID}
	if id[0] == "" {
		id[0] = f.Meta.MediaStorageSOPClassUID
	}
	if id[1] == "" {
		id[1] = f.Meta.MediaStorageSOPInstanceUID
	}
	return id
}

// storeOne sends one file in its own transfer syntax on a fresh association.
func storeOne(d *daemon.Daemon, f *dicom.File, id [2]string) (dicomnet.Status, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := dicomnet.Dial(ctx, d.DICOMAddr().String(), dicomnet.ClientConfig{
		CallingAE: "CORPUS", CalledAE: "LINGSHU",
		Contexts: []dicomnet.ProposedContext{{AbstractSyntax: id[0], TransferSyntaxes: []string{f.Meta.TransferSyntaxUID}}},
	})
	if err != nil {
		return dicomnet.Status{}, err
	}
	defer a.Release()
	return a.Store(ctx, id[0], id[1], f.Meta.TransferSyntaxUID, f.DatasetBytes)
}
