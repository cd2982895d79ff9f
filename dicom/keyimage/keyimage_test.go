package keyimage

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// series makes n instances of one series numbered 1..n.
func series(uid string, number int, mod string, n, frames int) []Image {
	out := make([]Image, n)
	for i := range out {
		out[i] = Image{Ref: fmt.Sprintf("%s-%d", uid, i+1), SeriesInstanceUID: uid, SOPInstanceUID: fmt.Sprintf("%s.%d", uid, i+1),
			Modality: mod, SeriesNumber: number, InstanceNumber: i + 1, Frames: frames}
	}
	return out
}

func keys(ks []Key) string {
	var s []string
	for _, k := range ks {
		s = append(s, fmt.Sprintf("%s@%d", k.Ref, k.Frame))
	}
	return strings.Join(s, " ")
}

func TestSelect(t *testing.T) {
	cat := func(parts ...[]Image) []Image { return slices.Concat(parts...) }
	tests := []struct {
		name   string
		images []Image
		opt    Options
		want   string
	}{
		{"CR two views", series("cr", 1, "CR", 2, 0), Options{}, "cr-1@0 cr-2@0"},
		{"DX capped", series("dx", 1, "DX", 6, 0), Options{MaxImages: 3}, "dx-1@0 dx-2@0 dx-3@0"},
		{"MG multi-frame view: middle frame", series("mg", 1, "MG", 1, 5), Options{}, "mg-1@2"},
		{"CT middle slice", series("ct", 1, "CT", 5, 0), Options{}, "ct-3@0"},
		{"CT 4 evenly spaced of 40", series("ct", 1, "CT", 40, 0), Options{Slices: 4}, "ct-6@0 ct-16@0 ct-26@0 ct-36@0"},
		{"CT more slices than instances", series("ct", 1, "CT", 2, 0), Options{Slices: 4}, "ct-1@0 ct-2@0"},
		{"MR multi-frame volume: evenly spaced frames", series("mr", 1, "MR", 1, 24), Options{Slices: 3}, "mr-1@4 mr-1@12 mr-1@20"},
		{"MR multi-frame middle frame", series("mr", 1, "MR", 1, 24), Options{}, "mr-1@12"},
		{"two multi-frame instances count frames", series("mr", 1, "MR", 2, 10), Options{Slices: 2}, "mr-1@5 mr-2@5"},
		{"main series only: localizer left out",
			cat(series("loc", 1, "CT", 3, 0), series("ax", 2, "CT", 40, 0), series("cor", 3, "CT", 20, 0)),
			Options{Slices: 2}, "ax-11@0 ax-31@0"},
		{"all series", cat(series("loc", 1, "CT", 3, 0), series("ax", 2, "CT", 40, 0)), Options{AllSeries: true}, "loc-2@0 ax-21@0"},
		{"projection and cross-sectional together", cat(series("ct", 2, "CT", 10, 0), series("cr", 1, "CR", 2, 0)),
			Options{Slices: 1}, "cr-1@0 cr-2@0 ct-6@0"},
		{"tie: first series wins", cat(series("b", 2, "MR", 4, 0), series("a", 1, "MR", 4, 0)), Options{}, "a-3@0"},
		{"no images", nil, Options{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := keys(Select(tt.images, tt.opt)); got != tt.want {
				t.Errorf("Select = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSelect_OrderIndependentAndMissingNumbersLast(t *testing.T) {
	imgs := series("ct", 1, "CT", 5, 0)
	imgs[4].InstanceNumber = math.MaxInt // a missing number sorts last
	imgs[0].InstanceNumber = 10
	// Ordered: 2,3,4,10,missing → the middle (index 2) is instance 4.
	want := "ct-4@0"
	for seed := range uint64(5) {
		r := rand.New(rand.NewPCG(seed, 1))
		shuffled := slices.Clone(imgs)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if got := keys(Select(shuffled, Options{})); got != want {
			t.Fatalf("seed %d: %q, want %q", seed, got, want)
		}
	}
}

func TestProjection(t *testing.T) {
	for m, want := range map[string]bool{"CR": true, "dx": true, " MG ": true, "CT": false, "MR": false, "": false, "US": false} {
		if Projection(m) != want {
			t.Errorf("Projection(%q) = %v", m, !want)
		}
	}
}
