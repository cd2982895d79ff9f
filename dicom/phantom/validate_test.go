package phantom

import (
	"bytes"
	"compress/flate"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestExternalValidators runs DCMTK dcmdump and dicom3tools dciodvfy over
// a study of every modality in every transfer syntax offered for it. dcmdump
// must print no warning or error; dciodvfy must report no error for the IOD
// (its warnings are logged). dciodvfy cannot read deflated files, so for
// those the inflated dataset is re-wrapped as explicit VR little endian and
// validated, and dcmdump reads the deflated file itself.
func TestExternalValidators(t *testing.T) {
	dcmdump, err1 := exec.LookPath("dcmdump")
	dciodvfy, err2 := exec.LookPath("dciodvfy")
	if err1 != nil || err2 != nil {
		t.Skip("dcmdump or dciodvfy not installed (apt-get install dcmtk dicom3tools)")
	}
	type tc struct {
		mod, ts string
		mf      bool
	}
	var cases []tc
	for _, m := range []string{"CT", "CR", "DX", "MR"} {
		for _, ts := range []string{"implicit", "explicit", "deflate", "jpeg"} {
			if ts == "jpeg" && (m == "CT" || m == "MR") {
				continue
			}
			cases = append(cases, tc{m, ts, false})
		}
		if m == "CT" || m == "MR" {
			cases = append(cases, tc{m, "explicit", true}, tc{m, "deflate", true})
		}
	}
	for _, c := range cases {
		name := c.mod + "/" + c.ts
		if c.mf {
			name += "/multiframe"
		}
		t.Run(name, func(t *testing.T) {
			st, err := NewStudy(Options{Modality: c.mod, TransferSyntax: c.ts, MultiFrame: c.mf, Seed: 11, Slices: 3}, 0)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			warnings := map[string]int{}
			for _, in := range st.Instances {
				path := filepath.Join(dir, in.FileName)
				if err := os.WriteFile(path, in.File, 0o644); err != nil {
					t.Fatal(err)
				}
				var stdout, stderr bytes.Buffer
				cmd := exec.Command(dcmdump, "+L", path) // not -q: that would hide warnings
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				if err := cmd.Run(); err != nil || stderr.Len() > 0 || strings.Contains(stdout.String(), "\nW: ") ||
					strings.Contains(stdout.String(), "\nE: ") {
					t.Errorf("dcmdump %s: %v\n%s", in.FileName, err, stderr.String())
				}
				if !strings.Contains(stdout.String(), "PHANTOM^") {
					t.Errorf("dcmdump %s: patient name not shown", in.FileName)
				}
				vpath := path
				if in.TransferSyntaxUID == DeflatedExplicitVRLittleEndian {
					raw, err := io.ReadAll(flate.NewReader(bytes.NewReader(in.Dataset)))
					if err != nil {
						t.Fatalf("inflate: %v", err)
					}
					f, err := part10(in.SOPClassUID, in.SOPInstanceUID, ExplicitVRLittleEndian, raw)
					if err != nil {
						t.Fatal(err)
					}
					vpath = path + ".explicit"
					if err := os.WriteFile(vpath, f, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				out, _ := exec.Command(dciodvfy, vpath).CombinedOutput()
				for _, line := range strings.Split(string(out), "\n") {
					switch {
					case strings.HasPrefix(line, "Error"):
						t.Errorf("dciodvfy %s: %s", in.FileName, line)
					case strings.HasPrefix(line, "Warning"):
						warnings[line]++
					}
				}
			}
			for w, n := range warnings {
				t.Logf("dciodvfy (%d files): %s", n, w)
			}
		})
	}
}
