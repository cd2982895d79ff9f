package net

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The seed corpus lives in testdata/fuzz/FuzzPDU and testdata/fuzz/FuzzDIMSECommand;
// `go test` replays it as regression tests. Regenerate it with
//
//	DICOMNET_WRITE_SEEDS=1 go test -run TestWriteFuzzSeeds ./dicom/net/
//
// which also captures the A-ASSOCIATE-RQ and P-DATA that DCMTK's echoscu and
// storescu send, when they are installed.

func pduSeeds() [][]byte {
	var seeds [][]byte
	for _, p := range []PDU{
		sampleRQ(), sampleAC(),
		&AssociateRJ{Result: RejectPermanent, Source: RejectSourceProviderACSE, Reason: RejectReasonProtocolVersionNotSupported},
		&PDataTF{PDVs: []PDV{{ContextID: 1, Command: true, Last: true, Data: EncodeCommand(&Command{Field: CEchoRQ, MessageID: 1, AffectedSOPClassUID: VerificationSOPClass})}}},
		&PDataTF{PDVs: []PDV{{ContextID: 3, Command: true, Last: true, Data: storeRQ(1, CTImageStorage, "1.2.3")}, {ContextID: 3, Data: []byte{8, 0, 0x16, 0}}, {ContextID: 3, Last: true, Data: []byte{}}}},
		&ReleaseRQ{}, &ReleaseRP{}, &Abort{Source: AbortSourceProvider, Reason: AbortReasonUnexpectedPDU},
	} {
		b, err := EncodePDU(p)
		if err != nil {
			panic(err)
		}
		seeds = append(seeds, b)
	}
	return seeds
}

func commandSeeds() [][]byte {
	var seeds [][]byte
	for _, c := range []*Command{
		{Field: CEchoRQ, MessageID: 1, AffectedSOPClassUID: VerificationSOPClass},
		{Field: CEchoRSP, MessageIDBeingRespondedTo: 1, AffectedSOPClassUID: VerificationSOPClass},
		{Field: CStoreRQ, MessageID: 2, AffectedSOPClassUID: CTImageStorage, AffectedSOPInstanceUID: "1.2.3.4", HasDataSet: true, MoveOriginatorAE: "MOVER", MoveOriginatorMessageID: 5},
		{Field: CStoreRSP, MessageIDBeingRespondedTo: 2, AffectedSOPClassUID: CTImageStorage, AffectedSOPInstanceUID: "1.2.3.4", Status: StatusOutOfResources, ErrorComment: "disk full"},
		{Field: CFindRQ, MessageID: 3, AffectedSOPClassUID: "1.2.840.10008.5.1.4.1.2.2.1", Priority: PriorityLow, HasDataSet: true},
	} {
		seeds = append(seeds, EncodeCommand(c))
	}
	return seeds
}

func FuzzPDU(f *testing.F) {
	for _, s := range pduSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodePDU(b)
		if err != nil {
			var pe *ProtocolError
			if !errors.As(err, &pe) {
				t.Fatalf("decode error is not a ProtocolError: %v", err)
			}
			return
		}
		enc, err := EncodePDU(p)
		if err != nil {
			if strings.Contains(err.Error(), "too long") {
				return // a maximal user information item cannot grow by the max-length sub-item
			}
			t.Fatalf("re-encode: %v", err)
		}
		p2, err := DecodePDU(enc)
		if err != nil {
			t.Fatalf("decode of re-encoded pdu: %v", err)
		}
		if !reflect.DeepEqual(normalize(p), normalize(p2)) {
			t.Fatalf("round trip changed the pdu\n first %#v\nsecond %#v", p, p2)
		}
		// The streaming reader agrees with the whole-buffer decoder.
		typ, body, _, err := readPDU(bytes.NewReader(b), nil, 1<<24, 1<<24)
		if err != nil || typ != p.Type() || len(body) != len(b)-6 {
			t.Fatalf("readPDU disagrees: %v %v", typ, err)
		}
	})
}

func FuzzDIMSECommand(f *testing.F) {
	for _, s := range commandSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeCommand(b)
		if err != nil {
			if !errors.Is(err, ErrBadCommand) {
				t.Fatalf("decode error does not wrap ErrBadCommand: %v", err)
			}
			return
		}
		enc := EncodeCommand(c)
		c2, err := DecodeCommand(enc)
		if err != nil {
			t.Fatalf("decode of re-encoded command: %v", err)
		}
		if enc2 := EncodeCommand(c2); !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not a fixed point\n%x\n%x", enc, enc2)
		}
	})
}

