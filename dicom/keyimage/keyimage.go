// Package keyimage picks the images of a study that a vision-language
// model is shown: every view of a projection series (CR, DX, MG…), a few
// evenly spaced slices of the main cross-sectional series (CT, MR…), evenly
// spaced frames of a multi-frame volume. It works on index records only
// (no pixel data), so the daemon can choose from its index and the CLI from
// the files' headers.
package keyimage

import (
	"cmp"
	"slices"
	"strings"
)

// DefaultMaxImages is the cap on the images of one study when
// Options.MaxImages is 0.
const DefaultMaxImages = 4

// Image is one image instance of a study.
type Image struct {
	// Ref is the caller's handle (a file path); Select does not use it.
	Ref               string
	SeriesInstanceUID string
	SOPInstanceUID    string
	Modality          string
	BodyPart          string
	// SeriesNumber and InstanceNumber order series and instances; give
	// math.MaxInt for a missing number to sort it last.
	SeriesNumber   int
	InstanceNumber int
	// Frames is NumberOfFrames (0 or 1 for a single-frame image).
	Frames int
}

// Key is a chosen image and the 0-based frame to show.
type Key struct {
	Image
	Frame int
}

// Options tune Select.
type Options struct {
	// MaxImages caps the images of the study (0 → DefaultMaxImages).
	MaxImages int
	// Slices is how many evenly spaced slices (instances, or frames of a
	// multi-frame volume) a cross-sectional series gives (0 → 1: the
	// middle slice).
	Slices int
	// AllSeries takes Slices from every cross-sectional series; by default
	// only the main one is used (the series with the most slices, the first
	// in series order on a tie): localizers and reformats are left out.
	AllSeries bool
}

// Projection reports whether a modality makes projection images, each
// instance a view of its own (radiographs, mammograms, angiograms).
func Projection(modality string) bool {
	switch strings.ToUpper(strings.TrimSpace(modality)) {
	case "CR", "DX", "DR", "MG", "XA", "RF", "IO", "PX":
		return true
	}
	return false
}

// Select picks the key images of one study's images, series by series in
// series order, at most opt.MaxImages in all:
//   - a projection series: every instance, each a view (the middle frame of
//     a multi-frame instance);
//   - a cross-sectional series: opt.Slices evenly spaced slices, counting
//     every frame of every instance in instance order as a slice (so a
//     single multi-frame volume gives evenly spaced frames); the main such
//     series only unless opt.AllSeries.
//
// Slices are spaced at the centres of equal parts: one slice is the middle
// one (index n/2), k slices of n are at floor((i+½)·n/k). The input order
// does not matter; the result is deterministic.
func Select(images []Image, opt Options) []Key {
	limit := opt.MaxImages
	if limit <= 0 {
		limit = DefaultMaxImages
	}
	slicesPer := max(opt.Slices, 1)
	series := group(images)
	main := -1
	if !opt.AllSeries {
		best := 0
		for i, s := range series {
			if n := sliceCount(s); !Projection(s[0].Modality) && n > best {
				main, best = i, n
			}
		}
	}
	var out []Key
	for i, s := range series {
		switch {
		case Projection(s[0].Modality):
			for _, im := range s {
				out = append(out, Key{Image: im, Frame: middleFrame(im)})
			}
		case opt.AllSeries || i == main:
			out = append(out, spaced(s, slicesPer)...)
		}
		if len(out) >= limit {
			return out[:limit]
		}
	}
	return out
}

// group splits images by series (series ordered by number, then UID;
// instances by number, then SOP UID, then Ref).
func group(images []Image) [][]Image {
	by := map[string][]Image{}
	for _, im := range images {
		by[im.SeriesInstanceUID] = append(by[im.SeriesInstanceUID], im)
	}
	out := make([][]Image, 0, len(by))
	for _, s := range by {
		slices.SortFunc(s, func(a, b Image) int {
			return cmp.Or(cmp.Compare(a.InstanceNumber, b.InstanceNumber), cmp.Compare(a.SOPInstanceUID, b.SOPInstanceUID),
				cmp.Compare(a.Ref, b.Ref))
		})
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b []Image) int {
		return cmp.Or(cmp.Compare(a[0].SeriesNumber, b[0].SeriesNumber), cmp.Compare(a[0].SeriesInstanceUID, b[0].SeriesInstanceUID))
	})
	return out
}

func frames(im Image) int { return max(im.Frames, 1) }

func middleFrame(im Image) int { return frames(im) / 2 }

func sliceCount(s []Image) int {
	n := 0
	for _, im := range s {
		n += frames(im)
	}
	return n
}

// spaced picks k evenly spaced slices of a series, each frame of each
// instance counting as one slice.
func spaced(s []Image, k int) []Key {
	n := sliceCount(s)
	k = min(k, n)
	out := make([]Key, 0, k)
	for i := range k {
		idx := (2*i + 1) * n / (2 * k)
		for _, im := range s {
			if idx < frames(im) {
				out = append(out, Key{Image: im, Frame: idx})
				break
			}
			idx -= frames(im)
		}
	}
	return out
}
