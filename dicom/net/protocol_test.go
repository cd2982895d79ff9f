package net

import (
	"encoding/binary"
	"testing"
	"time"
)

// Sta2 (awaiting A-ASSOCIATE-RQ): each bad opening gets the right answer and
// the connection is closed; the server keeps serving others.
func TestProtocol_BeforeAssociation(t *testing.T) {
	s, addr := startServer(t, ServerConfig{AETitle: "LINGSHU"}, newMemStore())
	rqWith := func(mod func(*AssociateRQ)) []byte {
		rq := &AssociateRQ{ProtocolVersion: 1, CalledAE: "LINGSHU", CallingAE: "RAW", ApplicationContext: ApplicationContextName,
			PresentationContexts: []PresentationContextRQ{{ID: 1, AbstractSyntax: VerificationSOPClass, TransferSyntaxes: allTS}}}
		mod(rq)
		b, _ := EncodePDU(rq)
		return b
	}
	hugeHeader := []byte{1, 0, 0x7f, 0xff, 0xff, 0xff}
	cases := []struct {
		name  string
		send  []byte
		check func(t *testing.T, p PDU, err error)
	}{
		{"p-data before association", pdata(1, true, true, EncodeCommand(&Command{Field: CEchoRQ, MessageID: 1})),
			func(t *testing.T, p PDU, err error) {
				wantAbort(t, p, err, AbortSourceProvider, AbortReasonUnexpectedPDU)
			}},
		{"release before association", []byte{5, 0, 0, 0, 0, 4, 0, 0, 0, 0},
			func(t *testing.T, p PDU, err error) {
				wantAbort(t, p, err, AbortSourceProvider, AbortReasonUnexpectedPDU)
			}},
		{"unknown pdu type", []byte{0x0a, 0, 0, 0, 0, 2, 0, 0},
			func(t *testing.T, p PDU, err error) {
				wantAbort(t, p, err, AbortSourceProvider, AbortReasonUnrecognizedPDU)
			}},
		{"oversized a-associate-rq", hugeHeader,
			func(t *testing.T, p PDU, err error) {
				wantAbort(t, p, err, AbortSourceProvider, AbortReasonInvalidParameter)
			}},
		{"malformed a-associate-rq", []byte{1, 0, 0, 0, 0, 4, 0, 1, 0, 0},
			func(t *testing.T, p PDU, err error) {
				wantAbort(t, p, err, AbortSourceProvider, AbortReasonInvalidParameter)
			}},
		{"wrong protocol version", rqWith(func(r *AssociateRQ) { r.ProtocolVersion = 2 }),
			wantRJ(RejectPermanent, RejectSourceProviderACSE, RejectReasonProtocolVersionNotSupported)},
		{"called ae not recognized", rqWith(func(r *AssociateRQ) { r.CalledAE = "NOPE" }),
			wantRJ(RejectPermanent, RejectSourceUser, RejectReasonCalledAENotRecognized)},
		{"wrong application context", rqWith(func(r *AssociateRQ) { r.ApplicationContext = "1.2.3.4" }),
			wantRJ(RejectPermanent, RejectSourceUser, RejectReasonAppContextNotSupported)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rawDial(t, addr)
			r.send(tc.send)
			p, err := r.recv(5 * time.Second)
			tc.check(t, p, err)
			r.expectClosed(5 * time.Second)
			echoWorks(t, addr)
		})
	}
	t.Run("truncated pdu then close", func(t *testing.T) {
		r := rawDial(t, addr)
		b := rqWith(func(*AssociateRQ) {})
		r.send(b[:len(b)/2])
		r.nc.Close()
		echoWorks(t, addr)
	})
	if st := s.Stats(); st.AssociationsRejected != 3 {
		t.Errorf("stats %+v", st)
	}
}

func wantRJ(result, source, reason byte) func(t *testing.T, p PDU, err error) {
	return func(t *testing.T, p PDU, err error) {
		t.Helper()
		rj, ok := p.(*AssociateRJ)
		if err != nil || !ok {
			t.Fatalf("want A-ASSOCIATE-RJ, got %#v %v", p, err)
		}
		if *rj != (AssociateRJ{result, source, reason}) {
			t.Fatalf("rj %+v, want %d %d %d", *rj, result, source, reason)
		}
	}
}

