package net

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Defaults applied by NewServer to zero ServerConfig fields.
const (
	DefaultMaxPDULength    = 256 << 10
	DefaultMaxDatasetBytes = 1 << 30
	DefaultARTIMTimeout    = 30 * time.Second
	DefaultIdleTimeout     = 5 * time.Minute
	DefaultMaxAssociations = 64

	// DefaultImplementationClassUID is a 2.25 (UUID-derived) UID, needing no registered root.
	DefaultImplementationClassUID    = "2.25.323505301558946477172638299694404622866"
	DefaultImplementationVersionName = "LINGSHU_EDGE"
)

// StoreRequest is one received C-STORE. Dataset holds the data set exactly as
// received, in TransferSyntaxUID, without file meta information; it belongs
// to the handler unless ServerConfig.ReuseDatasetBuffers is set, in which
// case it is valid only until Store returns.
type StoreRequest struct {
	CallingAE, CalledAE, RemoteAddr string
	SOPClassUID, SOPInstanceUID     string
	TransferSyntaxUID               string
	MessageID                       uint16
	Priority                        uint16
	MoveOriginatorAE                string // set when the store is a sub-operation of a C-MOVE
	MoveOriginatorMessageID         uint16
	Dataset                         []byte
}

// StoreHandler makes received instances durable. Store is called once per
// C-STORE; the C-STORE-RSP carries the returned status and is sent only after
// Store returns. Store may be called concurrently from several associations.
type StoreHandler interface {
	Store(ctx context.Context, req *StoreRequest) Status
}

// StoreFunc adapts a function to StoreHandler.
type StoreFunc func(ctx context.Context, req *StoreRequest) Status

// Store calls f.
func (f StoreFunc) Store(ctx context.Context, req *StoreRequest) Status { return f(ctx, req) }

// ServerConfig configures the SCP. Zero values take the Default* constants.
type ServerConfig struct {
	AETitle                   string   // called AE title we answer to; empty accepts any
	AllowedCallingAETitles    []string // empty allows every calling AE
	AllowedHosts              []string // IPs or CIDRs; empty allows every host; others are closed at once
	MaxPDULength              uint32   // advertised; a larger P-DATA-TF from the peer is aborted
	MaxDatasetBytes           int64    // larger data sets are drained and answered 0xA700
	ARTIMTimeout              time.Duration
	IdleTimeout               time.Duration
	MaxAssociations           int
	ImplementationClassUID    string
	ImplementationVersionName string
	Logger                    *slog.Logger
	// ReuseDatasetBuffers lets an association receive the next data set into
	// the previous one's buffer, saving an allocation and page faults per
	// instance. Set it only when the handler never keeps StoreRequest.Dataset
	// (or a sub-slice) after Store returns.
	ReuseDatasetBuffers bool
}

// Stats is a snapshot of the server counters.
type Stats struct {
	AssociationsAccepted uint64 // A-ASSOCIATE-AC sent
	AssociationsRejected uint64 // A-ASSOCIATE-RJ sent, or closed by the host allow-list
	AssociationsAborted  uint64 // ended by an A-ABORT either way, a timeout or a dropped connection
	ActiveAssociations   int64  // connections being served now
	Echoes               uint64
	StoresOK             uint64 // success or warning
	StoresFailed         uint64
	BytesReceived        uint64 // data set bytes of C-STORE requests
}

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("dicomnet: server closed")

// Server is a C-ECHO/C-STORE SCP. One goroutine serves each association.
type Server struct {
	cfg            ServerConfig
	h              StoreHandler
	log            *slog.Logger
	allowedHosts   []netip.Prefix
	allowedCalling map[string]bool

	baseCtx    context.Context
	cancelBase context.CancelFunc

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	assocs    map[*association]struct{}
	closing   bool
	wg        sync.WaitGroup

	nextID                                   atomic.Uint64
	active                                   atomic.Int64
	accepted, rejected, aborted              atomic.Uint64
	echoes, storesOK, storesFailed, bytesRcv atomic.Uint64
}

