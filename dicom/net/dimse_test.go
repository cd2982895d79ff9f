package net

import (
	"encoding/binary"
	"errors"
	"reflect"
	"testing"
)

func TestCommand_RoundTrip(t *testing.T) {
	cases := []struct {
		name string
		cmd  Command
	}{
		{"c-echo-rq", Command{Field: CEchoRQ, MessageID: 1, AffectedSOPClassUID: VerificationSOPClass}},
		{"c-echo-rsp", Command{Field: CEchoRSP, MessageIDBeingRespondedTo: 1, AffectedSOPClassUID: VerificationSOPClass, Status: StatusSuccess}},
		{"c-store-rq", Command{Field: CStoreRQ, MessageID: 7, AffectedSOPClassUID: CTImageStorage,
			AffectedSOPInstanceUID: "1.2.3.4.5", Priority: PriorityHigh, HasDataSet: true}},
		{"c-store-rq move originator", Command{Field: CStoreRQ, MessageID: 65535, AffectedSOPClassUID: CTImageStorage,
			AffectedSOPInstanceUID: "1.2.3.45", HasDataSet: true, MoveOriginatorAE: "MOVER", MoveOriginatorMessageID: 9}},
		{"c-store-rsp failure with comment", Command{Field: CStoreRSP, MessageIDBeingRespondedTo: 7, AffectedSOPClassUID: CTImageStorage,
			AffectedSOPInstanceUID: "1.2.3.4.5", Status: StatusOutOfResources, ErrorComment: "disk full"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := EncodeCommand(&tc.cmd)
			if len(b)%2 != 0 {
				t.Fatalf("odd command length %d", len(b))
			}
			if gl := binary.LittleEndian.Uint32(b[8:12]); int(gl) != len(b)-12 {
				t.Fatalf("group length %d, want %d", gl, len(b)-12)
			}
			got, err := DecodeCommand(b)
			if err != nil {
				t.Fatal(err)
			}
			got.hasMessageID, got.hasRespondedTo = false, false
			if !reflect.DeepEqual(*got, tc.cmd) {
				t.Fatalf("round trip\n got %+v\nwant %+v", *got, tc.cmd)
			}
		})
	}
}

// A command set as another toolkit writes it: implicit VR LE, UIDs padded with NUL.
func TestCommand_DecodeForeign(t *testing.T) {
	var b []byte
	b = appendElem(b, 0x0000, []byte{0, 0, 0, 0})
	b = appendElem(b, 0x0002, []byte("1.2.840.10008.5.1.4.1.1.2\x00"))
	b = appendUS(b, 0x0100, CStoreRQ)
	b = appendUS(b, 0x0110, 3)
	b = appendUS(b, 0x0700, PriorityLow)
	b = appendUS(b, 0x0800, 0x0102) // any value other than 0x0101 means a data set follows
	b = appendElem(b, 0x1000, []byte("1.2.3\x00"))
	b = appendElem(b, 0x4000, []byte("skip")) // unknown group 0000 element is skipped
	c, err := DecodeCommand(b)
	if err != nil {
		t.Fatal(err)
	}
	if c.Field != CStoreRQ || c.MessageID != 3 || c.AffectedSOPClassUID != CTImageStorage ||
		c.AffectedSOPInstanceUID != "1.2.3" || !c.HasDataSet || c.Priority != PriorityLow {
		t.Fatalf("decoded %+v", c)
	}
}

func TestCommand_DecodeErrors(t *testing.T) {
	ok := EncodeCommand(&Command{Field: CEchoRQ, MessageID: 1})
	noField := appendUS(appendUS(nil, 0x0110, 1), 0x0800, 0x0101)
	noMsgID := appendUS(appendUS(nil, 0x0100, CEchoRQ), 0x0800, 0x0101)
	rspNoID := appendUS(appendUS(nil, 0x0100, CEchoRSP), 0x0800, 0x0101)
	noDST := appendUS(appendUS(nil, 0x0100, CEchoRQ), 0x0110, 1)
	badUS := appendElem(appendUS(noDST, 0x0800, 0x0101), 0x0700, []byte{1, 2, 3})
	otherGroup := append(append([]byte(nil), ok...), 8, 0, 0x18, 0, 0, 0, 0, 0)
	overLen := append([]byte(nil), ok...)
	binary.LittleEndian.PutUint32(overLen[len(ok)-6:], 0xFFFFFFFF) // length of the last element (data set type)
	cases := map[string][]byte{
		"truncated header":      ok[:len(ok)-3],
		"no command field":      noField,
		"request no message id": noMsgID,
		"response no id":        rspNoID,
		"no data set type":      noDST,
		"bad US length":         badUS,
		"element outside 0000":  otherGroup,
		"length overflow":       overLen,
		"garbage":               []byte{1, 2, 3, 4, 5, 6, 7, 8, 9},
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := DecodeCommand(b); !errors.Is(err, ErrBadCommand) {
				t.Fatalf("err = %v, want ErrBadCommand", err)
			}
		})
	}
}

func TestCommand_ErrorCommentCleaned(t *testing.T) {
	long := "bad\\value\nwith a very long comment that exceeds sixty-four characters in total length"
	c, err := DecodeCommand(EncodeCommand(&Command{Field: CStoreRSP, MessageIDBeingRespondedTo: 1, Status: 0xA700, ErrorComment: long}))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.ErrorComment) > 64 || c.ErrorComment[:9] != "bad?value" {
		t.Fatalf("comment %q", c.ErrorComment)
	}
}

func TestStatus(t *testing.T) {
	cases := []struct {
		code                   uint16
		success, warn, failure bool
	}{
		{StatusSuccess, true, false, false},
		{StatusCoercionOfDataElements, false, true, false},
		{StatusOutOfResources, false, false, true},
		{StatusCannotUnderstand, false, false, true},
		{StatusSOPClassNotSupported, false, false, true},
		{0xFF00, false, false, false},
	}
	for _, tc := range cases {
		s := Status{Code: tc.code}
		if s.IsSuccess() != tc.success || s.IsWarning() != tc.warn || s.IsFailure() != tc.failure {
			t.Errorf("%v: success %v warning %v failure %v", s, s.IsSuccess(), s.IsWarning(), s.IsFailure())
		}
	}
	if got := (Status{Code: 0xA700, Comment: "full"}).String(); got != "0xA700 refused: out of resources (full)" {
		t.Errorf("String() = %q", got)
	}
	names := map[uint16]string{
		0x0000: "success", 0x0110: "processing failure", 0x0111: "duplicate SOP instance", 0x0122: "SOP class not supported",
		0x0211: "unrecognized operation", 0xA7FF: "refused: out of resources", 0xA900: "error: data set does not match SOP class",
		0xB000: "warning: coercion of data elements", 0xB006: "warning: elements discarded", 0xB007: "warning: data set does not match SOP class",
		0xC123: "error: cannot understand", 0xFE00: "cancel", 0xFF01: "pending", 0xB123: "warning", 0x0212: "failure",
	}
	for code, want := range names {
		if got := statusName(code); got != want {
			t.Errorf("statusName(0x%04X) = %q, want %q", code, got, want)
		}
	}
}
