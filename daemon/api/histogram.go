package api

import (
	"slices"
	"sync"
)

// HTTPDurationBuckets are upper bounds (seconds) for REST calls: 5 ms to 10 s.
func HTTPDurationBuckets() []float64 {
	return []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
}

// StoreDurationBuckets are upper bounds (seconds) for durable writes
// (fsync): 1 ms to 10 s.
func StoreDurationBuckets() []float64 {
	return []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
}

// HistogramVec is a histogram family keyed by K with fixed buckets.
type HistogramVec[K comparable] struct {
	name, help string
	labels     func(K) []Label
	bounds     []float64 // sorted upper bounds, +Inf implied

	mu    sync.Mutex
	hists map[K]*histogram
}

type histogram struct {
	counts []uint64 // per bucket, not cumulative; last is +Inf
	sum    float64
	count  uint64
}

// NewHistogramVec returns an empty histogram family with the given bucket
// upper bounds (sorted here; +Inf is added on output).
func NewHistogramVec[K comparable](name, help string, bounds []float64, labels func(K) []Label) *HistogramVec[K] {
	b := slices.Clone(bounds)
	slices.Sort(b)
	b = slices.Compact(b)
	if labels == nil {
		labels = func(K) []Label { return nil }
	}
	return &HistogramVec[K]{name: name, help: help, labels: labels, bounds: b, hists: map[K]*histogram{}}
}

// Observe records one value for k.
func (h *HistogramVec[K]) Observe(k K, v float64) {
	i, _ := slices.BinarySearch(h.bounds, v) // first bound >= v: "le" is inclusive
	h.mu.Lock()
	defer h.mu.Unlock()
	hs := h.hists[k]
	if hs == nil {
		hs = &histogram{counts: make([]uint64, len(h.bounds)+1)}
		h.hists[k] = hs
	}
	hs.counts[i]++
	hs.sum += v
	hs.count++
}

// Count returns how many values k has recorded.
func (h *HistogramVec[K]) Count(k K) uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	if hs := h.hists[k]; hs != nil {
		return hs.count
	}
	return 0
}

// Collect writes the family: for each key, cumulative _bucket samples
// with an "le" label, then _sum and _count.
func (h *HistogramVec[K]) Collect(e *Exposition) {
	type snap struct {
		labels []Label
		h      histogram
	}
	h.mu.Lock()
	snaps := make([]snap, 0, len(h.hists))
	for k, hs := range h.hists {
		snaps = append(snaps, snap{h.labels(k), histogram{slices.Clone(hs.counts), hs.sum, hs.count}})
	}
	h.mu.Unlock()
	slices.SortFunc(snaps, func(a, b snap) int { return compareLabels(a.labels, b.labels) })
	if !e.header(h.name, h.help, "histogram") {
		return
	}
	for _, s := range snaps {
		var cum uint64
		for i, c := range s.h.counts {
			cum += c
			le := "+Inf"
			if i < len(h.bounds) {
				le = formatFloat(h.bounds[i])
			}
			e.sample(h.name+"_bucket", append(slices.Clip(s.labels), Label{"le", le}), float64(cum))
		}
		e.sample(h.name+"_sum", s.labels, s.h.sum)
		e.sample(h.name+"_count", s.labels, float64(s.h.count))
	}
}
