package phantom

import (
	"math"
	"math/rand/v2"
)

// MR geometry: 256×256 axial T2-weighted slices, 0.9375 mm pixels (240 mm
// field of view), image centre at (0, 5) mm, slices from inferior to
// superior. Intensities are arbitrary MR units (12 bits).
const (
	mrMatrix  = 256
	mrSpacing = 0.9375
	mrCenterY = 5.0
)

// T2 fast spin echo signal of each tissue.
const (
	sigAir    = 0
	sigBone   = 70
	sigFat    = 950
	sigMuscle = 420
	sigCSF    = 2000
	sigGM     = 1120
	sigWM     = 600
	sigLesion = 1520
	sigEdema  = 1380
)

// head is the analytic head of one study (mm, LPS, z superior).
type head struct {
	a, b, c float64 // outer semi-axes of the scalp ellipsoid (x, y, z)
	cz      float64 // centre height
	phase   float64 // gyral pattern phase
	mass    *mrFinding
}

type mrFinding struct {
	*Finding
	r float64
}

// section returns the in-plane semi-axes of the scalp at height z, scaled.
func (h *head) section(z float64) (a, b float64) {
	k := math.Sqrt(clamp01(1 - sq((z-h.cz)/h.c)))
	return h.a * k, h.b * k
}

// brainAt reports brain tissue signal at (x, y, z) given the brain surface
// depth d (mm) and angle; ok is false outside the brain.
func (h *head) signal(x, y, z float64) float64 {
	a, b := h.section(z)
	if a < 5 {
		return sigAir
	}
	yc := 5.0
	r := ellipseR(x, y, 0, yc, a, b)
	if r > 1 {
		// orbits and eyes in front of the lower slices
		if z < -8 && z > -40 {
			for _, s := range [2]float64{-1, 1} {
				if d := math.Sqrt(sq(x-s*31) + sq(y+b*0.78) + sq(z+22)); d < 12 {
					return sigCSF * 0.95
				}
			}
		}
		return sigAir
	}
	rr := math.Hypot(x, y-yc)
	depth := (1 - r) * rr / math.Max(r, 1e-6)
	switch {
	case depth < 1.5:
		return sigMuscle // skin
	case depth < 6:
		return sigFat // scalp
	case depth < 13:
		return sigBone // calvarium
	case depth < 15:
		return sigCSF // subarachnoid space
	}
	d := depth - 15
	if z < -6 {
		return h.lowerSignal(x, y, z, d, a, b)
	}
	return h.cerebrum(x, y, z, d, rr)
}

// cerebrum: cortex with sulci, white matter, ventricles, deep grey nuclei.
func (h *head) cerebrum(x, y, z, d, rr float64) float64 {
	ax := math.Abs(x)
	if ax < 1.2 && (y < -30 || y > 38) {
		return sigCSF // interhemispheric fissure
	}
	if v, ok := ventricles(ax, y, z); ok {
		return v
	}
	if z > -2 && z < 22 {
		switch {
		case inEllipse(ax, y, 16, -20, 6, 8):
			return sigGM // caudate head
		case inEllipse(ax, y, 25, -4, 6.5, 14):
			return sigGM * 0.95 // lentiform nucleus
		case inEllipse(ax, y, 10, 10, 8, 11):
			return sigGM * 0.97 // thalamus
		}
		if segDist2(ax, y, 70, -6, 38, -2) < 2.2 {
			return sigCSF // sylvian fissure
		}
	}
	theta := math.Atan2(y, x)
	psi := 19*theta + 3.2*math.Sin(3*theta+z/13+h.phase) + 1.6*math.Sin(7*theta-z/8) + z/6
	g := math.Sin(psi)
	// each sulcus (one half-turn of psi) gets its own depth, 5–17 mm
	k := math.Floor(psi / math.Pi)
	hash := math.Sin(k*12.9898+h.phase*78.233) * 43758.5453
	depth := 5 + 12*(hash-math.Floor(hash))
	switch {
	case d < depth && math.Abs(g) < 0.12:
		return sigCSF // sulcus
	case d < 4.5 || (d < depth+3.5 && math.Abs(g) < 0.45):
		return sigGM
	}
	return sigWM
}

