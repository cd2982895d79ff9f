package daemon

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lingshu-edge/lingshu/daemon/api"
	"github.com/lingshu-edge/lingshu/daemon/store"
	"github.com/lingshu-edge/lingshu/dicom"
	"github.com/lingshu-edge/lingshu/dicom/phantom"
)

// TestCollectStore_CacheAndFailure: counts are reused for countsTTL unless
// an instance was stored through ingest, and a closed store fails the
// "store" collector instead of exporting stale or zero counts.
func TestCollectStore_CacheAndFailure(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir, cfg.DICOM.Addr, cfg.HTTP.Addr, cfg.Store.MinFreeMB = t.TempDir(), "127.0.0.1:0", "127.0.0.1:0", 0
	d, err := New(cfg, Options{LookupEnv: func(string) (string, bool) { return "metrics-test", true }})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	d.metrics.now = func() time.Time { return now }
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			d.Stop(context.Background())
		}
	})
	reg := api.NewRegistry(nil)
	reg.Register("store", d.collectStore)
	scrape := func() string {
		var b bytes.Buffer
		if _, err := reg.WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	study, err := phantom.NewStudy(phantom.Options{Modality: "CT", Slices: 3, Seed: 5}, 0)
	if err != nil {
		t.Fatal(err)
	}
	put := func(i int) store.PutResult {
		in := study.Instances[i]
		res, err := d.store.PutInstance(context.Background(), store.Incoming{Dataset: in.Dataset,
			Meta: dicom.FileMeta{MediaStorageSOPClassUID: in.SOPClassUID, MediaStorageSOPInstanceUID: in.SOPInstanceUID, TransferSyntaxUID: in.TransferSyntaxUID}})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	expect := func(want string) {
		t.Helper()
		if got := scrape(); !strings.Contains(got, want+"\n") {
			t.Errorf("want %q in\n%s", want, got)
		}
	}

	expect("lingshu_store_instances 0")
	put(0) // behind ingest's back: the cached count stands until the TTL
	expect("lingshu_store_instances 0")
	now = now.Add(countsTTL)
	expect("lingshu_store_instances 1")
	d.metrics.observePut(time.Millisecond, put(1), nil) // as ingest does
	expect("lingshu_store_instances 2")

	stopped = true
	if err := d.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	d.metrics.observePut(time.Millisecond, store.PutResult{Stored: true}, nil) // forces a recount
	got := scrape()
	if strings.Contains(got, "lingshu_store_instances") || !strings.Contains(got, `lingshu_scrape_collector_success{collector="store"} 0`) {
		t.Errorf("closed store:\n%s", got)
	}
}
