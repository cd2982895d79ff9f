package net

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"testing"
	"time"
)

// memStore is an in-memory StoreHandler.
type memStore struct {
	mu     sync.Mutex
	items  map[string]StoreRequest
	calls  int
	status func(*StoreRequest) Status // nil: success
}

func newMemStore() *memStore { return &memStore{items: map[string]StoreRequest{}} }

func (m *memStore) Store(_ context.Context, req *StoreRequest) Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.status != nil {
		if st := m.status(req); !st.IsSuccess() {
			return st
		}
	}
	m.items[req.SOPInstanceUID] = *req
	return Status{Code: StatusSuccess}
}

func (m *memStore) get(uid string) (StoreRequest, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.items[uid]
	return r, ok
}

func (m *memStore) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.items)
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("DICOMNET_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return nil
}

// startServer serves on a free loopback port and shuts down at cleanup.
func startServer(t testing.TB, cfg ServerConfig, h StoreHandler) (*Server, string) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	s, err := NewServer(cfg, h)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-served; !errors.Is(err, ErrServerClosed) {
			t.Errorf("serve returned %v", err)
		}
	})
	return s, l.Addr().String()
}

var allTS = []string{"1.2.840.10008.1.2.1", "1.2.840.10008.1.2"}

func ctContexts() []ProposedContext {
	return []ProposedContext{
		{VerificationSOPClass, []string{"1.2.840.10008.1.2"}},
		{CTImageStorage, allTS},
	}
}

func dial(t testing.TB, addr string, cfg ClientConfig) *Association {
	t.Helper()
	if cfg.CallingAE == "" {
		cfg.CallingAE = "TESTSCU"
	}
	if cfg.CalledAE == "" {
		cfg.CalledAE = "LINGSHU"
	}
	if cfg.Contexts == nil {
		cfg.Contexts = ctContexts()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a, err := Dial(ctx, addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func tctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func pattern(n, seed int) []byte {
	b := make([]byte, n)
	x := uint32(seed*2654435761 + 1)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// echoWorks checks that a fresh association on addr still answers C-ECHO.
func echoWorks(t testing.TB, addr string) {
	t.Helper()
	a := dial(t, addr, ClientConfig{})
	if err := a.Echo(tctx(t)); err != nil {
		t.Fatalf("echo on a fresh association: %v", err)
	}
	if err := a.Release(); err != nil {
		t.Fatalf("release: %v", err)
	}
}

// rawConn is a byte-level peer for protocol tests.
type rawConn struct {
	t  testing.TB
	nc net.Conn
}

func rawDial(t testing.TB, addr string) *rawConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawConn{t: t, nc: nc}
}

func (r *rawConn) send(b []byte) {
	r.t.Helper()
	if _, err := r.nc.Write(b); err != nil {
		r.t.Fatalf("raw write: %v", err)
	}
}

func (r *rawConn) sendPDU(p PDU) {
	r.t.Helper()
	b, err := EncodePDU(p)
	if err != nil {
		r.t.Fatal(err)
	}
	r.send(b)
}

// recv reads one PDU (nil, err on EOF or timeout).
func (r *rawConn) recv(timeout time.Duration) (PDU, error) {
	_ = r.nc.SetReadDeadline(time.Now().Add(timeout))
	t, body, _, err := readPDU(r.nc, nil, 1<<24, 1<<24)
	if err != nil {
		return nil, err
	}
	return decodeBody(t, body)
}

// expectClosed asserts the server closes the connection (EOF, not a timeout).
func (r *rawConn) expectClosed(timeout time.Duration) {
	r.t.Helper()
	_ = r.nc.SetReadDeadline(time.Now().Add(timeout))
	var buf [512]byte
	for {
		_, err := r.nc.Read(buf[:])
		if err == nil {
			continue
		}
		if isTimeout(err) {
			r.t.Fatalf("connection still open after %v", timeout)
		}
		return
	}
}

// associate performs a valid A-ASSOCIATE exchange for ctContexts.
func (r *rawConn) associate(maxPDU uint32) *AssociateAC {
	r.t.Helper()
	rq := &AssociateRQ{ProtocolVersion: 1, CalledAE: "LINGSHU", CallingAE: "RAW", ApplicationContext: ApplicationContextName,
		PresentationContexts: []PresentationContextRQ{
			{ID: 1, AbstractSyntax: VerificationSOPClass, TransferSyntaxes: []string{"1.2.840.10008.1.2"}},
			{ID: 3, AbstractSyntax: CTImageStorage, TransferSyntaxes: allTS},
		},
		UserInfo: UserInfo{MaxPDULength: maxPDU}}
	r.sendPDU(rq)
	p, err := r.recv(5 * time.Second)
	if err != nil {
		r.t.Fatal(err)
	}
	ac, ok := p.(*AssociateAC)
	if !ok {
		r.t.Fatalf("got %#v, want A-ASSOCIATE-AC", p)
	}
	return ac
}

// pdata builds a P-DATA-TF PDU with one PDV.
func pdata(ctxID byte, command, last bool, data []byte) []byte {
	b, _ := EncodePDU(&PDataTF{PDVs: []PDV{{ContextID: ctxID, Command: command, Last: last, Data: data}}})
	return b
}

func storeRQ(msgID uint16, sopClass, sopInstance string) []byte {
	return EncodeCommand(&Command{Field: CStoreRQ, MessageID: msgID, AffectedSOPClassUID: sopClass,
		AffectedSOPInstanceUID: sopInstance, HasDataSet: true})
}

// recvResponse reads P-DATA until one whole command set has arrived.
func (r *rawConn) recvResponse() *Command {
	r.t.Helper()
	var cmd []byte
	for {
		p, err := r.recv(5 * time.Second)
		if err != nil {
			r.t.Fatalf("awaiting response: %v", err)
		}
		pd, ok := p.(*PDataTF)
		if !ok {
			r.t.Fatalf("awaiting response: got %v", p.Type())
		}
		for _, v := range pd.PDVs {
			cmd = append(cmd, v.Data...)
			if v.Last {
				c, err := DecodeCommand(cmd)
				if err != nil {
					r.t.Fatal(err)
				}
				return c
			}
		}
	}
}

func wantAbort(t testing.TB, p PDU, err error, source, reason byte) {
	t.Helper()
	if err != nil {
		t.Fatalf("want A-ABORT, got error %v", err)
	}
	ab, ok := p.(*Abort)
	if !ok {
		t.Fatalf("want A-ABORT, got %#v", p)
	}
	if ab.Source != source || ab.Reason != reason {
		t.Fatalf("A-ABORT source %d reason %d, want %d %d", ab.Source, ab.Reason, source, reason)
	}
}

func sameBytes(t testing.TB, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: %d bytes differ from the %d sent", what, len(got), len(want))
	}
}

func uid(i int) string { return fmt.Sprintf("1.2.826.0.1.3680043.9999.%d", i) }

func listenLoopback(t testing.TB) (net.Listener, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, l.Addr().String()
}

func (m *memStore) handlerCalls() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls
}
