package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/lingshu-edge/lingshu/dicom"
)

const (
	tsExplicitLE = "1.2.840.10008.1.2.1"
	ctImage      = "1.2.840.10008.5.1.4.1.1.2"
)

// fakeClock is a settable clock for stable-event tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *fakeClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// testOptions: fake clock, cheap bcrypt, plenty of disk, a stable delay
// long enough that the background timer never fires during a test.
func testOptions(clk *fakeClock) Options {
	return Options{
		StableAfter: time.Hour,
		BcryptCost:  4,
		Logger:      quietLogger(),
		Now:         clk.Now,
		FreeSpace:   func(string) (int64, error) { return 1 << 40, nil },
	}
}

func openTest(t testing.TB, dir string, opts Options) *Store {
	t.Helper()
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// inst describes a test instance; zero fields get defaults from defaults().
type inst struct {
	PatientID, PatientName, BirthDate, Sex, Accession string
	Study, StudyDate, StudyTime, StudyDesc            string
	Series, SeriesNumber, SeriesDesc, Modality, Body  string
	SOP, InstanceNumber                               string
	Rows, Cols                                        int
	PixelBytes                                        int
}

func (in inst) withDefaults() inst {
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&in.PatientID, "P1")
	def(&in.PatientName, "DOE^JOHN")
	def(&in.Study, "1.2.3.1")
	def(&in.StudyDate, "20260301")
	def(&in.StudyTime, "101500")
	def(&in.Series, in.Study+".1")
	def(&in.SeriesNumber, "1")
	def(&in.Modality, "CT")
	def(&in.SOP, in.Series+".1")
	def(&in.InstanceNumber, "1")
	if in.Rows == 0 {
		in.Rows, in.Cols = 4, 4
	}
	return in
}

// dataset encodes in as explicit VR little endian with pixel data.
func (in inst) dataset() []byte {
	in = in.withDefaults()
	type el struct {
		tag uint32
		vr  string
		val []byte
	}
	str := func(tag uint32, vr, v string) el { return el{tag, vr, []byte(v)} }
	us := func(tag uint32, v int) el { return el{tag, "US", binary.LittleEndian.AppendUint16(nil, uint16(v))} }
	els := []el{
		str(0x00080016, "UI", ctImage), str(0x00080018, "UI", in.SOP),
		str(0x00080020, "DA", in.StudyDate), str(0x00080030, "TM", in.StudyTime),
		str(0x00080050, "SH", in.Accession), str(0x00080060, "CS", in.Modality),
		str(0x00081030, "LO", in.StudyDesc), str(0x0008103E, "LO", in.SeriesDesc),
		str(0x00100010, "PN", in.PatientName), str(0x00100020, "LO", in.PatientID),
		str(0x00100030, "DA", in.BirthDate), str(0x00100040, "CS", in.Sex),
		str(0x00180015, "CS", in.Body),
		str(0x0020000D, "UI", in.Study), str(0x0020000E, "UI", in.Series),
		str(0x00200011, "IS", in.SeriesNumber), str(0x00200013, "IS", in.InstanceNumber),
		us(0x00280002, 1), str(0x00280004, "CS", "MONOCHROME2"),
		us(0x00280010, in.Rows), us(0x00280011, in.Cols),
		us(0x00280100, 16), us(0x00280101, 16), us(0x00280102, 15), us(0x00280103, 0),
	}
	n := in.PixelBytes
	if n == 0 {
		n = in.Rows * in.Cols * 2
	}
	px := make([]byte, n+n%2)
	for i := range px {
		px[i] = byte(i * 7)
	}
	els = append(els, el{0x7FE00010, "OW", px})
	sort.Slice(els, func(i, j int) bool { return els[i].tag < els[j].tag })
	var out []byte
	for _, e := range els {
		v := e.val
		if len(v)%2 == 1 {
			pad := byte(' ')
			if e.vr == "UI" {
				pad = 0
			}
			v = append(append([]byte(nil), v...), pad)
		}
		out = binary.LittleEndian.AppendUint16(out, uint16(e.tag>>16))
		out = binary.LittleEndian.AppendUint16(out, uint16(e.tag))
		out = append(out, e.vr...)
		if e.vr == "OW" || e.vr == "OB" {
			out = append(out, 0, 0)
			out = binary.LittleEndian.AppendUint32(out, uint32(len(v)))
		} else {
			out = binary.LittleEndian.AppendUint16(out, uint16(len(v)))
		}
		out = append(out, v...)
	}
	return out
}

// incoming builds the Incoming a C-STORE of in would give (Summary nil:
// PutInstance parses it).
func (in inst) incoming() Incoming {
	in = in.withDefaults()
	return Incoming{
		Meta: dicom.FileMeta{
			MediaStorageSOPClassUID:    ctImage,
			MediaStorageSOPInstanceUID: in.SOP,
			TransferSyntaxUID:          tsExplicitLE,
			ImplementationClassUID:     "1.2.826.0.1.3680043.10.1234",
			ImplementationVersionName:  "LINGSHU_TEST",
		},
		Dataset:    in.dataset(),
		SenderAE:   "MODALITY1",
		RemoteAddr: "192.0.2.10:104",
	}
}

func mustPut(t testing.TB, s *Store, in inst) PutResult {
	t.Helper()
	res, err := s.PutInstance(context.Background(), in.incoming())
	if err != nil {
		t.Fatalf("PutInstance %s: %v", in.withDefaults().SOP, err)
	}
	return res
}

// ctStudy stores a study with the given series counts and instances per
// series.
func ctStudy(t testing.TB, s *Store, base inst, series, perSeries int) {
	t.Helper()
	base = base.withDefaults()
	for i := 1; i <= series; i++ {
		for j := 1; j <= perSeries; j++ {
			in := base
			in.Series = fmt.Sprintf("%s.%d", base.Study, i)
			in.SeriesNumber = fmt.Sprint(i)
			in.SOP = fmt.Sprintf("%s.%d.%d", base.Study, i, j)
			in.InstanceNumber = fmt.Sprint(j)
			mustPut(t, s, in)
		}
	}
}
