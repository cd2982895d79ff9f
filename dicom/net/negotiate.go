package net

// acceptedContext is what one accepted presentation context carries.
type acceptedContext struct {
	ok             bool
	abstractSyntax string
	transferSyntax string
}

// negotiation is the SCP's answer to an A-ASSOCIATE-RQ: exactly one of ac, rj.
type negotiation struct {
	ac       *AssociateAC
	rj       *AssociateRJ
	why      string // log text for a rejection
	contexts [256]acceptedContext
}

// negotiate decides on rq. overLimit means the association limit is reached.
// The order of the checks follows PS3.8 9.3.4: protocol, then ACSE
// (application context, AE titles), then presentation-level resources.
func (s *Server) negotiate(rq *AssociateRQ, overLimit bool) *negotiation {
	n := &negotiation{}
	reject := func(result, source, reason byte, why string) *negotiation {
		n.rj = &AssociateRJ{Result: result, Source: source, Reason: reason}
		n.why = why
		return n
	}
	switch {
	case rq.ProtocolVersion&1 == 0:
		return reject(RejectPermanent, RejectSourceProviderACSE, RejectReasonProtocolVersionNotSupported, "protocol version not supported")
	case rq.ApplicationContext != ApplicationContextName:
		return reject(RejectPermanent, RejectSourceUser, RejectReasonAppContextNotSupported, "application context not supported")
	case s.cfg.AETitle != "" && rq.CalledAE != s.cfg.AETitle:
		return reject(RejectPermanent, RejectSourceUser, RejectReasonCalledAENotRecognized, "called ae title not recognized")
	case s.allowedCalling != nil && !s.allowedCalling[rq.CallingAE]:
		return reject(RejectPermanent, RejectSourceUser, RejectReasonCallingAENotRecognized, "calling ae title not recognized")
	case overLimit:
		return reject(RejectTransient, RejectSourceProviderPresentation, RejectReasonLocalLimitExceeded, "association limit reached")
	case len(rq.PresentationContexts) == 0:
		return reject(RejectPermanent, RejectSourceUser, RejectReasonNoReason, "no presentation context proposed")
	}
	var seen [256]bool
	ac := &AssociateAC{
		ProtocolVersion:      1,
		CalledAE:             rq.CalledAE,
		CallingAE:            rq.CallingAE,
		ApplicationContext:   ApplicationContextName,
		PresentationContexts: make([]PresentationContextAC, 0, len(rq.PresentationContexts)),
		UserInfo: UserInfo{
			MaxPDULength:              s.cfg.MaxPDULength,
			ImplementationClassUID:    s.cfg.ImplementationClassUID,
			ImplementationVersionName: s.cfg.ImplementationVersionName,
		},
	}
	for _, pc := range rq.PresentationContexts {
		if seen[pc.ID] {
			return reject(RejectPermanent, RejectSourceUser, RejectReasonNoReason, "duplicate presentation context id")
		}
		seen[pc.ID] = true
		res, ts := decideContext(pc)
		if res == ResultAcceptance {
			n.contexts[pc.ID] = acceptedContext{ok: true, abstractSyntax: pc.AbstractSyntax, transferSyntax: ts}
		}
		ac.PresentationContexts = append(ac.PresentationContexts, PresentationContextAC{ID: pc.ID, Result: res, TransferSyntax: ts})
	}
	n.ac = ac
	return n
}

// decideContext accepts Verification and every Storage SOP class with the
// first proposed transfer syntax that is a valid UID: data sets are stored as
// received, so compressed syntaxes are as good as any.
func decideContext(pc PresentationContextRQ) (result byte, ts string) {
	// A rejected context still carries one transfer syntax sub-item, which the peer ignores.
	fallback := "1.2.840.10008.1.2"
	if len(pc.TransferSyntaxes) > 0 && ValidUID(pc.TransferSyntaxes[0]) {
		fallback = pc.TransferSyntaxes[0]
	}
	if pc.ID == 0 || pc.ID%2 == 0 {
		return ResultNoReason, fallback
	}
	if pc.AbstractSyntax != VerificationSOPClass && !IsStorageSOPClass(pc.AbstractSyntax) {
		return ResultAbstractSyntaxNotSupported, fallback
	}
	for _, t := range pc.TransferSyntaxes {
		if ValidUID(t) {
			return ResultAcceptance, t
		}
	}
	return ResultTransferSyntaxesNotSupported, fallback
}
