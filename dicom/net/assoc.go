package net

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"
)

// association is the SCP side of one connection. It follows the PS3.8
// state machine in straight-line code:
//
//	Sta2  transport open, ARTIM running, awaiting A-ASSOCIATE-RQ
//	Sta6  established: DIMSE messages, A-RELEASE-RQ, A-ABORT
//	Sta13 after our A-ASSOCIATE-RJ, A-RELEASE-RP or A-ABORT: await close (ARTIM)
type association struct {
	s      *Server
	nc     net.Conn
	c      *ulConn
	log    *slog.Logger
	remote string
	rq     *AssociateRQ
	ctxs   [256]acceptedContext
	// dataBuf is the previous data set's buffer, kept for the next one when
	// ServerConfig.ReuseDatasetBuffers says handlers do not retain it.
	dataBuf []byte

	mu       sync.Mutex
	busy     bool // a message is being received or handled
	shutdown bool // the server is shutting down
	counted  bool // counted in Server.active
}

var pastDeadline = time.Unix(1, 0)

// maxReusedBuffer bounds the data set buffer an association keeps between messages.
const maxReusedBuffer = 64 << 20

// beginShutdown asks the association to end at its next message boundary.
// An association waiting for its next message is woken at once.
func (a *association) beginShutdown() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.shutdown = true
	if !a.busy {
		_ = a.nc.SetReadDeadline(pastDeadline)
	}
}

// idle marks a message boundary and arms the idle timer; false when shutting down.
func (a *association) idle() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.busy = false
	if a.shutdown {
		return false
	}
	_ = a.nc.SetReadDeadline(time.Now().Add(a.s.cfg.IdleTimeout))
	return true
}

// started marks the first PDU of a message: from now on shutdown waits for the message to be answered.
func (a *association) started() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.busy = true
	// Undo a shutdown wake-up that raced with the arrival of this message.
	_ = a.nc.SetReadDeadline(time.Now().Add(a.s.cfg.IdleTimeout))
}

// uncount removes the association from the active count, once.
func (a *association) uncount() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.counted {
		a.counted = false
		a.s.active.Add(-1)
	}
}

// lingerClose ends the association after our last PDU: it no longer counts
// against MaxAssociations, and the wait for the peer's close is cut short by
// a shutdown.
func (a *association) lingerClose(d time.Duration) {
	a.uncount()
	a.mu.Lock()
	a.busy = false
	if a.shutdown {
		d = min(d, 100*time.Millisecond)
	}
	// Under the lock, so that a concurrent beginShutdown's wake-up is not overwritten.
	_ = a.nc.SetReadDeadline(time.Now().Add(d))
	a.mu.Unlock()
	lingerClose(a.nc)
}

func (a *association) isShutdown() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.shutdown
}

func (s *Server) serveConn(nc net.Conn) {
	id := s.nextID.Add(1)
	a := &association{s: s, nc: nc, remote: nc.RemoteAddr().String()}
	a.log = s.log.With("assoc", id, "remote", a.remote)
	if !s.hostAllowed(nc.RemoteAddr()) {
		s.rejected.Add(1)
		a.log.Warn("connection from a host not in the allow-list closed")
		_ = nc.Close()
		return
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	if !s.register(a) {
		_ = nc.Close()
		return
	}
	defer s.unregister(a)
	active := s.active.Add(1)
	a.counted = true
	defer a.uncount()
	a.c = newULConn(nc, s.cfg.MaxPDULength)
	a.c.readTimeout = s.cfg.IdleTimeout
	if !a.establish(active > int64(s.cfg.MaxAssociations)) {
		return
	}
	a.serve()
}

// establish runs Sta2: read the A-ASSOCIATE-RQ within ARTIM and answer it.
func (a *association) establish(overLimit bool) bool {
	s := a.s
	a.mu.Lock()
	if a.shutdown {
		a.mu.Unlock()
		_ = a.nc.Close()
		return false
	}
	_ = a.nc.SetReadDeadline(time.Now().Add(s.cfg.ARTIMTimeout))
	a.mu.Unlock()
	t, body, err := a.c.readPDU()
	if err != nil {
		switch {
		case isTimeout(err):
			a.log.Info("no a-associate-rq before artim expiry; closing", "artim", s.cfg.ARTIMTimeout)
			s.aborted.Add(1)
			_ = a.nc.Close()
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed):
			a.log.Debug("connection closed before a-associate-rq")
			_ = a.nc.Close()
		default:
			a.abort(err)
		}
		return false
	}
	if t != TypeAssociateRQ {
		a.abort(protoErr(AbortReasonUnexpectedPDU, "%v before a-associate-rq", t))
		return false
	}
	p, err := decodeBody(t, body)
	if err != nil {
		a.abort(err)
		return false
	}
	rq := p.(*AssociateRQ)
	a.rq = rq
	a.log = a.log.With("calling_ae", rq.CallingAE, "called_ae", rq.CalledAE)
	n := s.negotiate(rq, overLimit)
	if n.rj != nil {
		s.rejected.Add(1)
		a.log.Warn("association rejected", "reason", n.why, "result", n.rj.Result, "source", n.rj.Source, "reason_code", n.rj.Reason)
		if err := a.c.writePDU(n.rj); err != nil {
			a.log.Debug("send a-associate-rj failed", "err", err)
		}
		a.lingerClose(s.cfg.ARTIMTimeout)
		return false
	}
	a.ctxs = n.contexts
	a.c.maxSend = rq.UserInfo.MaxPDULength
	if err := a.c.writePDU(n.ac); err != nil {
		a.log.Warn("send a-associate-ac failed", "err", err)
		_ = a.nc.Close()
		return false
	}
	s.accepted.Add(1)
	nAcc := 0
	for _, pc := range n.ac.PresentationContexts {
		if pc.Result == ResultAcceptance {
			nAcc++
		}
	}
	a.log.Info("association accepted", "contexts_proposed", len(rq.PresentationContexts), "contexts_accepted", nAcc,
		"peer_max_pdu", rq.UserInfo.MaxPDULength, "peer_impl", rq.UserInfo.ImplementationVersionName)
	return true
}

