package net

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestServer_Echo(t *testing.T) {
	s, addr := startServer(t, ServerConfig{AETitle: "LINGSHU"}, newMemStore())
	a := dial(t, addr, ClientConfig{})
	for i := 0; i < 3; i++ {
		if err := a.Echo(tctx(t)); err != nil {
			t.Fatal(err)
		}
	}
	if cls, ver := a.PeerImplementation(); cls != DefaultImplementationClassUID || ver != DefaultImplementationVersionName {
		t.Errorf("peer implementation %q %q", cls, ver)
	}
	if a.PeerMaxPDULength() != DefaultMaxPDULength {
		t.Errorf("peer max pdu %d", a.PeerMaxPDULength())
	}
	if err := a.Release(); err != nil {
		t.Fatal(err)
	}
	if err := a.Echo(tctx(t)); !errors.Is(err, ErrAssociationClosed) {
		t.Fatalf("echo after release: %v", err)
	}
	st := s.Stats()
	if st.Echoes != 3 || st.AssociationsAccepted != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestServer_StoreMany(t *testing.T) {
	m := newMemStore()
	s, addr := startServer(t, ServerConfig{AETitle: "LINGSHU"}, m)
	a := dial(t, addr, ClientConfig{CallingAE: "MODALITY"})
	const n = 300
	var total int
	for i := 0; i < n; i++ {
		data := pattern(100+i*37, i)
		total += len(data)
		st, err := a.Store(tctx(t), CTImageStorage, uid(i), "", data)
		if err != nil || !st.IsSuccess() {
			t.Fatalf("store %d: %v %v", i, st, err)
		}
	}
	if err := a.Release(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		r, ok := m.get(uid(i))
		if !ok {
			t.Fatalf("instance %d missing", i)
		}
		sameBytes(t, "dataset", r.Dataset, pattern(100+i*37, i))
		if r.SOPClassUID != CTImageStorage || r.TransferSyntaxUID != allTS[0] || r.CallingAE != "MODALITY" ||
			r.CalledAE != "LINGSHU" || r.RemoteAddr == "" || r.MessageID != uint16(i+1) {
			t.Fatalf("request fields %+v", r)
		}
	}
	st := s.Stats()
	if st.StoresOK != n || st.StoresFailed != 0 || st.BytesReceived != uint64(total) {
		t.Fatalf("stats %+v", st)
	}
}

func TestServer_ConcurrentAssociations(t *testing.T) {
	m := newMemStore()
	s, addr := startServer(t, ServerConfig{}, m)
	const assocs, per = 8, 40
	var wg sync.WaitGroup
	errs := make(chan error, assocs)
	for k := 0; k < assocs; k++ {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			a, err := Dial(tctx(t), addr, ClientConfig{CallingAE: "SCU", CalledAE: "ANY", Contexts: ctContexts()})
			if err != nil {
				errs <- err
				return
			}
			for i := 0; i < per; i++ {
				id := k*1000 + i
				if st, err := a.Store(tctx(t), CTImageStorage, uid(id), "", pattern(2000, id)); err != nil || !st.IsSuccess() {
					errs <- errors.Join(err, errors.New(st.String()))
					return
				}
			}
			errs <- a.Release()
		}(k)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if m.count() != assocs*per || s.Stats().AssociationsAccepted != assocs {
		t.Fatalf("stored %d, stats %+v", m.count(), s.Stats())
	}
}

// Both directions fragment: the SCU sends 4 KiB PDUs and advertises 64 bytes,
// so the SCP must split even its small C-STORE-RSP command set.
func TestServer_BigDatasetSmallPDU(t *testing.T) {
	m := newMemStore()
	_, addr := startServer(t, ServerConfig{MaxPDULength: 4096}, m)
	a := dial(t, addr, ClientConfig{MaxPDULength: 64})
	if a.PeerMaxPDULength() != 4096 {
		t.Fatalf("peer max %d", a.PeerMaxPDULength())
	}
	for i, size := range []int{0, 1, 4089, 4090, 4091, 3 << 20} {
		data := pattern(size, i)
		st, err := a.Store(tctx(t), CTImageStorage, uid(i), allTS[0], data)
		if err != nil || !st.IsSuccess() {
			t.Fatalf("size %d: %v %v", size, st, err)
		}
		r, _ := m.get(uid(i))
		sameBytes(t, "dataset", r.Dataset, data)
		if r.TransferSyntaxUID != allTS[0] {
			t.Fatalf("transfer syntax %s", r.TransferSyntaxUID)
		}
	}
	if err := a.Release(); err != nil {
		t.Fatal(err)
	}
}

func TestServer_DatasetTooLarge(t *testing.T) {
	m := newMemStore()
	s, addr := startServer(t, ServerConfig{MaxDatasetBytes: 10000, MaxPDULength: 4096}, m)
	a := dial(t, addr, ClientConfig{})
	st, err := a.Store(tctx(t), CTImageStorage, uid(1), "", pattern(50000, 1))
	if err != nil || st.Code != StatusOutOfResources {
		t.Fatalf("oversized: %v %v", st, err)
	}
	// The association stays usable after the drained data set.
	st, err = a.Store(tctx(t), CTImageStorage, uid(2), "", pattern(10000, 2))
	if err != nil || !st.IsSuccess() {
		t.Fatalf("next store: %v %v", st, err)
	}
	a.Release()
	if m.handlerCalls() != 1 || s.Stats().StoresFailed != 1 {
		t.Fatalf("handler calls %d stats %+v", m.handlerCalls(), s.Stats())
	}
}

func TestServer_StatusCases(t *testing.T) {
	m := newMemStore()
	m.status = func(r *StoreRequest) Status {
		switch r.SOPInstanceUID {
		case "1.9.1":
			return Status{Code: StatusOutOfResources, Comment: "disk full"}
		case "1.9.2":
			panic("handler bug")
		case "1.9.3":
			return Status{Code: StatusDuplicateSOPInstance}
		}
		return Status{}
	}
	_, addr := startServer(t, ServerConfig{}, m)
	a := dial(t, addr, ClientConfig{Contexts: []ProposedContext{
		{VerificationSOPClass, allTS}, {CTImageStorage, allTS}, {"1.2.840.10008.5.1.4.1.1.4", allTS},
		{"1.2.840.10008.5.1.4.1.2.2.1", allTS}, // Study Root C-FIND: not a storage class
	}})
	if got := len(a.AcceptedContexts()); got != 3 {
		t.Fatalf("%d contexts accepted, want 3", got)
	}
	ctCtx, _ := a.findContext(CTImageStorage, "")
	cases := []struct {
		name    string
		cmd     *Command
		data    []byte
		want    uint16
		wantRSP uint16
		comment string
		stored  bool
	}{
		{"garbage data set reaches the handler", &Command{Field: CStoreRQ, AffectedSOPClassUID: CTImageStorage, AffectedSOPInstanceUID: "1.9.0", HasDataSet: true},
			[]byte("this is not DICOM at all"), StatusSuccess, CStoreRSP, "", true},
		{"handler refusal with comment", &Command{Field: CStoreRQ, AffectedSOPClassUID: CTImageStorage, AffectedSOPInstanceUID: "1.9.1", HasDataSet: true},
			[]byte{1, 2}, StatusOutOfResources, CStoreRSP, "disk full", false},
		{"handler panic", &Command{Field: CStoreRQ, AffectedSOPClassUID: CTImageStorage, AffectedSOPInstanceUID: "1.9.2", HasDataSet: true},
			[]byte{1, 2}, StatusProcessingFailure, CStoreRSP, "internal error", false},
		{"duplicate", &Command{Field: CStoreRQ, AffectedSOPClassUID: CTImageStorage, AffectedSOPInstanceUID: "1.9.3", HasDataSet: true},
			[]byte{1, 2}, StatusDuplicateSOPInstance, CStoreRSP, "", false},
		{"sop class not negotiated on the context", &Command{Field: CStoreRQ, AffectedSOPClassUID: "1.2.840.10008.5.1.4.1.1.4", AffectedSOPInstanceUID: "1.9.4", HasDataSet: true},
			[]byte{1, 2}, StatusSOPClassNotSupported, CStoreRSP, "", false},
		{"missing sop instance uid", &Command{Field: CStoreRQ, AffectedSOPClassUID: CTImageStorage, HasDataSet: true},
			[]byte{1, 2}, StatusCannotUnderstand, CStoreRSP, "", false},
		{"c-store without data set", &Command{Field: CStoreRQ, AffectedSOPClassUID: CTImageStorage, AffectedSOPInstanceUID: "1.9.6"},
			nil, StatusCannotUnderstand, CStoreRSP, "", false},
		{"unknown operation c-find", &Command{Field: CFindRQ, AffectedSOPClassUID: CTImageStorage, HasDataSet: true},
			[]byte{8, 0, 0x52, 0, 2, 0, 0, 0, 'S', 'T'}, StatusUnrecognizedOperation, 0x8020, "", false},
		{"unknown operation n-get", &Command{Field: NGetRQ, AffectedSOPClassUID: CTImageStorage},
			nil, StatusUnrecognizedOperation, NGetRQ | responseBit, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rsp, err := a.roundTrip(tctx(t), ctCtx.ID, tc.cmd, tc.data, tc.wantRSP)
			if err != nil {
				t.Fatal(err)
			}
			if rsp.Status != tc.want || (tc.comment != "" && rsp.ErrorComment != tc.comment) {
				t.Fatalf("status 0x%04X %q, want 0x%04X %q", rsp.Status, rsp.ErrorComment, tc.want, tc.comment)
			}
			if rsp.MessageIDBeingRespondedTo != tc.cmd.MessageID {
				t.Fatalf("responded to %d, want %d", rsp.MessageIDBeingRespondedTo, tc.cmd.MessageID)
			}
			if r, ok := m.get(tc.cmd.AffectedSOPInstanceUID); ok != tc.stored || (ok && string(r.Dataset) != string(tc.data)) {
				t.Fatalf("stored %v", ok)
			}
		})
	}
	if _, err := a.Store(tctx(t), "1.2.840.10008.5.1.4.1.2.2.1", "1.9.9", "", nil); !errors.Is(err, ErrNoContext) {
		t.Fatalf("store on a rejected context: %v", err)
	}
	if err := a.Echo(tctx(t)); err != nil {
		t.Fatalf("association unusable after failures: %v", err)
	}
	a.Release()
}