// Sta6 (established): protocol violations abort the association.
func TestProtocol_Established(t *testing.T) {
	m := newMemStore()
	_, addr := startServer(t, ServerConfig{MaxPDULength: 4096}, m)
	bigPData := pdata(3, false, true, make([]byte, 5000))
	cases := []struct {
		name   string
		send   [][]byte
		reason byte
	}{
		{"p-data over max pdu length", [][]byte{pdata(3, true, true, storeRQ(1, CTImageStorage, "1.2.3")), bigPData}, AbortReasonInvalidParameter},
		{"unknown pdu type", [][]byte{{0x10, 0, 0, 0, 0, 0}}, AbortReasonUnrecognizedPDU},
		{"second a-associate-rq", [][]byte{mustEncode(t, sampleRQ(), false)}, AbortReasonUnexpectedPDU},
		{"a-associate-ac from the scu", [][]byte{mustEncode(t, sampleAC(), false)}, AbortReasonUnexpectedPDU},
		{"context not accepted", [][]byte{pdata(5, true, true, storeRQ(1, CTImageStorage, "1.2.3")), pdata(5, false, true, []byte{1})}, AbortReasonInvalidParameter},
		{"unparsable command", [][]byte{pdata(1, true, true, []byte{1, 2, 3})}, AbortReasonInvalidParameter},
		{"command without data set type", [][]byte{pdata(1, true, true, appendUS(appendUS(nil, 0x0100, CEchoRQ), 0x0110, 1))}, AbortReasonInvalidParameter},
		{"data set before command", [][]byte{pdata(3, false, true, []byte{1, 2})}, AbortReasonUnexpectedParameter},
		{"context changes mid-message", [][]byte{pdata(3, true, true, storeRQ(1, CTImageStorage, "1.2.3")), pdata(1, false, true, []byte{1, 2})}, AbortReasonInvalidParameter},
		{"release inside a message", [][]byte{pdata(3, true, true, storeRQ(1, CTImageStorage, "1.2.3")), {5, 0, 0, 0, 0, 4, 0, 0, 0, 0}}, AbortReasonUnexpectedPDU},
		{"bad pdv length", [][]byte{{4, 0, 0, 0, 0, 6, 0, 0, 0, 9, 1, 3}}, AbortReasonInvalidParameter},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rawDial(t, addr)
			r.associate(16384)
			for _, b := range tc.send {
				r.send(b)
			}
			p, err := r.recv(5 * time.Second)
			wantAbort(t, p, err, AbortSourceProvider, tc.reason)
			r.expectClosed(5 * time.Second)
			echoWorks(t, addr)
		})
	}
	if m.count() != 0 {
		t.Fatalf("%d instances stored from aborted associations", m.count())
	}
}

// A message split over many P-DATA-TF PDUs and several PDVs per PDU, the
// command itself fragmented, is reassembled exactly.
func TestProtocol_Fragmentation(t *testing.T) {
	m := newMemStore()
	_, addr := startServer(t, ServerConfig{MaxPDULength: 4096}, m)
	r := rawDial(t, addr)
	r.associate(0) // 0: no limit on what the SCP sends us
	cmd := storeRQ(7, CTImageStorage, "1.2.3.7")
	data := pattern(10000, 7)
	// Command in three fragments spread over two PDUs; data in pieces of 1000 with two PDVs per PDU.
	pdu, _ := EncodePDU(&PDataTF{PDVs: []PDV{{ContextID: 3, Command: true, Data: cmd[:10]}, {ContextID: 3, Command: true, Data: cmd[10:20]}}})
	r.send(pdu)
	r.send(pdata(3, true, true, cmd[20:]))
	for off := 0; off < len(data); off += 2000 {
		pdu, _ := EncodePDU(&PDataTF{PDVs: []PDV{
			{ContextID: 3, Data: data[off : off+1000]},
			{ContextID: 3, Last: off+2000 == len(data), Data: data[off+1000 : off+2000]}}})
		r.send(pdu)
	}
	rsp := r.recvResponse()
	if rsp.Field != CStoreRSP || rsp.Status != StatusSuccess || rsp.MessageIDBeingRespondedTo != 7 || rsp.AffectedSOPInstanceUID != "1.2.3.7" {
		t.Fatalf("response %+v", rsp)
	}
	got, _ := m.get("1.2.3.7")
	sameBytes(t, "dataset", got.Dataset, data)
	// Two whole messages in one PDU: both are answered in order.
	echo := EncodeCommand(&Command{Field: CEchoRQ, MessageID: 8, AffectedSOPClassUID: VerificationSOPClass})
	echo2 := EncodeCommand(&Command{Field: CEchoRQ, MessageID: 9, AffectedSOPClassUID: VerificationSOPClass})
	pdu, _ = EncodePDU(&PDataTF{PDVs: []PDV{{ContextID: 1, Command: true, Last: true, Data: echo}, {ContextID: 1, Command: true, Last: true, Data: echo2}}})
	r.send(pdu)
	for _, id := range []uint16{8, 9} {
		if rsp := r.recvResponse(); rsp.Field != CEchoRSP || rsp.MessageIDBeingRespondedTo != id {
			t.Fatalf("echo response %+v", rsp)
		}
	}
	r.sendPDU(&ReleaseRQ{})
	if p, err := r.recv(5 * time.Second); err != nil || p.Type() != TypeReleaseRP {
		t.Fatalf("release: %v %v", p, err)
	}
	r.expectClosed(5 * time.Second)
}

