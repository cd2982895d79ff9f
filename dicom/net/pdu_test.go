package net

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func sampleRQ() *AssociateRQ {
	return &AssociateRQ{
		ProtocolVersion: 1, CalledAE: "LINGSHU", CallingAE: "PACS01",
		ApplicationContext: ApplicationContextName,
		PresentationContexts: []PresentationContextRQ{
			{ID: 1, AbstractSyntax: VerificationSOPClass, TransferSyntaxes: []string{"1.2.840.10008.1.2"}},
			{ID: 3, AbstractSyntax: CTImageStorage, TransferSyntaxes: []string{"1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2"}},
		},
		UserInfo: UserInfo{MaxPDULength: 16384, ImplementationClassUID: "1.2.3.4", ImplementationVersionName: "TEST_1",
			Other: []SubItem{{Type: 0x53, Data: []byte{0, 1, 0, 1}}, {Type: 0x54, Data: []byte{0, 3, '1', '.', '2', 1, 0}}}},
	}
}

func sampleAC() *AssociateAC {
	return &AssociateAC{
		ProtocolVersion: 1, CalledAE: "LINGSHU", CallingAE: "PACS01",
		ApplicationContext: ApplicationContextName,
		PresentationContexts: []PresentationContextAC{
			{ID: 1, Result: ResultAcceptance, TransferSyntax: "1.2.840.10008.1.2"},
			{ID: 3, Result: ResultAbstractSyntaxNotSupported, TransferSyntax: "1.2.840.10008.1.2"},
		},
		UserInfo: UserInfo{MaxPDULength: 0, ImplementationClassUID: DefaultImplementationClassUID, ImplementationVersionName: "X"},
	}
}

func TestPDU_RoundTrip(t *testing.T) {
	cases := []struct {
		name string
		pdu  PDU
	}{
		{"associate-rq", sampleRQ()},
		{"associate-ac", sampleAC()},
		{"associate-rj", &AssociateRJ{Result: RejectTransient, Source: RejectSourceProviderPresentation, Reason: RejectReasonLocalLimitExceeded}},
		{"p-data-tf one pdv", &PDataTF{PDVs: []PDV{{ContextID: 1, Command: true, Last: true, Data: []byte{1, 2, 3, 4}}}}},
		{"p-data-tf several pdvs", &PDataTF{PDVs: []PDV{
			{ContextID: 3, Command: true, Last: true, Data: []byte("cmd")},
			{ContextID: 3, Data: []byte("part1")},
			{ContextID: 3, Last: true, Data: []byte{}}}}},
		{"release-rq", &ReleaseRQ{}},
		{"release-rp", &ReleaseRP{}},
		{"abort", &Abort{Source: AbortSourceProvider, Reason: AbortReasonUnrecognizedPDU}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := EncodePDU(tc.pdu)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(tc.pdu.Type().String(), strings.ToUpper(strings.Fields(tc.name)[0])) {
				t.Errorf("type name %q", tc.pdu.Type().String())
			}
			if PDUType(b[0]) != tc.pdu.Type() || int(binary.BigEndian.Uint32(b[2:6])) != len(b)-6 {
				t.Fatalf("bad header % x", b[:6])
			}
			got, err := DecodePDU(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(normalize(got), normalize(tc.pdu)) {
				t.Fatalf("round trip:\n got %#v\nwant %#v", got, tc.pdu)
			}
			// readPDU over a stream gives the same body.
			typ, body, _, err := readPDU(bytes.NewReader(b), nil, 1<<20, 1<<20)
			if err != nil || typ != tc.pdu.Type() || !bytes.Equal(body, b[6:]) {
				t.Fatalf("readPDU: %v %v", typ, err)
			}
		})
	}
}

// normalize makes empty and nil data slices compare equal.
func normalize(p PDU) PDU {
	if d, ok := p.(*PDataTF); ok {
		c := &PDataTF{}
		for _, v := range d.PDVs {
			if len(v.Data) == 0 {
				v.Data = nil
			}
			c.PDVs = append(c.PDVs, v)
		}
		return c
	}
	return p
}