// ventricles returns CSF inside the lateral and third ventricles.
func ventricles(ax, y, z float64) (float64, bool) {
	if z >= 18 && z <= 40 {
		k := math.Sqrt(clamp01(1 - sq((z-29)/12)))
		if inEllipse(ax, y, 9, -2, 5*k+1, 30*k) {
			return sigCSF, true
		}
	}
	if z > 5 && z < 20 {
		if segDist2(ax, y, 7, -32, 10, -15) < 36 || segDist2(ax, y, 14, 10, 24, 38) < 22 {
			return sigCSF, true
		}
	}
	if z > 0 && z < 15 && ax < 1.5 && y > -5 && y < 10 {
		return sigCSF, true
	}
	return 0, false
}

// lowerSignal is the skull-base level: brainstem, fourth ventricle,
// cerebellum with folia, and the inferior frontal and temporal lobes.
func (h *head) lowerSignal(x, y, z, d, a, b float64) float64 {
	ax := math.Abs(x)
	pons := math.Hypot(x*1.1, y-14)
	switch {
	case pons < 13:
		return sigWM * 1.08 // pons
	case pons < 16.5 && y < 22:
		return sigCSF // prepontine cistern
	case z > -36 && inEllipse(x, y, 0, 31, 5, 3.5):
		return sigCSF // fourth ventricle
	}
	if cb := ellipseR(ax, y, 24, 52, 31, 30); cb < 1 && y > 26 {
		if ax < 1.5 && y > 44 {
			return sigCSF // vallecula
		}
		if cb < 0.45 {
			return sigWM // cerebellar white matter
		}
		if math.Sin(cb*40+math.Atan2(y-52, ax-24)*2) > 0.35 {
			return sigCSF * 0.8 // folia
		}
		return sigGM * 1.05
	}
	if z < -24 && ax < 16 && y < -b*0.45 {
		return sigAir // ethmoid and sphenoid sinuses
	}
	if y > 22 {
		return sigCSF * 0.85 // cisterns around the cerebellum
	}
	return h.cerebrum(x, y, z, d, math.Hypot(x, y))
}

// mrLobe names the lobe of a cerebral point.
func mrLobe(x, y, z float64) string {
	switch {
	case y > 45 && z < 45:
		return "occipital lobe"
	case math.Abs(x) > 38 && z < 22 && y > -40 && y < 35:
		return "temporal lobe"
	case y < -12:
		return "frontal lobe"
	}
	return "parietal lobe"
}

func renderMR(sc *scene) *series {
	r := sc.rng
	s := uniform(r, 0.94, 1.06)
	h := &head{a: 74 * s, b: 95 * s, c: 92 * s, cz: 8, phase: uniform(r, 0, 6)}
	n := sc.opts.Slices
	t := math.Round(math.Max(1, math.Min(10, 120/float64(n)))*2) / 2
	zb := 25 - float64(n-1)*t/2
	zs := make([]float64, n)
	for i := range zs {
		zs[i] = zb + float64(i)*t
	}
	for _, f := range sc.findings {
		mf := &mrFinding{Finding: f, r: f.SizeMM / 2}
		placeMRMass(h, mf, r, zs)
		h.mass = mf
	}
	x0 := -float64(mrMatrix-1) / 2 * mrSpacing
	y0 := mrCenterY - float64(mrMatrix-1)/2*mrSpacing
	se := &series{
		modality: "MR", rows: mrMatrix, cols: mrMatrix, spacing: [2]float64{mrSpacing, mrSpacing},
		thickness: t, orient: [6]float64{1, 0, 0, 0, 1, 0}, bitsStored: 12, slope: 1,
		window: [2]float64{1000, 2000}, windowName: "T2", description: "AX T2 TSE", bodyPart: "HEAD",
		frames: make([]frame, n), findings: sc.findings, hits: make([][]hit, n),
	}
	tesla := []float64{1.5, 3}[r.IntN(2)]
	se.attrs = func(d *dataset) {
		d.str(0x00080008, "CS", "ORIGINAL", "PRIMARY", "OTHER")
		d.str(0x00180020, "CS", "SE")
		d.str(0x00180021, "CS", "SK")
		d.str(0x00180022, "CS", "")
		d.str(0x00180023, "CS", "2D")
		d.str(0x00180024, "SH", "*tse2d1_16")
		d.ds(0x00180080, 4000)
		d.ds(0x00180081, 100)
		d.ds(0x00180083, 1)
		d.ds(0x00180084, math.Round(tesla*42.577478*1000)/1000)
		d.str(0x00180085, "SH", "1H")
		d.is(0x00180086, 1)
		d.ds(0x00180087, tesla)
		d.ds(0x00180088, t)
		d.is(0x00180091, 16)
		d.ds(0x00180095, 200)
		d.ds(0x00181314, 150)
		d.str(0x00181312, "CS", "ROW")
	}
	parallel(n, func(i int) {
		se.frames[i], se.hits[i] = renderMRSlice(sc, h, zs[i], i, x0, y0)
	})
	return se
}

