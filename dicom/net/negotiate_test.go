package net

import (
	"context"
	"testing"
)

func nopHandler() StoreHandler {
	return StoreFunc(func(context.Context, *StoreRequest) Status { return Status{} })
}

func TestNegotiate_Reject(t *testing.T) {
	s, err := NewServer(ServerConfig{AETitle: "LINGSHU", AllowedCallingAETitles: []string{"PACS01"}}, nopHandler())
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name                   string
		mod                    func(*AssociateRQ)
		overLimit              bool
		result, source, reason byte
	}{
		{"protocol version", func(r *AssociateRQ) { r.ProtocolVersion = 2 }, false, RejectPermanent, RejectSourceProviderACSE, RejectReasonProtocolVersionNotSupported},
		{"application context", func(r *AssociateRQ) { r.ApplicationContext = "1.2.3" }, false, RejectPermanent, RejectSourceUser, RejectReasonAppContextNotSupported},
		{"called ae", func(r *AssociateRQ) { r.CalledAE = "OTHER" }, false, RejectPermanent, RejectSourceUser, RejectReasonCalledAENotRecognized},
		{"calling ae", func(r *AssociateRQ) { r.CallingAE = "INTRUDER" }, false, RejectPermanent, RejectSourceUser, RejectReasonCallingAENotRecognized},
		{"association limit", func(r *AssociateRQ) {}, true, RejectTransient, RejectSourceProviderPresentation, RejectReasonLocalLimitExceeded},
		{"no contexts", func(r *AssociateRQ) { r.PresentationContexts = nil }, false, RejectPermanent, RejectSourceUser, RejectReasonNoReason},
		{"duplicate context id", func(r *AssociateRQ) { r.PresentationContexts[1].ID = 1 }, false, RejectPermanent, RejectSourceUser, RejectReasonNoReason},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rq := sampleRQ()
			tc.mod(rq)
			n := s.negotiate(rq, tc.overLimit)
			if n.rj == nil {
				t.Fatal("accepted, want reject")
			}
			if got := *n.rj; got != (AssociateRJ{tc.result, tc.source, tc.reason}) {
				t.Fatalf("rj %+v", got)
			}
		})
	}
	if n := s.negotiate(sampleRQ(), false); n.ac == nil {
		t.Fatalf("valid rq rejected: %s", n.why)
	}
}

func TestNegotiate_Contexts(t *testing.T) {
	s, err := NewServer(ServerConfig{MaxPDULength: 32768}, nopHandler())
	if err != nil {
		t.Fatal(err)
	}
	rq := sampleRQ()
	rq.CalledAE = "ANYTHING" // no AETitle configured: any called AE is accepted
	rq.PresentationContexts = []PresentationContextRQ{
		{ID: 1, AbstractSyntax: VerificationSOPClass, TransferSyntaxes: []string{"1.2.840.10008.1.2"}},
		{ID: 3, AbstractSyntax: CTImageStorage, TransferSyntaxes: []string{"1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2"}},
		{ID: 5, AbstractSyntax: "1.2.840.10008.5.1.4.1.2.2.1", TransferSyntaxes: []string{"1.2.840.10008.1.2"}}, // C-FIND
		{ID: 7, AbstractSyntax: CTImageStorage, TransferSyntaxes: []string{"1.2.x", "", "1.2.840.10008.1.2.1"}},
		{ID: 9, AbstractSyntax: CTImageStorage, TransferSyntaxes: []string{"not.a.uid"}},
		{ID: 11, AbstractSyntax: CTImageStorage},
		{ID: 12, AbstractSyntax: CTImageStorage, TransferSyntaxes: []string{"1.2.840.10008.1.2"}},
		{ID: 13, AbstractSyntax: "1.2.840.10008.5.1.4.1.1.77.1.6", TransferSyntaxes: []string{"1.2.840.10008.1.2.4.50"}},
	}
	want := []PresentationContextAC{
		{1, ResultAcceptance, "1.2.840.10008.1.2"},
		{3, ResultAcceptance, "1.2.840.10008.1.2.4.90"},
		{5, ResultAbstractSyntaxNotSupported, "1.2.840.10008.1.2"},
		{7, ResultAcceptance, "1.2.840.10008.1.2.1"},
		{9, ResultTransferSyntaxesNotSupported, "1.2.840.10008.1.2"},
		{11, ResultTransferSyntaxesNotSupported, "1.2.840.10008.1.2"},
		{12, ResultNoReason, "1.2.840.10008.1.2"},
		{13, ResultAcceptance, "1.2.840.10008.1.2.4.50"},
	}
	n := s.negotiate(rq, false)
	if n.ac == nil {
		t.Fatalf("rejected: %s", n.why)
	}
	for i, w := range want {
		if got := n.ac.PresentationContexts[i]; got != w {
			t.Errorf("context %d: got %+v want %+v", w.ID, got, w)
		}
		if n.contexts[w.ID].ok != (w.Result == ResultAcceptance) {
			t.Errorf("context %d: accepted table disagrees", w.ID)
		}
	}
	if n.ac.UserInfo.MaxPDULength != 32768 || n.ac.UserInfo.ImplementationClassUID != DefaultImplementationClassUID {
		t.Errorf("user info %+v", n.ac.UserInfo)
	}
	if len(n.ac.UserInfo.Other) != 0 {
		t.Error("unknown sub-items must not be echoed")
	}
}

func TestNewServer_Validation(t *testing.T) {
	bad := []ServerConfig{
		{AETitle: "THIS_AE_TITLE_IS_TOO_LONG"},
		{AllowedCallingAETitles: []string{"A\\B"}},
		{AllowedHosts: []string{"10.0.0.0/33"}},
		{AllowedHosts: []string{"not-an-ip"}},
		{MaxPDULength: 100},
		{ImplementationClassUID: "1.2.03"},
		{ImplementationVersionName: "MUCH_TOO_LONG_VERSION_NAME"},
	}
	for _, cfg := range bad {
		if _, err := NewServer(cfg, nopHandler()); err == nil {
			t.Errorf("NewServer(%+v) accepted", cfg)
		}
	}
	if _, err := NewServer(ServerConfig{}, nil); err == nil {
		t.Error("nil handler accepted")
	}
	s, err := NewServer(ServerConfig{AllowedHosts: []string{"127.0.0.1", "10.1.0.0/16", "::1"}}, nopHandler())
	if err != nil {
		t.Fatal(err)
	}
	c := s.Config()
	if c.MaxPDULength != DefaultMaxPDULength || c.ARTIMTimeout != DefaultARTIMTimeout || c.MaxAssociations != DefaultMaxAssociations {
		t.Errorf("defaults not applied: %+v", c)
	}
}
