package net

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Interoperability with DCMTK's echoscu and storescu. Skipped when the
// binaries are absent (apt-get install dcmtk).

func dcmtk(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed", name)
	}
	return p
}

func runDCMTK(t *testing.T, bin string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "TCP_NODELAY=1")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func hostPort(t *testing.T, addr string) (string, string) {
	i := strings.LastIndexByte(addr, ':')
	return addr[:i], addr[i+1:]
}

// --- minimal Part-10 writer for test files (explicit VR little endian) ---

func elemEVR(dst []byte, group, elem uint16, vr string, val []byte) []byte {
	if len(val)%2 == 1 {
		pad := byte(' ')
		if vr == "UI" || vr == "OB" {
			pad = 0
		}
		val = append(append([]byte(nil), val...), pad)
	}
	dst = binary.LittleEndian.AppendUint16(dst, group)
	dst = binary.LittleEndian.AppendUint16(dst, elem)
	dst = append(dst, vr...)
	switch vr {
	case "OB", "OW", "SQ", "UN", "UT":
		dst = append(dst, 0, 0)
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(val)))
	default:
		dst = binary.LittleEndian.AppendUint16(dst, uint16(len(val)))
	}
	return append(dst, val...)
}

func us16(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }

// testDataset builds a small CT image data set. With encapsulated set, the
// pixel data is one (fake) compressed fragment, as in a JPEG file.
func testDataset(sopInstance, patientID string, rows, cols int, encapsulated bool) []byte {
	var d []byte
	d = elemEVR(d, 0x0008, 0x0016, "UI", []byte(CTImageStorage))
	d = elemEVR(d, 0x0008, 0x0018, "UI", []byte(sopInstance))
	d = elemEVR(d, 0x0008, 0x0060, "CS", []byte("CT"))
	d = elemEVR(d, 0x0010, 0x0010, "PN", []byte("Test^Patient"))
	d = elemEVR(d, 0x0010, 0x0020, "LO", []byte(patientID))
	d = elemEVR(d, 0x0020, 0x000D, "UI", []byte("1.2.826.0.1.3680043.9999.1"))
	d = elemEVR(d, 0x0020, 0x000E, "UI", []byte("1.2.826.0.1.3680043.9999.1.1"))
	d = elemEVR(d, 0x0028, 0x0002, "US", us16(1))
	d = elemEVR(d, 0x0028, 0x0004, "CS", []byte("MONOCHROME2"))
	d = elemEVR(d, 0x0028, 0x0010, "US", us16(uint16(rows)))
	d = elemEVR(d, 0x0028, 0x0011, "US", us16(uint16(cols)))
	d = elemEVR(d, 0x0028, 0x0100, "US", us16(16))
	d = elemEVR(d, 0x0028, 0x0101, "US", us16(12))
	d = elemEVR(d, 0x0028, 0x0102, "US", us16(11))
	d = elemEVR(d, 0x0028, 0x0103, "US", us16(0))
	if !encapsulated {
		return elemEVR(d, 0x7FE0, 0x0010, "OW", pattern(rows*cols*2, rows))
	}
	d = append(d, 0xE0, 0x7F, 0x10, 0x00, 'O', 'B', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF)
	item := func(d []byte, elem uint16, val []byte) []byte {
		d = append(d, 0xFE, 0xFF)
		d = binary.LittleEndian.AppendUint16(d, elem)
		d = binary.LittleEndian.AppendUint32(d, uint32(len(val)))
		return append(d, val...)
	}
	d = item(d, 0xE000, nil) // empty basic offset table
	d = item(d, 0xE000, append([]byte{0xFF, 0xD8}, pattern(1000, 3)...))
	return item(d, 0xE0DD, nil)
}

// part10 wraps a data set in a DICOM file: preamble, DICM, group 0002 meta.
func part10(sopInstance, ts string, dataset []byte) []byte {
	var meta []byte
	meta = elemEVR(meta, 0x0002, 0x0001, "OB", []byte{0, 1})
	meta = elemEVR(meta, 0x0002, 0x0002, "UI", []byte(CTImageStorage))
	meta = elemEVR(meta, 0x0002, 0x0003, "UI", []byte(sopInstance))
	meta = elemEVR(meta, 0x0002, 0x0010, "UI", []byte(ts))
	meta = elemEVR(meta, 0x0002, 0x0012, "UI", []byte(DefaultImplementationClassUID))
	meta = elemEVR(meta, 0x0002, 0x0013, "SH", []byte("LINGSHU_TEST"))
	out := make([]byte, 128, 128+4+12+len(meta)+len(dataset))
	out = append(out, "DICM"...)
	out = elemEVR(out, 0x0002, 0x0000, "UL", binary.LittleEndian.AppendUint32(nil, uint32(len(meta))))
	out = append(out, meta...)
	return append(out, dataset...)
}