// serve runs Sta6 until release, abort, timeout or shutdown.
func (a *association) serve() {
	s := a.s
	for {
		if !a.idle() {
			a.log.Info("aborting association for server shutdown")
			a.sendAbort(AbortSourceUser, AbortReasonNotSpecified)
			return
		}
		msg, ctl, err := a.c.readMessage(s.cfg.MaxDatasetBytes, a.started, a.dataBuf)
		if err != nil {
			switch {
			case isTimeout(err) && a.isShutdown():
				a.log.Info("aborting association for server shutdown")
				a.sendAbort(AbortSourceUser, AbortReasonNotSpecified)
			case isTimeout(err):
				a.log.Warn("association idle timeout; aborting", "idle_timeout", s.cfg.IdleTimeout)
				a.sendAbort(AbortSourceUser, AbortReasonNotSpecified)
			case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) || isConnError(err):
				s.aborted.Add(1)
				a.log.Warn("peer closed the connection without release", "err", err)
				_ = a.nc.Close()
			default:
				a.abort(err)
			}
			return
		}
		if ctl != nil {
			switch p := ctl.(type) {
			case *ReleaseRQ:
				if err := a.c.writePDU(&ReleaseRP{}); err != nil {
					a.log.Debug("send a-release-rp failed", "err", err)
				}
				a.log.Info("association released")
				a.lingerClose(s.cfg.ARTIMTimeout)
			case *Abort:
				s.aborted.Add(1)
				a.log.Warn("association aborted by peer", "source", p.Source, "reason", p.Reason)
				_ = a.nc.Close()
			default:
				a.abort(protoErr(AbortReasonUnexpectedPDU, "%v on an established association", ctl.Type()))
			}
			return
		}
		if err := a.handle(msg); err != nil {
			a.abort(err)
			return
		}
		if s.cfg.ReuseDatasetBuffers && msg.data != nil && cap(msg.data) <= maxReusedBuffer {
			a.dataBuf = msg.data[:0]
		}
	}
}

// handle answers one DIMSE message; an error aborts the association.
func (a *association) handle(msg *message) error {
	pc := a.ctxs[msg.ctxID]
	if !pc.ok {
		return protoErr(AbortReasonInvalidParameter, "message on presentation context %d, which was not accepted", msg.ctxID)
	}
	cmd := msg.cmd
	switch {
	case cmd.Field == CEchoRQ:
		a.s.echoes.Add(1)
		a.log.Debug("c-echo")
		return a.respond(msg.ctxID, &Command{Field: CEchoRSP, MessageIDBeingRespondedTo: cmd.MessageID,
			AffectedSOPClassUID: VerificationSOPClass, Status: StatusSuccess})
	case cmd.Field == CStoreRQ:
		st := a.store(msg, pc)
		return a.respond(msg.ctxID, &Command{Field: CStoreRSP, MessageIDBeingRespondedTo: cmd.MessageID,
			AffectedSOPClassUID: cmd.AffectedSOPClassUID, AffectedSOPInstanceUID: cmd.AffectedSOPInstanceUID,
			Status: st.Code, ErrorComment: commentFor(st)})
	case cmd.IsResponse() || cmd.Field == CCancelRQ:
		a.log.Warn("ignoring unexpected dimse message", "command_field", fmt.Sprintf("0x%04X", cmd.Field))
		return nil
	default:
		a.log.Warn("unsupported dimse operation", "command_field", fmt.Sprintf("0x%04X", cmd.Field))
		return a.respond(msg.ctxID, &Command{Field: cmd.Field | responseBit, MessageIDBeingRespondedTo: cmd.MessageID,
			AffectedSOPClassUID: cmd.AffectedSOPClassUID, Status: StatusUnrecognizedOperation})
	}
}

