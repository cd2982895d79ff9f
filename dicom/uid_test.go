package dicom

import (
	"bytes"
	"strings"
	"testing"
)

func TestValidateUID(t *testing.T) {
	tests := []struct {
		uid string
		ok  bool
	}{
		{"1.2.840.10008.1.2", true},
		{"0", true},
		{"1.0.3", true},
		{"2.25." + strings.Repeat("9", 59), true},
		{"2.25." + strings.Repeat("9", 60), false},
		{"", false},
		{"1..2", false},
		{"1.2.", false},
		{".1.2", false},
		{"1.02", false},
		{"1.2a", false},
		{"1.2 ", false},
	}
	for _, tc := range tests {
		if err := ValidateUID(tc.uid); (err == nil) != tc.ok {
			t.Errorf("ValidateUID(%q) = %v, want ok=%v", tc.uid, err, tc.ok)
		}
	}
}

func TestNewUID(t *testing.T) {
	seen := map[string]bool{}
	for _, root := range []string{"", "1.2.826.0.1.3680043.10.1234", "1.2.3"} {
		for i := 0; i < 100; i++ {
			u, err := NewUID(root)
			if err != nil {
				t.Fatal(err)
			}
			if !ValidUID(u) || seen[u] {
				t.Fatalf("bad or duplicate uid %q", u)
			}
			want := root
			if want == "" {
				want = UUIDRoot
			}
			if !strings.HasPrefix(u, want+".") {
				t.Fatalf("%q not under %q", u, want)
			}
			seen[u] = true
		}
	}
	// Deterministic from a seeded source.
	src := bytes.Repeat([]byte{7}, 32)
	a, _ := NewUIDFrom(bytes.NewReader(src), "1.2.3")
	b, _ := NewUIDFrom(bytes.NewReader(src), "1.2.3")
	if a != b || len(a) > MaxUIDLength {
		t.Errorf("not deterministic or too long: %q %q", a, b)
	}
	for _, bad := range []string{"1.02", "1." + strings.Repeat("1", 44)} {
		if _, err := NewUID(bad); err == nil {
			t.Errorf("NewUID(%q) accepted", bad)
		}
	}
	if _, err := NewUIDFrom(bytes.NewReader(nil), ""); err == nil {
		t.Error("short random source accepted")
	}
}

func TestUIDName(t *testing.T) {
	tests := map[string]string{
		ImplicitVRLittleEndian:        "Implicit VR Little Endian",
		JPEGLosslessSV1 + "\x00":      "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])",
		CTImageStorage:                "CT Image Storage",
		EnhancedMRImageStorage:        "Enhanced MR Image Storage",
		BasicTextSRStorage:            "Basic Text SR Storage",
		DXImageStorageForPresentation: "Digital X-Ray Image Storage - For Presentation",
		"1.2.3.4":                     "1.2.3.4",
	}
	for uid, want := range tests {
		if got := UIDName(uid); got != want {
			t.Errorf("UIDName(%q) = %q, want %q", uid, got, want)
		}
	}
}

func TestTransferSyntaxRegistry(t *testing.T) {
	tests := []struct {
		uid                                  string
		explicit, be, deflated, encapsulated bool
	}{
		{ImplicitVRLittleEndian, false, false, false, false},
		{ExplicitVRLittleEndian, true, false, false, false},
		{ExplicitVRBigEndian, true, true, false, false},
		{DeflatedExplicitVRLittleEndian, true, false, true, false},
		{JPEGBaseline8Bit, true, false, false, true},
		{JPEGLossless, true, false, false, true},
		{JPEGLosslessSV1, true, false, false, true},
		{JPEGLSLossless, true, false, false, true},
		{JPEG2000, true, false, false, true},
		{RLELossless, true, false, false, true},
		{MPEG4HP41, true, false, false, true},
		{HEVCMP51, true, false, false, true},
		{JPIPReferencedDeflate, true, false, true, false},
	}
	for _, tc := range tests {
		ts, ok := LookupTransferSyntax(tc.uid)
		if !ok {
			t.Errorf("%s not registered", tc.uid)
			continue
		}
		if ts.ExplicitVR != tc.explicit || ts.BigEndian != tc.be || ts.Deflated != tc.deflated || ts.Encapsulated != tc.encapsulated {
			t.Errorf("%s: %+v", tc.uid, ts)
		}
	}
	seen := map[string]bool{}
	for _, ts := range TransferSyntaxes() {
		if seen[ts.UID] || !ValidUID(ts.UID) || ts.Name == "" {
			t.Errorf("bad registry entry %+v", ts)
		}
		seen[ts.UID] = true
	}
	if _, ok := LookupTransferSyntax("1.2.3"); ok {
		t.Error("unknown uid found")
	}
}
