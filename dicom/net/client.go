package net

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"
)

// ProposedContext is one presentation context an SCU proposes.
type ProposedContext struct {
	AbstractSyntax   string
	TransferSyntaxes []string
}

// AcceptedContext is a presentation context the SCP accepted.
type AcceptedContext struct {
	ID             byte
	AbstractSyntax string
	TransferSyntax string
}

// ClientConfig configures Dial.
type ClientConfig struct {
	CallingAE, CalledAE string
	// Contexts to propose, at most 128; empty proposes Verification with
	// implicit and explicit VR little endian.
	Contexts                  []ProposedContext
	MaxPDULength              uint32 // advertised to the SCP; 0 = DefaultMaxPDULength
	ImplementationClassUID    string
	ImplementationVersionName string
	Logger                    *slog.Logger
}

// RejectError is an A-ASSOCIATE-RJ received by Dial.
type RejectError struct{ Result, Source, Reason byte }

func (e *RejectError) Error() string {
	return fmt.Sprintf("dicomnet: association rejected (result %d, source %d, reason %d)", e.Result, e.Source, e.Reason)
}

// AbortError is an A-ABORT received from the peer.
type AbortError struct{ Source, Reason byte }

func (e *AbortError) Error() string {
	return fmt.Sprintf("dicomnet: association aborted by peer (source %d, reason %d)", e.Source, e.Reason)
}

// ErrAssociationClosed is returned by operations on a released, aborted or failed association.
var ErrAssociationClosed = errors.New("dicomnet: association closed")

// ErrNoContext is returned when no accepted presentation context fits an operation.
var ErrNoContext = errors.New("dicomnet: no accepted presentation context")

// Association is the SCU side of an established association. Its methods
// serialise: one DIMSE operation at a time.
type Association struct {
	mu       sync.Mutex
	nc       net.Conn
	c        *ulConn
	log      *slog.Logger
	accepted []AcceptedContext
	peer     UserInfo
	msgID    uint16
	closed   bool
}