func writeSeed(t *testing.T, target, name string, b []byte) {
	dir := filepath.Join("testdata", "fuzz", target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("DICOMNET_WRITE_SEEDS") == "" {
		t.Skip("set DICOMNET_WRITE_SEEDS=1 to regenerate testdata/fuzz")
	}
	for i, b := range pduSeeds() {
		writeSeed(t, "FuzzPDU", fmt.Sprintf("seed-%02d-%s", i, strings.ToLower(PDUType(b[0]).String())), b)
	}
	for i, b := range commandSeeds() {
		writeSeed(t, "FuzzDIMSECommand", fmt.Sprintf("seed-%02d", i), b)
	}
	for i, b := range streamSeeds() {
		writeSeed(t, "FuzzMessageStream", fmt.Sprintf("seed-%02d", i), b)
	}
	// PDUs as DCMTK sends them: echoscu's and storescu's A-ASSOCIATE-RQ (the
	// latter proposes about 120 contexts), then storescu's first P-DATA-TF.
	for _, tool := range []string{"echoscu", "storescu"} {
		bin, err := exec.LookPath(tool)
		if err != nil {
			t.Logf("%s not installed; skipping captured seeds", tool)
			continue
		}
		pdus := capturePDUs(t, bin, tool == "storescu")
		for i, b := range pdus {
			writeSeed(t, "FuzzPDU", fmt.Sprintf("dcmtk-%s-%d-%s", tool, i, strings.ToLower(PDUType(b[0]).String())), b)
			if PDUType(b[0]) == TypePDataTF {
				if p, err := DecodePDU(b); err == nil {
					for _, v := range p.(*PDataTF).PDVs {
						if v.Command {
							writeSeed(t, "FuzzDIMSECommand", "dcmtk-"+tool+"-command", v.Data)
						}
					}
				}
			}
		}
	}
}

// capturePDUs runs a DCMTK SCU against a scripted peer that accepts the
// association with our negotiation and records the PDUs it receives.
func capturePDUs(t *testing.T, bin string, store bool) [][]byte {
	l, addr := listenLoopback(t)
	s, err := NewServer(ServerConfig{}, nopHandler())
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan [][]byte, 1)
	go func() {
		var pdus [][]byte
		defer func() { got <- pdus }()
		nc, err := l.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
		c := newULConn(nc, DefaultMaxPDULength)
		for len(pdus) < 2 {
			t, body, err := c.readPDU()
			if err != nil {
				return
			}
			pdus = append(pdus, append([]byte{byte(t), 0, byte(len(body) >> 24), byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...))
			if t != TypeAssociateRQ {
				return
			}
			p, err := decodeBody(t, body)
			if err != nil {
				return
			}
			_ = c.writePDU(s.negotiate(p.(*AssociateRQ), false).ac)
		}
	}()
	host, port, _ := net.SplitHostPort(addr)
	args := []string{"-aet", "SEEDSCU", "-aec", "SEEDSCP", "-to", "2", host, port}
	if store {
		args = append(args, writeTestFiles(t, 1, 8, 8, "1.2.840.10008.1.2.1", false)[0].path)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "TCP_NODELAY=1")
	_ = cmd.Run() // it fails once we stop answering; only its PDUs matter
	return <-got
}

// FuzzMessageStream feeds arbitrary bytes to the streaming DIMSE message
// reader the SCP runs on every connection.
func FuzzMessageStream(f *testing.F) {
	for _, s := range pduSeeds() {
		f.Add(s)
	}
	two := append(pdata(3, true, true, storeRQ(1, CTImageStorage, "1.2.3")), pdata(3, false, true, []byte{1, 2, 3})...)
	f.Add(two)
	for _, s := range streamSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c := &ulConn{br: bufio.NewReader(bytes.NewReader(b)), maxRecv: 1 << 16}
		var buf []byte
		for i := 0; i < 64; i++ {
			msg, ctl, err := c.readMessage(1<<10, nil, buf)
			if err != nil || ctl != nil {
				return
			}
			if msg.cmd == nil {
				t.Fatal("message without command")
			}
			if !msg.overflow && msg.cmd.HasDataSet && int64(len(msg.data)) != msg.dataBytes {
				t.Fatalf("kept %d of %d data set bytes", len(msg.data), msg.dataBytes)
			}
			if msg.dataBytes > int64(len(b)) {
				t.Fatalf("%d data set bytes from %d input bytes", msg.dataBytes, len(b))
			}
			buf = msg.data
		}
	})
}

// streamSeeds are byte streams as the SCP reads them after association:
// whole messages, fragmented ones, several messages in one PDU, a release.
func streamSeeds() [][]byte {
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	cmd := storeRQ(1, CTImageStorage, "1.2.3")
	echo := EncodeCommand(&Command{Field: CEchoRQ, MessageID: 2, AffectedSOPClassUID: VerificationSOPClass})
	twoInOne, _ := EncodePDU(&PDataTF{PDVs: []PDV{{ContextID: 1, Command: true, Last: true, Data: echo}, {ContextID: 1, Command: true, Last: true, Data: echo}}})
	return [][]byte{
		cat(pdata(3, true, true, cmd), pdata(3, false, true, []byte("dataset"))),
		cat(pdata(3, true, false, cmd[:9]), pdata(3, true, true, cmd[9:]), pdata(3, false, false, []byte{1, 2}), pdata(3, false, true, []byte{3, 4})),
		cat(twoInOne, []byte{5, 0, 0, 0, 0, 4, 0, 0, 0, 0}),
		cat(pdata(3, true, true, cmd), pdata(3, false, false, make([]byte, 2000)), []byte{7, 0, 0, 0, 0, 4, 0, 0, 0, 0}),
	}
}
