package daemon

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/lingshu-edge/lingshu/daemon/api"
	"github.com/lingshu-edge/lingshu/daemon/store"
	"github.com/lingshu-edge/lingshu/internal/buildinfo"
)

// countsTTL is how long store counts are reused between scrapes while no
// instance is stored (a new instance makes the next scrape recount).
const countsTTL = 5 * time.Second

// Outcomes of a store.PutInstance, the "result" label of the store
// duration histogram.
const (
	putStored    = "stored"
	putDuplicate = "duplicate"
	putFailed    = "failed"
)

// Reasons ingest refuses a C-STORE, the "reason" label of
// lingshu_ingest_refused_total (all exported as 0 from the start).
const (
	refuseUnparseable      = "unparseable"
	refuseMalformed        = "malformed"
	refuseIdentityMismatch = "identity_mismatch"
	refuseLowDisk          = "low_disk"
	refuseInvalid          = "invalid_instance"
	refuseStoreError       = "store_error"
)

// daemonMetrics is what the daemon measures itself; the DICOM server and
// the store are read when scraped. One per Daemon.
type daemonMetrics struct {
	started  time.Time
	now      func() time.Time
	putTime  *api.HistogramVec[string]
	refusals *api.CounterVec[string]

	mu       sync.Mutex
	counts   store.Counts
	countsAt time.Time // zero: count again
}

func newDaemonMetrics(now func() time.Time) *daemonMetrics {
	m := &daemonMetrics{
		started: now(),
		now:     now,
		putTime: api.NewHistogramVec("lingshu_ingest_store_duration_seconds",
			"Time to make a received instance durable and indexed (store.PutInstance), by result.",
			api.StoreDurationBuckets(), func(r string) []api.Label { return []api.Label{{Name: "result", Value: r}} }),
		refusals: api.NewCounterVec("lingshu_ingest_refused_total",
			"C-STOREs the receiver answered with a failure status, by reason.",
			func(r string) []api.Label { return []api.Label{{Name: "reason", Value: r}} }),
	}
	for _, r := range []string{refuseUnparseable, refuseMalformed, refuseIdentityMismatch, refuseLowDisk, refuseInvalid, refuseStoreError} {
		m.refusals.Add(r, 0)
	}
	return m
}

// observePut records one PutInstance call.
func (m *daemonMetrics) observePut(took time.Duration, res store.PutResult, err error) {
	result := putStored
	switch {
	case err != nil:
		result = putFailed
	case res.Duplicate:
		result = putDuplicate
	}
	m.putTime.Observe(result, took.Seconds())
	if err == nil && res.Stored {
		m.mu.Lock()
		m.countsAt = time.Time{}
		m.mu.Unlock()
	}
}

// refused counts a C-STORE ingest refused.
func (m *daemonMetrics) refused(reason string) { m.refusals.Add(reason, 1) }

// register adds the daemon's collectors; call once the DICOM server and
// the store exist.
func (d *Daemon) registerMetrics(reg *api.Registry) {
	reg.Register("dicom", d.collectDICOM)
	reg.Register("store", d.collectStore)
	reg.Register("ingest", func(e *api.Exposition) error {
		d.metrics.putTime.Collect(e)
		d.metrics.refusals.Collect(e)
		return nil
	})
	reg.Register("process", d.metrics.collectProcess)
}

func one(v float64) api.Sample { return api.Sample{Value: v} }

func (d *Daemon) collectDICOM(e *api.Exposition) error {
	s := d.dicom.Stats()
	e.Counter("lingshu_dicom_associations_accepted_total", "DICOM associations accepted (A-ASSOCIATE-AC sent).", one(float64(s.AssociationsAccepted)))
	e.Counter("lingshu_dicom_associations_rejected_total", "DICOM associations rejected (A-ASSOCIATE-RJ, or a host not allowed).", one(float64(s.AssociationsRejected)))
	e.Counter("lingshu_dicom_associations_aborted_total", "DICOM associations ended by an A-ABORT, a timeout or a dropped connection.", one(float64(s.AssociationsAborted)))
	e.Gauge("lingshu_dicom_associations_active", "DICOM connections being served now.", one(float64(s.ActiveAssociations)))
	e.Counter("lingshu_dicom_c_echo_total", "C-ECHO requests answered.", one(float64(s.Echoes)))
	e.Counter("lingshu_dicom_c_store_total", "C-STORE requests answered, by status class (success includes warning statuses).",
		api.Sample{Labels: []api.Label{{Name: "status_class", Value: "failure"}}, Value: float64(s.StoresFailed)},
		api.Sample{Labels: []api.Label{{Name: "status_class", Value: "success"}}, Value: float64(s.StoresOK)})
	e.Counter("lingshu_dicom_received_bytes_total", "Data set bytes received in C-STORE requests.", one(float64(s.BytesReceived)))
	return nil
}

// collectStore exports the index counts, read at most once per countsTTL.
func (d *Daemon) collectStore(e *api.Exposition) error {
	m := d.metrics
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.countsAt.IsZero() || m.now().Sub(m.countsAt) >= countsTTL {
		c, err := d.store.Counts()
		if err != nil {
			return fmt.Errorf("daemon: metrics: store counts: %w", err)
		}
		m.counts, m.countsAt = c, m.now()
	}
	e.Gauge("lingshu_store_studies", "Studies in the index.", one(float64(m.counts.Studies)))
	e.Gauge("lingshu_store_series", "Series in the index.", one(float64(m.counts.Series)))
	e.Gauge("lingshu_store_instances", "Instances in the index.", one(float64(m.counts.Instances)))
	return nil
}

// Go runtime figures from runtime/metrics (no stop-the-world, unlike ReadMemStats).
var runtimeSamples = []string{"/sched/goroutines:goroutines", "/memory/classes/heap/objects:bytes"}

func (m *daemonMetrics) collectProcess(e *api.Exposition) error {
	e.Gauge("lingshu_process_start_time_seconds", "When the daemon started, in seconds since the Unix epoch.",
		one(float64(m.started.UnixNano())/1e9))
	e.Gauge("lingshu_build_info", "Always 1; the labels say which build is running.", api.Sample{Value: 1,
		Labels: []api.Label{{Name: "goversion", Value: runtime.Version()}, {Name: "version", Value: buildinfo.Version()}}})
	rs := make([]metrics.Sample, len(runtimeSamples))
	for i, name := range runtimeSamples {
		rs[i].Name = name
	}
	metrics.Read(rs)
	for _, s := range rs {
		if s.Value.Kind() != metrics.KindUint64 {
			return fmt.Errorf("daemon: metrics: runtime metric %s unsupported", s.Name)
		}
	}
	e.Gauge("lingshu_go_goroutines", "Goroutines that currently exist.", one(float64(rs[0].Value.Uint64())))
	e.Gauge("lingshu_go_heap_objects_bytes", "Heap memory occupied by live and not yet swept objects.", one(float64(rs[1].Value.Uint64())))
	return nil
}