// placeMRMass puts the lesion inside the planned lobe, away from the
// brain surface and ventricles, centred on a slice.
func placeMRMass(h *head, f *mrFinding, r *rand.Rand, zs []float64) {
	sx := 1.0
	if f.Side == "right" {
		sx = -1
	}
	best := [3]float64{sx * 30, -30, 30}
	found := false
	for try := 0; try < 5000 && !found; try++ {
		x := sx * uniform(r, 12, 60)
		y := uniform(r, -80, 80)
		z := zs[r.IntN(len(zs))]
		if z < 0 || z > 70 {
			continue
		}
		a, b := h.section(z)
		rr := ellipseR(x, y, 0, 5, a, b)
		depth := (1 - rr) * math.Hypot(x, y-5) / math.Max(rr, 1e-6)
		if depth < 15+f.r*0.6+3 {
			continue
		}
		if _, in := ventricles(math.Abs(x), y, z); in {
			continue
		}
		if try < 4000 && mrLobe(x, y, z) != f.Lobe {
			continue
		}
		best, found = [3]float64{x, y, z}, true
	}
	f.center = best
	f.Lobe = mrLobe(best[0], best[1], best[2])
}

func renderMRSlice(sc *scene, h *head, z float64, idx int, x0, y0 float64) (frame, []hit) {
	const n = mrMatrix
	img := make([]float32, n*n)
	var hits []hit
	if h.mass != nil {
		hits = make([]hit, 1)
	}
	for row := 0; row < n; row++ {
		y := y0 + float64(row)*mrSpacing
		for col := 0; col < n; col++ {
			x := x0 + float64(col)*mrSpacing
			v := h.signal(x, y, z)
			if m := h.mass; m != nil && v != sigAir && v != sigBone && v != sigFat {
				d := math.Sqrt(sq(x-m.center[0]) + sq(y-m.center[1]) + sq(z-m.center[2]))
				ang := math.Atan2(y-m.center[1], x-m.center[0])
				edema := m.r * (1.6 + 0.3*math.Sin(3*ang+z/7) + 0.15*math.Sin(7*ang))
				switch {
				case d < m.r:
					v = sigLesion * (0.92 + 0.08*math.Cos(d/m.r*math.Pi))
					hits[0].add(row, col)
				case d < edema && v == sigWM:
					v = sigEdema
				}
			}
			img[row*n+col] = float32(v)
		}
	}
	blur3(img, n, n)
	rng := sc.subRNG(uint64(idx))
	pix := make([]uint16, n*n)
	for i, v := range img {
		y := float64(i/n)*mrSpacing + y0
		bias := 1 + 0.08*y/100
		re := float64(v)*bias + rng.NormFloat64()*22
		im := rng.NormFloat64() * 22
		pix[i] = uint16(math.Min(4095, math.Round(math.Hypot(re, im))))
	}
	return frame{pix: pix, pos: [3]float64{x0, y0, z}, loc: z}, hits
}