// Dial connects to addr, proposes cfg.Contexts and returns the established association.
func Dial(ctx context.Context, addr string, cfg ClientConfig) (*Association, error) {
	if cfg.CallingAE == "" || cfg.CalledAE == "" {
		return nil, errors.New("dicomnet: dial: calling and called ae titles are required")
	}
	if !ValidAETitle(cfg.CallingAE) || !ValidAETitle(cfg.CalledAE) {
		return nil, fmt.Errorf("dicomnet: dial: invalid ae title %q or %q", cfg.CallingAE, cfg.CalledAE)
	}
	if len(cfg.Contexts) == 0 {
		cfg.Contexts = []ProposedContext{{VerificationSOPClass, []string{"1.2.840.10008.1.2", "1.2.840.10008.1.2.1"}}}
	}
	if len(cfg.Contexts) > 128 {
		return nil, fmt.Errorf("dicomnet: dial: %d presentation contexts, at most 128", len(cfg.Contexts))
	}
	if cfg.MaxPDULength == 0 {
		cfg.MaxPDULength = DefaultMaxPDULength
	}
	if cfg.ImplementationClassUID == "" {
		cfg.ImplementationClassUID = DefaultImplementationClassUID
	}
	if cfg.ImplementationVersionName == "" {
		cfg.ImplementationVersionName = DefaultImplementationVersionName
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dicomnet: dial %s: %w", addr, err)
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	a := &Association{nc: nc, c: newULConn(nc, cfg.MaxPDULength), log: log.With("component", "dicom_scu", "remote", addr)}
	if err := a.associate(ctx, cfg); err != nil {
		_ = nc.Close()
		return nil, fmt.Errorf("dicomnet: dial %s: %w", addr, err)
	}
	return a, nil
}

func (a *Association) associate(ctx context.Context, cfg ClientConfig) error {
	stop := a.bindContext(ctx)
	defer stop()
	rq := &AssociateRQ{
		ProtocolVersion:    1,
		CalledAE:           cfg.CalledAE,
		CallingAE:          cfg.CallingAE,
		ApplicationContext: ApplicationContextName,
		UserInfo: UserInfo{MaxPDULength: cfg.MaxPDULength, ImplementationClassUID: cfg.ImplementationClassUID,
			ImplementationVersionName: cfg.ImplementationVersionName},
	}
	for i, pc := range cfg.Contexts {
		rq.PresentationContexts = append(rq.PresentationContexts,
			PresentationContextRQ{ID: byte(2*i + 1), AbstractSyntax: pc.AbstractSyntax, TransferSyntaxes: pc.TransferSyntaxes})
	}
	if err := a.c.writePDU(rq); err != nil {
		return fmt.Errorf("send a-associate-rq: %w", err)
	}
	t, body, err := a.c.readPDU()
	if err != nil {
		return fmt.Errorf("read a-associate response: %w", err)
	}
	p, err := decodeBody(t, body)
	if err != nil {
		return err
	}
	switch p := p.(type) {
	case *AssociateAC:
		byID := map[byte]string{}
		for _, pc := range rq.PresentationContexts {
			byID[pc.ID] = pc.AbstractSyntax
		}
		for _, pc := range p.PresentationContexts {
			if as, ok := byID[pc.ID]; ok && pc.Result == ResultAcceptance {
				a.accepted = append(a.accepted, AcceptedContext{ID: pc.ID, AbstractSyntax: as, TransferSyntax: pc.TransferSyntax})
			}
		}
		a.peer = p.UserInfo
		a.c.maxSend = p.UserInfo.MaxPDULength
		return nil
	case *AssociateRJ:
		return &RejectError{Result: p.Result, Source: p.Source, Reason: p.Reason}
	case *Abort:
		return &AbortError{Source: p.Source, Reason: p.Reason}
	}
	_ = a.c.writePDU(&Abort{Source: AbortSourceProvider, Reason: AbortReasonUnexpectedPDU})
	return fmt.Errorf("dicomnet: unexpected %v in answer to a-associate-rq", p.Type())
}

// bindContext applies ctx's deadline and cancellation to the connection.
func (a *Association) bindContext(ctx context.Context) (stop func()) {
	dl, _ := ctx.Deadline()
	_ = a.nc.SetDeadline(dl)
	cancel := context.AfterFunc(ctx, func() { _ = a.nc.SetDeadline(pastDeadline) })
	return func() { cancel() }
}

// AcceptedContexts lists the presentation contexts the SCP accepted.
func (a *Association) AcceptedContexts() []AcceptedContext {
	return append([]AcceptedContext(nil), a.accepted...)
}

// PeerMaxPDULength is the maximum PDU length the SCP advertised (0 = unlimited).
func (a *Association) PeerMaxPDULength() uint32 { return a.peer.MaxPDULength }

// PeerImplementation returns the SCP's implementation class UID and version name.
func (a *Association) PeerImplementation() (classUID, versionName string) {
	return a.peer.ImplementationClassUID, a.peer.ImplementationVersionName
}

func (a *Association) findContext(abstract, ts string) (AcceptedContext, bool) {
	for _, pc := range a.accepted {
		if pc.AbstractSyntax == abstract && (ts == "" || pc.TransferSyntax == ts) {
			return pc, true
		}
	}
	return AcceptedContext{}, false
}

// Echo sends a C-ECHO-RQ and waits for a successful C-ECHO-RSP.
func (a *Association) Echo(ctx context.Context) error {
	pc, ok := a.findContext(VerificationSOPClass, "")
	if !ok {
		return fmt.Errorf("dicomnet: echo: %w for verification", ErrNoContext)
	}
	rsp, err := a.roundTrip(ctx, pc.ID, &Command{Field: CEchoRQ, AffectedSOPClassUID: VerificationSOPClass}, nil, CEchoRSP)
	if err != nil {
		return fmt.Errorf("dicomnet: echo: %w", err)
	}
	if rsp.Status != StatusSuccess {
		return fmt.Errorf("dicomnet: echo: status %v", Status{Code: rsp.Status, Comment: rsp.ErrorComment})
	}
	return nil
}

// Store sends one C-STORE-RQ with dataset (encoded in transferSyntax; empty
// picks any accepted context for sopClass) and returns the SCP's status.
func (a *Association) Store(ctx context.Context, sopClass, sopInstance, transferSyntax string, dataset []byte) (Status, error) {
	pc, ok := a.findContext(sopClass, transferSyntax)
	if !ok {
		return Status{}, fmt.Errorf("dicomnet: store %s: %w for %s %s", sopInstance, ErrNoContext, SOPClassName(sopClass), transferSyntax)
	}
	cmd := &Command{Field: CStoreRQ, AffectedSOPClassUID: sopClass, AffectedSOPInstanceUID: sopInstance,
		Priority: PriorityMedium, HasDataSet: true}
	rsp, err := a.roundTrip(ctx, pc.ID, cmd, dataset, CStoreRSP)
	if err != nil {
		return Status{}, fmt.Errorf("dicomnet: store %s: %w", sopInstance, err)
	}
	return Status{Code: rsp.Status, Comment: rsp.ErrorComment}, nil
}

// roundTrip sends one request and reads its response. Any transport or
// protocol failure leaves the association closed.
func (a *Association) roundTrip(ctx context.Context, ctxID byte, cmd *Command, data []byte, want uint16) (*Command, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil, ErrAssociationClosed
	}
	stop := a.bindContext(ctx)
	defer stop()
	a.msgID++
	cmd.MessageID = a.msgID
	if err := a.c.writeMessage(ctxID, cmd, data); err != nil {
		a.fail()
		return nil, fmt.Errorf("send request: %w", ctxErr(ctx, err))
	}
	for {
		msg, ctl, err := a.c.readMessage(1<<20, nil, nil)
		if err != nil {
			a.failWith(err)
			return nil, fmt.Errorf("read response: %w", ctxErr(ctx, err))
		}
		if ctl != nil {
			a.fail()
			if ab, ok := ctl.(*Abort); ok {
				return nil, &AbortError{Source: ab.Source, Reason: ab.Reason}
			}
			return nil, fmt.Errorf("dicomnet: unexpected %v while awaiting a response", ctl.Type())
		}
		if msg.cmd.Field == want && msg.cmd.MessageIDBeingRespondedTo == cmd.MessageID {
			return msg.cmd, nil
		}
		a.log.Warn("ignoring unexpected dimse message", "command_field", fmt.Sprintf("0x%04X", msg.cmd.Field))
	}
}