// Orthanc proposes about 126 presentation contexts in one A-ASSOCIATE-RQ.
func TestServer_ManyContexts(t *testing.T) {
	_, addr := startServer(t, ServerConfig{}, newMemStore())
	var pcs []ProposedContext
	for _, c := range StorageSOPClasses()[:127] {
		pcs = append(pcs, ProposedContext{c.UID, []string{"1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2"}})
	}
	pcs = append(pcs, ProposedContext{VerificationSOPClass, allTS})
	a := dial(t, addr, ClientConfig{Contexts: pcs})
	if got := len(a.AcceptedContexts()); got != 128 {
		t.Fatalf("%d accepted, want 128", got)
	}
	st, err := a.Store(tctx(t), pcs[100].AbstractSyntax, uid(1), "1.2.840.10008.1.2.4.70", []byte{0xff, 0xd8})
	if err != nil || !st.IsSuccess() {
		t.Fatalf("store: %v %v", st, err)
	}
	a.Release()
	if _, err := Dial(tctx(t), addr, ClientConfig{CallingAE: "A", CalledAE: "B", Contexts: append(pcs, pcs[0])}); err == nil {
		t.Fatal("129 contexts accepted by Dial")
	}
}

func TestServer_RejectsAndLimits(t *testing.T) {
	_, addr := startServer(t, ServerConfig{AETitle: "LINGSHU", AllowedCallingAETitles: []string{"GOOD"}, MaxAssociations: 1}, newMemStore())
	cases := []struct {
		name string
		cfg  ClientConfig
		want RejectError
	}{
		{"called ae not recognized", ClientConfig{CallingAE: "GOOD", CalledAE: "WRONG"}, RejectError{RejectPermanent, RejectSourceUser, RejectReasonCalledAENotRecognized}},
		{"calling ae not recognized", ClientConfig{CallingAE: "BAD", CalledAE: "LINGSHU"}, RejectError{RejectPermanent, RejectSourceUser, RejectReasonCallingAENotRecognized}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Dial(tctx(t), addr, tc.cfg)
			var rj *RejectError
			if !errors.As(err, &rj) || *rj != tc.want {
				t.Fatalf("err %v, want %+v", err, tc.want)
			}
		})
	}
	t.Run("association limit", func(t *testing.T) {
		first := dial(t, addr, ClientConfig{CallingAE: "GOOD"})
		_, err := Dial(tctx(t), addr, ClientConfig{CallingAE: "GOOD", CalledAE: "LINGSHU"})
		var rj *RejectError
		if !errors.As(err, &rj) || *rj != (RejectError{RejectTransient, RejectSourceProviderPresentation, RejectReasonLocalLimitExceeded}) {
			t.Fatalf("second association: %v", err)
		}
		if err := first.Echo(tctx(t)); err != nil {
			t.Fatal(err)
		}
		first.Release()
		// The slot frees once the first association's goroutine has finished.
		deadline := time.Now().Add(5 * time.Second)
		for {
			a, err := Dial(tctx(t), addr, ClientConfig{CallingAE: "GOOD", CalledAE: "LINGSHU"})
			if err == nil {
				a.Release()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("slot never freed: %v", err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

func TestServer_HostAllowList(t *testing.T) {
	s, addr := startServer(t, ServerConfig{AllowedHosts: []string{"10.9.9.0/24"}}, newMemStore())
	if _, err := Dial(tctx(t), addr, ClientConfig{CallingAE: "A", CalledAE: "B"}); err == nil {
		t.Fatal("association from a host outside the allow-list succeeded")
	}
	if s.Stats().AssociationsRejected != 1 {
		t.Fatalf("stats %+v", s.Stats())
	}
	_, addr2 := startServer(t, ServerConfig{AllowedHosts: []string{"127.0.0.1"}}, newMemStore())
	echoWorks(t, addr2)
}

// Shutdown waits for a C-STORE whose handler is running, answers it, then
// aborts; an idle association is aborted at once.
func TestServer_ShutdownGraceful(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	h := StoreFunc(func(ctx context.Context, r *StoreRequest) Status {
		close(entered)
		<-release
		return Status{}
	})
	s, err := NewServer(ServerConfig{Logger: testLogger(t)}, h)
	if err != nil {
		t.Fatal(err)
	}
	l, _ := listenLoopback(t)
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	busy := dial(t, l.Addr().String(), ClientConfig{})
	idle := dial(t, l.Addr().String(), ClientConfig{})
	stored := make(chan error, 1)
	go func() {
		st, err := busy.Store(tctx(t), CTImageStorage, uid(1), "", []byte{1, 2, 3, 4})
		if err == nil && !st.IsSuccess() {
			err = errors.New(st.String())
		}
		stored <- err
	}()
	<-entered
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		shut <- s.Shutdown(ctx)
	}()
	// The idle association is aborted while the store is still running.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if err := idle.Echo(tctx(t)); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("idle association still works during shutdown")
		}
	}
	select {
	case err := <-shut:
		t.Fatalf("shutdown returned %v before the in-flight store finished", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if err := <-stored; err != nil {
		t.Fatalf("in-flight store: %v", err)
	}
	if err := <-shut; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("serve: %v", err)
	}
	var ab *AbortError
	if err := busy.Echo(tctx(t)); !errors.As(err, &ab) && !errors.Is(err, ErrAssociationClosed) {
		t.Logf("echo after shutdown: %v", err) // aborted or already closed; either is fine
	}
}

func TestServer_ShutdownDeadline(t *testing.T) {
	entered := make(chan struct{})
	cancelled := make(chan struct{})
	h := StoreFunc(func(ctx context.Context, r *StoreRequest) Status {
		close(entered)
		<-ctx.Done()
		close(cancelled)
		return Status{Code: StatusProcessingFailure}
	})
	s, err := NewServer(ServerConfig{}, h)
	if err != nil {
		t.Fatal(err)
	}
	l, _ := listenLoopback(t)
	go s.Serve(l)
	a := dial(t, l.Addr().String(), ClientConfig{})
	go a.Store(context.Background(), CTImageStorage, uid(1), "", []byte{1, 2})
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("shutdown: %v", err)
	}
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("handler context not cancelled")
	}
}

// With ReuseDatasetBuffers each data set lands in the previous one's buffer;
// a handler that copies what it needs sees every data set intact.
func TestServer_ReuseDatasetBuffers(t *testing.T) {
	var mu sync.Mutex
	got := map[string][]byte{}
	h := StoreFunc(func(_ context.Context, r *StoreRequest) Status {
		mu.Lock()
		got[r.SOPInstanceUID] = append([]byte(nil), r.Dataset...)
		mu.Unlock()
		return Status{}
	})
	_, addr := startServer(t, ServerConfig{ReuseDatasetBuffers: true, MaxPDULength: 4096}, h)
	a := dial(t, addr, ClientConfig{})
	sizes := []int{100000, 10, 0, 70000, 5000, 100001, 3}
	for i, n := range sizes {
		if st, err := a.Store(tctx(t), CTImageStorage, uid(i), "", pattern(n, i)); err != nil || !st.IsSuccess() {
			t.Fatalf("store %d: %v %v", i, st, err)
		}
	}
	a.Release()
	for i, n := range sizes {
		sameBytes(t, uid(i), got[uid(i)], pattern(n, i))
	}
}

// Cancelling the context of a Store closes the association; the error says why.
func TestClient_ContextCancel(t *testing.T) {
	release := make(chan struct{})
	h := StoreFunc(func(ctx context.Context, r *StoreRequest) Status {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return Status{}
	})
	_, addr := startServer(t, ServerConfig{}, h)
	defer close(release)
	a := dial(t, addr, ClientConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := a.Store(ctx, CTImageStorage, uid(1), "", []byte{1, 2}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("store: %v", err)
	}
	if err := a.Echo(tctx(t)); !errors.Is(err, ErrAssociationClosed) {
		t.Fatalf("echo after a cancelled store: %v", err)
	}
	if err := a.Release(); !errors.Is(err, ErrAssociationClosed) {
		t.Fatalf("release: %v", err)
	}
}