type testFile struct {
	path, sop string
	dataset   []byte
}

func writeTestFiles(t *testing.T, n, rows, cols int, ts string, encapsulated bool) []testFile {
	dir := t.TempDir()
	var files []testFile
	for i := 0; i < n; i++ {
		sop := fmt.Sprintf("1.2.826.0.1.3680043.9999.2.%d", i+1)
		ds := testDataset(sop, "PID"+strconv.Itoa(i), rows, cols, encapsulated)
		p := filepath.Join(dir, fmt.Sprintf("f%04d.dcm", i))
		if err := os.WriteFile(p, part10(sop, ts, ds), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, testFile{p, sop, ds})
	}
	return files
}

func TestDCMTK_Echo(t *testing.T) {
	bin := dcmtk(t, "echoscu")
	s, addr := startServer(t, ServerConfig{AETitle: "LINGSHU"}, newMemStore())
	host, port := hostPort(t, addr)
	if out, err := runDCMTK(t, bin, "-aet", "ECHOSCU", "-aec", "LINGSHU", "--repeat", "3", host, port); err != nil {
		t.Fatalf("echoscu: %v\n%s", err, out)
	}
	out, err := runDCMTK(t, bin, "-aet", "ECHOSCU", "-aec", "WRONG", host, port)
	if err == nil || !strings.Contains(strings.ToLower(out), "called ae title not recognized") {
		t.Fatalf("echoscu with a wrong called AE: %v\n%s", err, out)
	}
	if st := s.Stats(); st.Echoes != 3 || st.AssociationsRejected != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestDCMTK_StoreSCU(t *testing.T) {
	bin := dcmtk(t, "storescu")
	cases := []struct {
		name         string
		n, rows      int
		ts, wantTS   string // file transfer syntax; the one the SCP should see
		encapsulated bool
		serverPDU    uint32
		args         []string
	}{
		{"explicit le many files", 25, 64, "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.1", false, 0, nil},
		{"converted to implicit le by storescu", 3, 32, "1.2.840.10008.1.2.1", "1.2.840.10008.1.2", false, 0, []string{"-xi"}},
		{"jpeg baseline kept compressed", 3, 32, "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.50", true, 0, []string{"-xy"}},
		{"large file small pdu", 2, 700, "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.1", false, 4096, []string{"-pdu", "4096"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := newMemStore()
			s, addr := startServer(t, ServerConfig{AETitle: "LINGSHU", MaxPDULength: tc.serverPDU}, m)
			files := writeTestFiles(t, tc.n, tc.rows, tc.rows, tc.ts, tc.encapsulated)
			host, port := hostPort(t, addr)
			args := append([]string{"-aet", "STORESCU", "-aec", "LINGSHU"}, tc.args...)
			args = append(args, host, port)
			for _, f := range files {
				args = append(args, f.path)
			}
			if out, err := runDCMTK(t, bin, args...); err != nil {
				t.Fatalf("storescu: %v\n%s", err, out)
			}
			for _, f := range files {
				r, ok := m.get(f.sop)
				if !ok {
					t.Fatalf("%s not stored", f.sop)
				}
				if r.TransferSyntaxUID != tc.wantTS || r.CallingAE != "STORESCU" || r.SOPClassUID != CTImageStorage {
					t.Fatalf("request %s %s %s", r.TransferSyntaxUID, r.CallingAE, r.SOPClassUID)
				}
				if tc.ts == tc.wantTS && !bytes.Equal(r.Dataset, f.dataset) {
					t.Fatalf("%s: received data set (%d bytes) differs from the file's (%d bytes)", f.sop, len(r.Dataset), len(f.dataset))
				}
			}
			if st := s.Stats(); st.StoresOK != uint64(tc.n) || st.AssociationsAccepted != 1 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

// A store the handler refuses reaches storescu as a failed C-STORE.
func TestDCMTK_StoreRefused(t *testing.T) {
	bin := dcmtk(t, "storescu")
	m := newMemStore()
	m.status = func(*StoreRequest) Status { return Status{Code: StatusOutOfResources, Comment: "disk full"} }
	_, addr := startServer(t, ServerConfig{}, m)
	files := writeTestFiles(t, 1, 16, 16, "1.2.840.10008.1.2.1", false)
	host, port := hostPort(t, addr)
	out, _ := runDCMTK(t, bin, "-v", "-aet", "STORESCU", "-aec", "ANY", host, port, files[0].path)
	if !strings.Contains(out, "Refused: OutOfResources") {
		t.Fatalf("storescu did not report the refusal:\n%s", out)
	}
}
