package dicom

import (
	"strings"
	"testing"
)

func TestEqualDatasets_AcrossSyntaxes(t *testing.T) {
	// The same content in every uncompressed encoding compares equal.
	for _, a := range uncompressedSyntaxes {
		for _, b := range uncompressedSyntaxes {
			eq, diff, err := EqualDatasets(sampleDataset(t, a, 64), sampleDataset(t, b, 64), a, b)
			if err != nil || !eq {
				t.Errorf("%s vs %s: eq=%v diff=%q err=%v", tsShort[a], tsShort[b], eq, diff, err)
			}
		}
	}
}

func TestEqualDatasets_Differences(t *testing.T) {
	base := func() *dsBuilder {
		b := newBuilder(ExplicitVRLittleEndian)
		b.str(tagSOPInstanceUID, "UI", "1.2.3")
		return b
	}
	ref := base()
	ref.seq(NewTag(0x0008, 0x1140), true, func(ib *dsBuilder) { ib.str(NewTag(0x0008, 0x1155), "UI", "1.2.9") })
	ref.str(tagPatientName, "PN", "Doe^John")
	ref.us(tagRows, 512)

	tests := []struct {
		name  string
		build func() *dsBuilder
		want  string
	}{
		{"value", func() *dsBuilder {
			b := base()
			b.seq(NewTag(0x0008, 0x1140), true, func(ib *dsBuilder) { ib.str(NewTag(0x0008, 0x1155), "UI", "1.2.9") })
			b.str(tagPatientName, "PN", "Doe^Jane")
			b.us(tagRows, 512)
			return b
		}, `(0010,0010): value "Doe^John" != "Doe^Jane"`},
		{"nested value", func() *dsBuilder {
			b := base()
			b.seq(NewTag(0x0008, 0x1140), false, func(ib *dsBuilder) { ib.str(NewTag(0x0008, 0x1155), "UI", "1.2.8") })
			b.str(tagPatientName, "PN", "Doe^John")
			b.us(tagRows, 512)
			return b
		}, `(0008,1140)[0](0008,1155): value "1.2.9" != "1.2.8"`},
		{"missing element", func() *dsBuilder {
			b := base()
			b.seq(NewTag(0x0008, 0x1140), true, func(ib *dsBuilder) { ib.str(NewTag(0x0008, 0x1155), "UI", "1.2.9") })
			b.str(tagPatientName, "PN", "Doe^John")
			return b
		}, `(0028,0010): only in first dataset`},
		{"vr", func() *dsBuilder {
			b := base()
			b.seq(NewTag(0x0008, 0x1140), true, func(ib *dsBuilder) { ib.str(NewTag(0x0008, 0x1155), "UI", "1.2.9") })
			b.str(tagPatientName, "LO", "Doe^John")
			b.us(tagRows, 512)
			return b
		}, `(0010,0010): vr PN != LO`},
		{"item count", func() *dsBuilder {
			b := base()
			b.seq(NewTag(0x0008, 0x1140), true)
			b.str(tagPatientName, "PN", "Doe^John")
			b.us(tagRows, 512)
			return b
		}, `(0008,1140): 1 items != 0`},
		{"binary", func() *dsBuilder {
			b := base()
			b.seq(NewTag(0x0008, 0x1140), true, func(ib *dsBuilder) { ib.str(NewTag(0x0008, 0x1155), "UI", "1.2.9") })
			b.str(tagPatientName, "PN", "Doe^John")
			b.us(tagRows, 256)
			return b
		}, `(0028,0010): value "\x00\x02" != "\x00\x01"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			eq, diff, err := EqualDatasets(ref.buf, tc.build().buf, ExplicitVRLittleEndian, ExplicitVRLittleEndian)
			if err != nil || eq || diff != tc.want {
				t.Fatalf("eq=%v diff=%q err=%v, want diff %q", eq, diff, err, tc.want)
			}
		})
	}
	t.Run("padding and group length ignored", func(t *testing.T) {
		b := newBuilder(ExplicitVRLittleEndian)
		b.raw(NewTag(0x0008, 0x0000), "UL", []byte{4, 0, 0, 0})
		b.raw(tagSOPInstanceUID, "UI", []byte("1.2.3 "))
		eq, diff, err := EqualDatasets(base().buf, b.buf, ExplicitVRLittleEndian, ExplicitVRLittleEndian)
		if err != nil || !eq {
			t.Fatalf("eq=%v diff=%q err=%v", eq, diff, err)
		}
	})
	t.Run("encapsulated fragments", func(t *testing.T) {
		a := base().encapsulated([]byte{1, 2}, []byte{3, 4})
		b := base().encapsulated([]byte{1, 2}, []byte{3, 5})
		eq, diff, err := EqualDatasets(a.buf, b.buf, JPEGBaseline8Bit, JPEGBaseline8Bit)
		if err != nil || eq || diff != "(7fe0,0010): fragment 2 differs" {
			t.Fatalf("eq=%v diff=%q err=%v", eq, diff, err)
		}
	})
	t.Run("parse error", func(t *testing.T) {
		_, _, err := EqualDatasets(ref.buf, ref.buf[:len(ref.buf)-1], ExplicitVRLittleEndian, ExplicitVRLittleEndian)
		if err == nil || !strings.HasPrefix(err.Error(), "dicom: compare: second dataset: parse dataset: ") {
			t.Fatalf("err = %v", err)
		}
	})
}