// The peer aborts in the middle of a data set: nothing reaches the handler
// and other associations are unaffected.
func TestProtocol_PeerAbortMidTransfer(t *testing.T) {
	m := newMemStore()
	s, addr := startServer(t, ServerConfig{}, m)
	other := dial(t, addr, ClientConfig{})
	r := rawDial(t, addr)
	r.associate(16384)
	r.send(pdata(3, true, true, storeRQ(1, CTImageStorage, "1.2.3.1")))
	r.send(pdata(3, false, false, pattern(3000, 1)))
	r.sendPDU(&Abort{Source: AbortSourceUser})
	r.expectClosed(5 * time.Second)
	if st, err := other.Store(tctx(t), CTImageStorage, "1.2.3.2", "", []byte{1, 2}); err != nil || !st.IsSuccess() {
		t.Fatalf("other association: %v %v", st, err)
	}
	other.Release()
	if _, ok := m.get("1.2.3.1"); ok || m.handlerCalls() != 1 {
		t.Fatal("aborted data set reached the handler")
	}
	if s.Stats().AssociationsAborted == 0 {
		t.Fatalf("stats %+v", s.Stats())
	}
	// The SCU side: Abort closes our association; later calls fail.
	a := dial(t, addr, ClientConfig{})
	if err := a.Abort(); err != nil {
		t.Fatal(err)
	}
	if err := a.Echo(tctx(t)); err == nil {
		t.Fatal("echo after abort succeeded")
	}
	echoWorks(t, addr)
}

// ARTIM: a client that connects and says nothing is closed after ARTIMTimeout.
// Idle timeout: an established association with no traffic is aborted, but
// a slow transfer whose PDUs each arrive within the timeout survives.
func TestProtocol_Timers(t *testing.T) {
	s, addr := startServer(t, ServerConfig{ARTIMTimeout: 200 * time.Millisecond, IdleTimeout: time.Second}, newMemStore())
	t.Run("artim silent client", func(t *testing.T) {
		r := rawDial(t, addr)
		start := time.Now()
		r.expectClosed(5 * time.Second)
		if d := time.Since(start); d < 150*time.Millisecond {
			t.Fatalf("closed after %v, before ARTIM", d)
		}
	})
	t.Run("idle timeout", func(t *testing.T) {
		r := rawDial(t, addr)
		r.associate(16384)
		start := time.Now()
		p, err := r.recv(10 * time.Second)
		wantAbort(t, p, err, AbortSourceUser, AbortReasonNotSpecified)
		if d := time.Since(start); d < 900*time.Millisecond {
			t.Fatalf("aborted after %v, before the idle timeout", d)
		}
		r.expectClosed(5 * time.Second)
	})
	t.Run("slow but steady transfer survives", func(t *testing.T) {
		r := rawDial(t, addr)
		r.associate(16384)
		r.send(pdata(3, true, true, storeRQ(1, CTImageStorage, "1.2.3.9")))
		for i := 0; i < 4; i++ { // 4 × 400 ms exceeds the idle timeout in total, each gap is well below it
			time.Sleep(400 * time.Millisecond)
			r.send(pdata(3, false, i == 3, []byte{1, 2}))
		}
		if rsp := r.recvResponse(); rsp.Status != StatusSuccess {
			t.Fatalf("status 0x%04X", rsp.Status)
		}
	})
	if s.Stats().AssociationsAborted < 2 {
		t.Fatalf("stats %+v", s.Stats())
	}
}

// A P-DATA-TF exactly at the advertised maximum is accepted.
func TestProtocol_MaxPDUBoundary(t *testing.T) {
	m := newMemStore()
	_, addr := startServer(t, ServerConfig{MaxPDULength: 4096}, m)
	r := rawDial(t, addr)
	ac := r.associate(16384)
	if ac.UserInfo.MaxPDULength != 4096 {
		t.Fatalf("advertised %d", ac.UserInfo.MaxPDULength)
	}
	r.send(pdata(3, true, true, storeRQ(1, CTImageStorage, "1.2.3.4")))
	b := pdata(3, false, true, pattern(4096-6, 4))
	if n := binary.BigEndian.Uint32(b[2:6]); n != 4096 {
		t.Fatalf("pdu length %d", n)
	}
	r.send(b)
	if rsp := r.recvResponse(); rsp.Status != StatusSuccess {
		t.Fatalf("status 0x%04X", rsp.Status)
	}
}