func commentFor(st Status) string {
	if st.IsSuccess() {
		return ""
	}
	return st.Comment
}

func (a *association) respond(ctxID byte, rsp *Command) error {
	// A peer that stops reading must not hold the association forever.
	_ = a.nc.SetWriteDeadline(time.Now().Add(a.s.cfg.IdleTimeout))
	if err := a.c.writeMessage(ctxID, rsp, nil); err != nil {
		return fmt.Errorf("send response: %w", err)
	}
	return nil
}

// store validates one C-STORE-RQ and passes it to the handler.
func (a *association) store(msg *message, pc acceptedContext) (st Status) {
	s, cmd := a.s, msg.cmd
	s.bytesRcv.Add(uint64(msg.dataBytes))
	defer func() {
		if st.IsSuccess() || st.IsWarning() {
			s.storesOK.Add(1)
		} else {
			s.storesFailed.Add(1)
			a.log.Warn("c-store failed", "sop_class", SOPClassName(cmd.AffectedSOPClassUID), "status", st.String())
		}
	}()
	switch {
	case !cmd.HasDataSet:
		return Status{Code: StatusCannotUnderstand, Comment: "c-store-rq without a data set"}
	case cmd.AffectedSOPClassUID == "" || cmd.AffectedSOPInstanceUID == "":
		return Status{Code: StatusCannotUnderstand, Comment: "missing affected sop class or instance uid"}
	case msg.overflow:
		return Status{Code: StatusOutOfResources, Comment: fmt.Sprintf("data set over %d bytes", s.cfg.MaxDatasetBytes)}
	case cmd.AffectedSOPClassUID != pc.abstractSyntax:
		return Status{Code: StatusSOPClassNotSupported, Comment: "sop class not negotiated on this presentation context"}
	}
	req := &StoreRequest{
		CallingAE: a.rq.CallingAE, CalledAE: a.rq.CalledAE, RemoteAddr: a.remote,
		SOPClassUID: cmd.AffectedSOPClassUID, SOPInstanceUID: cmd.AffectedSOPInstanceUID,
		TransferSyntaxUID: pc.transferSyntax, MessageID: cmd.MessageID, Priority: cmd.Priority,
		MoveOriginatorAE: cmd.MoveOriginatorAE, MoveOriginatorMessageID: cmd.MoveOriginatorMessageID,
		Dataset: msg.data,
	}
	start := time.Now()
	st = a.callHandler(req)
	a.log.Debug("c-store", "sop_class", SOPClassName(req.SOPClassUID), "sop_instance", req.SOPInstanceUID,
		"bytes", len(req.Dataset), "status", st.String(), "duration", time.Since(start))
	return st
}

func (a *association) callHandler(req *StoreRequest) (st Status) {
	defer func() {
		if r := recover(); r != nil {
			a.log.Error("store handler panicked", "panic", fmt.Sprint(r))
			st = Status{Code: StatusProcessingFailure, Comment: "internal error"}
		}
	}()
	return a.s.h.Store(a.s.baseCtx, req)
}

// abort sends an A-ABORT for err (provider-initiated for protocol errors) and closes.
func (a *association) abort(err error) {
	reason := AbortReasonNotSpecified
	var pe *ProtocolError
	switch {
	case errors.As(err, &pe):
		reason = pe.Reason
	case errors.Is(err, ErrPDUTooLarge), errors.Is(err, ErrBadCommand):
		reason = AbortReasonInvalidParameter
	}
	a.log.Warn("aborting association", "err", err, "abort_reason", reason)
	a.sendAbort(AbortSourceProvider, reason)
}

func (a *association) sendAbort(source, reason byte) {
	a.s.aborted.Add(1)
	_ = a.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := a.c.writePDU(&Abort{Source: source, Reason: reason}); err != nil {
		a.log.Debug("send a-abort failed", "err", err)
	}
	a.lingerClose(min(a.s.cfg.ARTIMTimeout, time.Second))
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// isConnError reports a transport failure such as a reset by the peer.
func isConnError(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && !oe.Timeout()
}