func TestPDU_AssociateRQFixedFields(t *testing.T) {
	b, _ := EncodePDU(sampleRQ())
	// called AE at body offset 4, calling at 20, both space padded to 16.
	if got := string(b[6+4 : 6+20]); got != "LINGSHU         " {
		t.Fatalf("called ae field %q", got)
	}
	if got := string(b[6+20 : 6+36]); got != "PACS01          " {
		t.Fatalf("calling ae field %q", got)
	}
}

func TestPDU_UnknownItemsSkipped(t *testing.T) {
	b, _ := EncodePDU(sampleRQ())
	// Append an unknown top-level item (type 0x77) and fix the PDU length.
	b = append(b, 0x77, 0, 0, 3, 'a', 'b', 'c')
	binary.BigEndian.PutUint32(b[2:6], uint32(len(b)-6))
	p, err := DecodePDU(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p, sampleRQ()) {
		t.Fatalf("unknown item changed the decoded rq: %#v", p)
	}
}

func TestPDU_DecodeErrors(t *testing.T) {
	rq, _ := EncodePDU(sampleRQ())
	pdata, _ := EncodePDU(&PDataTF{PDVs: []PDV{{ContextID: 1, Command: true, Last: true, Data: []byte{1, 2}}}})
	withLen := func(b []byte, n uint32) []byte {
		c := append([]byte(nil), b...)
		binary.BigEndian.PutUint32(c[2:6], n)
		return c
	}
	badItemLen := append([]byte(nil), rq...)
	binary.BigEndian.PutUint16(badItemLen[6+68+2:], 0xFFFF) // application context item length
	badPDV := append([]byte(nil), pdata...)
	binary.BigEndian.PutUint32(badPDV[6:], 100)
	reserved := append([]byte(nil), pdata...)
	reserved[11] = 0x0c
	cases := []struct {
		name   string
		b      []byte
		reason byte
	}{
		{"empty", nil, AbortReasonInvalidParameter},
		{"header only truncated", rq[:4], AbortReasonInvalidParameter},
		{"length larger than data", withLen(rq, uint32(len(rq))), AbortReasonInvalidParameter},
		{"length smaller than data", withLen(rq, 10), AbortReasonInvalidParameter},
		{"rq body truncated", withLen(rq[:50], 44), AbortReasonInvalidParameter},
		{"item length overflow", badItemLen, AbortReasonInvalidParameter},
		{"pdv length overflow", badPDV, AbortReasonInvalidParameter},
		{"pdv reserved bits", reserved, AbortReasonInvalidParameter},
		{"p-data without pdv", []byte{4, 0, 0, 0, 0, 0}, AbortReasonInvalidParameter},
		{"pdv length 1", []byte{4, 0, 0, 0, 0, 6, 0, 0, 0, 1, 1, 3}, AbortReasonInvalidParameter},
		{"abort wrong length", []byte{7, 0, 0, 0, 0, 2, 0, 0}, AbortReasonInvalidParameter},
		{"release wrong length", []byte{5, 0, 0, 0, 0, 0}, AbortReasonInvalidParameter},
		{"unknown type 0x08", []byte{8, 0, 0, 0, 0, 0}, AbortReasonUnrecognizedPDU},
		{"unknown type 0xff", []byte{0xff, 0, 0, 0, 0, 4, 0, 0, 0, 0}, AbortReasonUnrecognizedPDU},
		{"no application context", mustEncode(t, &AssociateRQ{ProtocolVersion: 1}, true), AbortReasonInvalidParameter},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodePDU(tc.b)
			var pe *ProtocolError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want ProtocolError", err)
			}
			if !strings.HasPrefix(err.Error(), "dicomnet: ") {
				t.Errorf("error text %q", err)
			}
			if pe.Reason != tc.reason {
				t.Fatalf("reason %d, want %d (%v)", pe.Reason, tc.reason, err)
			}
		})
	}
}