// NewServer validates cfg, fills defaults and returns a server that calls h for every C-STORE.
func NewServer(cfg ServerConfig, h StoreHandler) (*Server, error) {
	if h == nil {
		return nil, errors.New("dicomnet: new server: nil store handler")
	}
	if cfg.AETitle != "" && !ValidAETitle(cfg.AETitle) {
		return nil, fmt.Errorf("dicomnet: new server: invalid ae title %q", cfg.AETitle)
	}
	cfg.AETitle = strings.TrimSpace(cfg.AETitle)
	s := &Server{h: h, listeners: map[net.Listener]struct{}{}, assocs: map[*association]struct{}{}}
	if len(cfg.AllowedCallingAETitles) > 0 {
		s.allowedCalling = make(map[string]bool, len(cfg.AllowedCallingAETitles))
		for _, ae := range cfg.AllowedCallingAETitles {
			if !ValidAETitle(ae) {
				return nil, fmt.Errorf("dicomnet: new server: invalid allowed calling ae title %q", ae)
			}
			s.allowedCalling[strings.TrimSpace(ae)] = true
		}
	}
	for _, h := range cfg.AllowedHosts {
		p, err := parseHost(h)
		if err != nil {
			return nil, fmt.Errorf("dicomnet: new server: allowed host %q: %w", h, err)
		}
		s.allowedHosts = append(s.allowedHosts, p)
	}
	if cfg.MaxPDULength == 0 {
		cfg.MaxPDULength = DefaultMaxPDULength
	}
	if cfg.MaxPDULength < 1024 {
		return nil, fmt.Errorf("dicomnet: new server: max pdu length %d below 1024", cfg.MaxPDULength)
	}
	if cfg.MaxDatasetBytes <= 0 {
		cfg.MaxDatasetBytes = DefaultMaxDatasetBytes
	}
	if cfg.ARTIMTimeout <= 0 {
		cfg.ARTIMTimeout = DefaultARTIMTimeout
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.MaxAssociations <= 0 {
		cfg.MaxAssociations = DefaultMaxAssociations
	}
	if cfg.ImplementationClassUID == "" {
		cfg.ImplementationClassUID = DefaultImplementationClassUID
	}
	if !ValidUID(cfg.ImplementationClassUID) {
		return nil, fmt.Errorf("dicomnet: new server: invalid implementation class uid %q", cfg.ImplementationClassUID)
	}
	if cfg.ImplementationVersionName == "" {
		cfg.ImplementationVersionName = DefaultImplementationVersionName
	}
	if len(cfg.ImplementationVersionName) > 16 {
		return nil, fmt.Errorf("dicomnet: new server: implementation version name %q over 16 characters", cfg.ImplementationVersionName)
	}
	s.log = cfg.Logger
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "dicom_scp")
	s.cfg = cfg
	s.baseCtx, s.cancelBase = context.WithCancel(context.Background())
	return s, nil
}

func parseHost(h string) (netip.Prefix, error) {
	h = strings.TrimSpace(h)
	if strings.Contains(h, "/") {
		p, err := netip.ParsePrefix(h)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(h)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

// Config returns the effective configuration (defaults filled in).
func (s *Server) Config() ServerConfig { return s.cfg }

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	return Stats{
		AssociationsAccepted: s.accepted.Load(),
		AssociationsRejected: s.rejected.Load(),
		AssociationsAborted:  s.aborted.Load(),
		ActiveAssociations:   s.active.Load(),
		Echoes:               s.echoes.Load(),
		StoresOK:             s.storesOK.Load(),
		StoresFailed:         s.storesFailed.Load(),
		BytesReceived:        s.bytesRcv.Load(),
	}
}

// Serve accepts connections on l until Shutdown, serving each in its own goroutine.
// It returns ErrServerClosed after Shutdown, or the listener's error.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		_ = l.Close()
		return ErrServerClosed
	}
	s.listeners[l] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
	}()
	var backoff time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closing := s.closing
			s.mu.Unlock()
			if closing {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscall.EMFILE) {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log.Warn("accept failed; retrying", "err", err, "backoff", backoff)
				time.Sleep(backoff)
				continue
			}
			return fmt.Errorf("dicomnet: accept: %w", err)
		}
		backoff = 0
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serveConn(nc)
		}()
	}
}

// Shutdown stops accepting, lets in-flight C-STOREs finish and be answered,
// then aborts each association at its next message boundary. When ctx ends
// first, handlers' contexts are cancelled, connections are closed and
// ctx.Err() is returned.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	for l := range s.listeners {
		_ = l.Close()
	}
	for a := range s.assocs {
		a.beginShutdown()
	}
	s.mu.Unlock()

	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		s.cancelBase()
		return nil
	case <-ctx.Done():
		s.cancelBase()
		s.mu.Lock()
		for a := range s.assocs {
			_ = a.nc.Close()
		}
		s.mu.Unlock()
		return fmt.Errorf("dicomnet: shutdown: %w", ctx.Err())
	}
}

// register adds a to the live set; false when the server is shutting down.
func (s *Server) register(a *association) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.assocs[a] = struct{}{}
	return true
}

func (s *Server) unregister(a *association) {
	s.mu.Lock()
	delete(s.assocs, a)
	s.mu.Unlock()
}

func (s *Server) hostAllowed(addr net.Addr) bool {
	if len(s.allowedHosts) == 0 {
		return true
	}
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return false
	}
	ip := ap.Addr().Unmap()
	for _, p := range s.allowedHosts {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
