package phantom

import (
	"math/rand/v2"
)

// Finding is one abnormality drawn into a study, with what it is and where.
// Positions are filled in by the renderer of the modality.
type Finding struct {
	ID       string  `json:"id"`
	Type     string  `json:"type"` // nodule, mass, pleural_effusion, pneumothorax, rib_fracture, brain_mass
	Side     string  `json:"side"` // right or left (the patient's)
	Lobe     string  `json:"lobe,omitempty"`
	SizeMM   float64 `json:"size_mm,omitempty"` // diameter (nodule, mass) or depth (effusion, pneumothorax)
	Density  string  `json:"density,omitempty"` // solid, ground-glass, calcified (nodule, mass)
	Extent   string  `json:"extent,omitempty"`  // small, moderate, large (effusion, pneumothorax)
	Rib      int     `json:"rib,omitempty"`     // rib number 1..12 (rib_fracture)
	Location string  `json:"location,omitempty"`
	// CenterPatientMM is the centre in patient coordinates (LPS, mm). For
	// projection radiographs the anterior-posterior coordinate is unknown
	// and written as null.
	CenterPatientMM [3]*float64 `json:"center_patient_mm"`
	// Center is the centre on the key image; Images lists every image and
	// frame where the finding is visible.
	Center ImagePoint   `json:"center_pixel"`
	Images []ImagePoint `json:"images"`
	// RadiusPixels is the in-plane radius on the key image (round findings),
	// BBoxPixels [row0, col0, row1, col1] the extent on the key image.
	RadiusPixels float64    `json:"radius_pixels,omitempty"`
	BBoxPixels   [4]float64 `json:"bbox_pixels"`
	Description  string     `json:"description"`

	center [3]float64 // internal: x, y, z in mm in the renderer's frame
}

// ImagePoint is a position on one frame of one instance.
type ImagePoint struct {
	File           string  `json:"file"`
	SOPInstanceUID string  `json:"sop_instance_uid"`
	InstanceNumber int     `json:"instance_number"`
	Frame          int     `json:"frame"`  // 1-based
	Row            float64 `json:"row"`    // pixel row of the centre (0 = centre of the first row)
	Column         float64 `json:"column"` // pixel column
}

func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

// planFindings draws the findings of one study (types and parameters, not
// yet positions).
func planFindings(modality string, r *rand.Rand) []*Finding {
	if modality == "MR" {
		if r.Float64() < 0.3 {
			return nil
		}
		return []*Finding{{
			Type:    "brain_mass",
			Side:    pick(r, "right", "left"),
			Lobe:    pick(r, "frontal lobe", "parietal lobe", "temporal lobe", "occipital lobe"),
			SizeMM:  float64(12 + r.IntN(29)),
			Density: "T2 hyperintense",
		}}
	}
	if r.Float64() < 0.2 {
		return nil
	}
	n := 1
	if r.Float64() < 0.3 {
		n = 2
	}
	xray := modality != "CT"
	var out []*Finding
	used := map[string]bool{}
	for len(out) < n {
		t := pick(r, "nodule", "nodule", "nodule", "mass", "pleural_effusion", "pleural_effusion",
			"pneumothorax", "rib_fracture", "rib_fracture")
		if used[t] {
			continue
		}
		used[t] = true
		f := &Finding{Type: t, Side: pick(r, "right", "left")}
		switch t {
		case "nodule":
			f.SizeMM = float64(6 + r.IntN(21))
			f.Density = pick(r, "solid", "solid", "solid", "ground-glass", "calcified")
			if xray {
				f.SizeMM = float64(10 + r.IntN(17))
				f.Density = pick(r, "solid", "solid", "solid", "calcified")
			}
			f.Lobe = pickLobe(r, f.Side)
			out = append(out, f)
			if r.Float64() < 0.25 { // a second nodule elsewhere: "how many" questions
				g := *f
				g.Side = pick(r, "right", "left")
				g.Lobe = pickLobe(r, g.Side)
				g.SizeMM = f.SizeMM - 2 - float64(r.IntN(4))
				if g.SizeMM < 6 || (xray && g.SizeMM < 10) {
					g.SizeMM = f.SizeMM
				}
				out = append(out, &g)
			}
		case "mass":
			f.SizeMM = float64(32 + r.IntN(22))
			f.Density = "solid"
			f.Lobe = pickLobe(r, f.Side)
			out = append(out, f)
		case "pleural_effusion", "pneumothorax":
			f.Extent = pick(r, "small", "moderate", "large")
			for _, g := range out { // not both on one side
				if (g.Type == "pleural_effusion" || g.Type == "pneumothorax") && g.Side == f.Side {
					f.Side = other(f.Side)
				}
			}
			out = append(out, f)
		case "rib_fracture":
			f.Rib = 4 + r.IntN(6)
			out = append(out, f)
		}
	}
	for i, f := range out {
		f.ID = "f" + string(rune('1'+i))
	}
	return out
}

func other(side string) string {
	if side == "right" {
		return "left"
	}
	return "right"
}

func pickLobe(r *rand.Rand, side string) string {
	if side == "right" {
		return pick(r, "right upper lobe", "right upper lobe", "right middle lobe", "right lower lobe", "right lower lobe")
	}
	return pick(r, "left upper lobe", "left upper lobe", "left lower lobe", "left lower lobe")
}

// countType counts findings of one type.
func countType(fs []*Finding, t string) int {
	n := 0
	for _, f := range fs {
		if f.Type == t {
			n++
		}
	}
	return n
}