// mustEncode encodes p; stripAppCtx drops the application context item of an RQ/AC.
func mustEncode(t *testing.T, p PDU, stripAppCtx bool) []byte {
	t.Helper()
	b, err := EncodePDU(p)
	if err != nil {
		t.Fatal(err)
	}
	if stripAppCtx {
		// item at body offset 68: type, reserved, length(2), value
		n := int(binary.BigEndian.Uint16(b[6+68+2:]))
		b = append(b[:6+68], b[6+68+4+n:]...)
		binary.BigEndian.PutUint32(b[2:6], uint32(len(b)-6))
	}
	return b
}

func TestReadPDU_Limits(t *testing.T) {
	big, _ := EncodePDU(&PDataTF{PDVs: []PDV{{ContextID: 1, Last: true, Data: make([]byte, 5000)}}})
	if _, _, _, err := readPDU(bytes.NewReader(big), nil, 4096, 1<<20); !errors.Is(err, ErrPDUTooLarge) {
		t.Fatalf("oversized p-data: %v", err)
	}
	if _, _, _, err := readPDU(bytes.NewReader(big), nil, 8192, 1<<20); err != nil {
		t.Fatalf("p-data within limit: %v", err)
	}
	rq, _ := EncodePDU(sampleRQ())
	if _, _, _, err := readPDU(bytes.NewReader(rq), nil, 1<<20, 64); !errors.Is(err, ErrPDUTooLarge) {
		t.Fatalf("oversized control pdu: %v", err)
	}
	if _, _, _, err := readPDU(bytes.NewReader(rq[:len(rq)-3]), nil, 1<<20, 1<<20); err == nil || !strings.Contains(err.Error(), "EOF") {
		t.Fatalf("truncated stream: %v", err)
	}
	var pe *ProtocolError
	if _, _, _, err := readPDU(bytes.NewReader([]byte{0x09, 0, 0xff, 0xff, 0xff, 0xff}), nil, 1<<20, 1<<20); !errors.As(err, &pe) || pe.Reason != AbortReasonUnrecognizedPDU {
		t.Fatalf("unknown type: %v", err)
	}
}

func TestValidUID(t *testing.T) {
	cases := map[string]bool{
		"1.2.840.10008.1.2":             true,
		"1.2.840.10008.1.2.4.50":        true,
		"0":                             true,
		"1.0.2":                         true,
		"":                              false,
		"1..2":                          false,
		"1.2.":                          false,
		".1":                            false,
		"1.02":                          false,
		"1.2a":                          false,
		"1.2 ":                          false,
		strings.Repeat("1.", 32) + "1":  false, // 65 characters
		strings.Repeat("1.", 31) + "12": true,  // 64 characters
	}
	for uid, want := range cases {
		if got := ValidUID(uid); got != want {
			t.Errorf("ValidUID(%q) = %v, want %v", uid, got, want)
		}
	}
}

func TestValidAETitle(t *testing.T) {
	cases := map[string]bool{"LINGSHU": true, "A B": true, "": false, "    ": false,
		"ABCDEFGHIJKLMNOPQ": false, "A\\B": false, "A\nB": false, "ÄB": false}
	for ae, want := range cases {
		if got := ValidAETitle(ae); got != want {
			t.Errorf("ValidAETitle(%q) = %v, want %v", ae, got, want)
		}
	}
}

func TestStorageSOPClasses(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range StorageSOPClasses() {
		if !ValidUID(c.UID) || c.Name == "" || seen[c.UID] {
			t.Errorf("bad or duplicate entry %+v", c)
		}
		seen[c.UID] = true
	}
	if len(seen) < 150 {
		t.Fatalf("only %d storage classes", len(seen))
	}
	for _, uid := range []string{CTImageStorage, "1.2.840.10008.5.1.4.1.1.4", "1.2.840.10008.5.1.4.1.1.88.11", "1.2.840.10008.5.1.4.1.1.104.1"} {
		if !IsStorageSOPClass(uid) {
			t.Errorf("%s missing", uid)
		}
	}
	if IsStorageSOPClass(VerificationSOPClass) || IsStorageSOPClass("1.2.840.10008.5.1.4.1.2.2.1") {
		t.Error("non-storage class reported as storage")
	}
	if SOPClassName(CTImageStorage) != "CT Image Storage" || SOPClassName("1.2.3") != "1.2.3" {
		t.Error("SOPClassName")
	}
}
