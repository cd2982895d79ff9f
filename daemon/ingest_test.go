package daemon_test

import (
	"context"
	"testing"
	"time"

	"github.com/lingshu-edge/lingshu/daemon"
	dicomnet "github.com/lingshu-edge/lingshu/dicom/net"
	"github.com/lingshu-edge/lingshu/dicom/phantom"
)

const ctImageStorage = "1.2.840.10008.5.1.4.1.1.2"

// dialCT opens an association proposing CT Image Storage in explicit VR
// little endian, with our own SCU.
func dialCT(t *testing.T, d *daemon.Daemon) *dicomnet.Association {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, err := dicomnet.Dial(ctx, d.DICOMAddr().String(), dicomnet.ClientConfig{
		CallingAE: "TESTSCU", CalledAE: "LINGSHU",
		Contexts: []dicomnet.ProposedContext{
			{AbstractSyntax: ctImageStorage, TransferSyntaxes: []string{"1.2.840.10008.1.2.1"}},
			{AbstractSyntax: "1.2.840.10008.1.1", TransferSyntaxes: []string{"1.2.840.10008.1.2"}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Release() })
	return a
}

// TestIngest_Statuses checks the C-STORE status for each kind of bad
// instance, and that none of them leaves anything indexed.
func TestIngest_Statuses(t *testing.T) {
	study, err := phantom.NewStudy(phantom.Options{Modality: "CT", Slices: 2, Seed: 9}, 0)
	if err != nil {
		t.Fatal(err)
	}
	good := study.Instances[0]
	tests := []struct {
		name      string
		class     string
		instance  string
		dataset   []byte
		minFreeMB int64
		want      uint16
	}{
		{"garbage dataset", ctImageStorage, "1.2.3.4", []byte("this is not a DICOM dataset at all, just text"), 0, dicomnet.StatusCannotUnderstand},
		{"truncated dataset", ctImageStorage, good.SOPInstanceUID, good.Dataset[:len(good.Dataset)/3], 0, dicomnet.StatusCannotUnderstand},
		{"instance UID differs from command", ctImageStorage, "1.2.3.999", good.Dataset, 0, dicomnet.StatusCannotUnderstand},
		{"low disk space", ctImageStorage, good.SOPInstanceUID, good.Dataset, 1 << 40, dicomnet.StatusOutOfResources},
		{"good instance", ctImageStorage, good.SOPInstanceUID, good.Dataset, 0, dicomnet.StatusSuccess},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := startDaemon(t, func(c *daemon.Config) { c.Store.MinFreeMB = tt.minFreeMB })
			a := dialCT(t, d)
			st, err := a.Store(context.Background(), tt.class, tt.instance, "1.2.840.10008.1.2.1", tt.dataset)
			if err != nil {
				t.Fatalf("store: %v", err)
			}
			if st.Code != tt.want {
				t.Fatalf("status 0x%04X (%s), want 0x%04X", st.Code, st.Comment, tt.want)
			}
			c, err := d.Store().Counts()
			if err != nil {
				t.Fatal(err)
			}
			wantIndexed := int64(0)
			if tt.want == dicomnet.StatusSuccess {
				wantIndexed = 1
			}
			if c.Instances != wantIndexed {
				t.Fatalf("%d instances indexed, want %d", c.Instances, wantIndexed)
			}
			// The association stays usable after a refused instance.
			if err := a.Echo(context.Background()); err != nil {
				t.Fatalf("echo after store: %v", err)
			}
		})
	}
}

// TestStop_FinishesInFlightStores stops the daemon while a client is
// storing: every instance the client saw acknowledged must be indexed
// after a restart on the same data directory.
func TestStop_FinishesInFlightStores(t *testing.T) {
	study, err := phantom.NewStudy(phantom.Options{Modality: "CT", Slices: 80, Seed: 10}, 0)
	if err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	cfg := func(c *daemon.Config) { c.DataDir = dataDir }
	d := startDaemon(t, cfg)
	a := dialCT(t, d)
	acked := make(chan string, len(study.Instances))
	go func() {
		defer close(acked)
		for _, in := range study.Instances {
			st, err := a.Store(context.Background(), in.SOPClassUID, in.SOPInstanceUID, in.TransferSyntaxUID, in.Dataset)
			if err != nil {
				return
			}
			if st.Code == dicomnet.StatusSuccess {
				acked <- in.SOPInstanceUID
			}
		}
	}()
	// Stop once some instances are in, while the rest are still coming.
	waitForInstances(t, d.Store(), 20, 30*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.Stop(ctx); err != nil {
		t.Fatalf("stop: %v", err)
	}
	var uids []string
	for uid := range acked {
		uids = append(uids, uid)
	}
	if len(uids) == len(study.Instances) {
		t.Log("every instance was stored before the stop took effect")
	}
	d2 := startDaemon(t, cfg)
	for _, uid := range uids {
		if _, err := d2.Store().Instance(uid); err != nil {
			t.Errorf("acknowledged instance %s lost: %v", uid, err)
		}
	}
	t.Logf("%d of %d instances acknowledged before stop; all indexed after restart", len(uids), len(study.Instances))
}
