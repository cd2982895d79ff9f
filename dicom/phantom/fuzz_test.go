package phantom

import (
	"strings"
	"testing"
)

// FuzzNewStudy checks, for any seed and study index, that a small study
// builds, its UIDs are valid and distinct, and its datasets walk cleanly.
func FuzzNewStudy(f *testing.F) {
	for _, s := range []uint64{0, 1, 42, 1 << 63} {
		f.Add(s, uint8(0), uint8(0))
	}
	mods := []string{"CT", "MR", "CR", "DX"}
	tss := []string{"explicit", "implicit"}
	f.Fuzz(func(t *testing.T, seed uint64, idx, which uint8) {
		m := mods[int(which)%len(mods)]
		o := Options{Modality: m, Seed: seed, TransferSyntax: tss[int(which/4)%2], Slices: 1}
		st, err := NewStudy(o, int(idx))
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, u := range []string{st.StudyInstanceUID, st.SeriesInstanceUID, st.Instances[0].SOPInstanceUID} {
			if seen[u] || len(u) > 64 || !strings.HasPrefix(u, UIDRoot) || strings.Trim(u[len(UIDRoot):], "0123456789") != "" {
				t.Fatalf("bad UID %q", u)
			}
			seen[u] = true
		}
		if _, err := walk(st.Instances[0].Dataset, o.TransferSyntax == "explicit"); err != nil {
			t.Fatal(err)
		}
	})
}