// ctxErr attributes an I/O failure to ctx when ctx caused it. The socket
// deadline can fire a moment before ctx records its own expiry.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%w)", ctx.Err(), err)
	}
	if dl, ok := ctx.Deadline(); ok && isTimeout(err) && !time.Now().Before(dl) {
		return fmt.Errorf("%w (%w)", context.DeadlineExceeded, err)
	}
	return err
}

// failWith aborts for protocol errors and closes.
func (a *Association) failWith(err error) {
	var pe *ProtocolError
	if errors.As(err, &pe) {
		_ = a.nc.SetWriteDeadline(time.Now().Add(time.Second))
		_ = a.c.writePDU(&Abort{Source: AbortSourceProvider, Reason: pe.Reason})
	}
	a.fail()
}

func (a *Association) fail() {
	a.closed = true
	_ = a.nc.Close()
}

// Release performs an orderly A-RELEASE and closes the connection.
func (a *Association) Release() error {
	return a.ReleaseContext(context.Background())
}

// ReleaseContext is Release bounded by ctx (30 s when ctx has no deadline).
func (a *Association) ReleaseContext(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return ErrAssociationClosed
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
	}
	stop := a.bindContext(ctx)
	defer stop()
	defer a.fail()
	if err := a.c.writePDU(&ReleaseRQ{}); err != nil {
		return fmt.Errorf("dicomnet: release: %w", err)
	}
	for {
		t, body, err := a.c.readPDU()
		if err != nil {
			return fmt.Errorf("dicomnet: release: %w", err)
		}
		switch t {
		case TypeReleaseRP:
			return nil
		case TypeReleaseRQ: // release collision: answer and keep waiting for our RP
			if err := a.c.writePDU(&ReleaseRP{}); err != nil {
				return fmt.Errorf("dicomnet: release: %w", err)
			}
		case TypeAbort:
			p, err := decodeBody(t, body)
			if err != nil {
				return fmt.Errorf("dicomnet: release: %w", err)
			}
			ab := p.(*Abort)
			return fmt.Errorf("dicomnet: release: %w", &AbortError{Source: ab.Source, Reason: ab.Reason})
		case TypePDataTF: // Sta7 may still receive P-DATA; discard it
		default:
			return fmt.Errorf("dicomnet: release: unexpected %v", t)
		}
	}
}

// Abort sends an A-ABORT (source service-user) and closes the connection.
func (a *Association) Abort() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return ErrAssociationClosed
	}
	defer a.fail()
	_ = a.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := a.c.writePDU(&Abort{Source: AbortSourceUser, Reason: AbortReasonNotSpecified}); err != nil {
		return fmt.Errorf("dicomnet: abort: %w", err)
	}
	return nil
}
