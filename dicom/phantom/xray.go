package phantom

import (
	"math"
	"math/rand/v2"
)

// Chest radiograph geometry: a PA projection on a 1024×1248 detector of
// 0.35 mm pixels with magnification 1.1, so 0.318 mm at the patient. The
// drawing is done in patient millimetres: x to the patient's left (image
// right, as a PA film is viewed), z superior; row 0 lies at z = xrayTopZ.
const (
	xrCols     = 1024
	xrRows     = 1248
	xrDetPitch = 0.35
	xrMag      = 1.1
	xrayTopZ   = 175.0
	muSoft     = 0.020 // attenuation per mm of soft tissue
	muLung     = 0.0055
	muBone     = 0.045
)

// xrChest is the projected thorax of one study.
type xrChest struct {
	w       float64    // thorax half-width at the ribs
	dome    [2]float64 // hemidiaphragm tops: right, left
	apex    float64
	tmax    float64 // lung AP thickness at its thickest
	heartCx float64
	heartCz float64
	heartA  float64
	heartB  float64
}

// lungT is the AP path length (mm) through lung of side s (-1 right, +1
// left) at (x, z); 0 outside the lung.
func (c *xrChest) lungT(s, x, z float64) float64 {
	ax := x * s
	if ax <= 0 || z > c.apex {
		return 0
	}
	k := math.Sqrt(clamp01(1 - sq((z-60)/(c.apex-60))))
	if z < 60 {
		k = 1
	}
	med := 26.0
	if s > 0 && z > 30 && z < 95 {
		med = 26 + 17*math.Exp(-sq((z-62)/11)) // aortic knob
	}
	med = math.Max(med, c.heartEdge(s, z))
	lat := (c.w - 10) * (0.86 + 0.14*smoothstep(60, -60, z))
	xm := 65 - (65-med)*k
	xl := 65 + (lat-65)*k
	if ax <= xm || ax >= xl {
		return 0
	}
	u := (ax - xm) / (xl - xm)
	v := 2*u - 1
	t := c.tmax * (1 - v*v*v*v) * (0.35 + 0.65*math.Sqrt(u)) * math.Sqrt(k)
	zd := c.diaphragmZ(s, x)
	return t * smoothstep(zd-1, zd+5, z)
}

// diaphragmZ is the top of the hemidiaphragm silhouette at x.
func (c *xrChest) diaphragmZ(s, x float64) float64 {
	ax := x * s
	top := c.dome[0]
	if s > 0 {
		top = c.dome[1]
	}
	const peak = 55.0
	if ax > peak {
		return top - 52*sq((ax-peak)/(c.w-10-peak))
	}
	return top - 18*sq((peak-ax)/peak)
}

// heartAxes returns the cardiac ellipse's long-axis direction: tilted
// down towards the patient's left, as the cardiac apex points.
func heartAxes() (c, sn float64) { return math.Cos(0.62), math.Sin(0.62) }

// heartEdge is |x| of the cardiac border on side s at height z (0 above
// and below the heart), where a horizontal line crosses the tilted ellipse.
func (c *xrChest) heartEdge(s, z float64) float64 {
	co, sn := heartAxes()
	dz := z - c.heartCz
	ia, ib := 1/(c.heartA*c.heartA), 1/(c.heartB*c.heartB)
	qa := co*co*ia + sn*sn*ib
	qb := 2 * dz * co * sn * (ib - ia)
	qc := dz*dz*(sn*sn*ia+co*co*ib) - 1
	disc := qb*qb - 4*qa*qc
	if disc <= 0 {
		return 0
	}
	if s > 0 {
		return math.Max(0, c.heartCx+(-qb+math.Sqrt(disc))/(2*qa))
	}
	return math.Max(0, -(c.heartCx + (-qb-math.Sqrt(disc))/(2*qa)))
}

// heartT is the AP thickness of the heart at (x, z).
func (c *xrChest) heartT(x, z float64) float64 {
	co, sn := heartAxes()
	dx, dz := x-c.heartCx, z-c.heartCz
	u := (dx*co - dz*sn) / c.heartA
	v := (dx*sn + dz*co) / c.heartB
	r := u*u + v*v
	if r >= 1 {
		return 0
	}
	return 170 * math.Sqrt(1-r)
}

func chord(d2, r float64) float64 {
	if d2 >= r*r {
		return 0
	}
	return 2 * math.Sqrt(r*r-d2)
}

type xrFinding struct {
	*Finding
	r        float64
	collapse float64 // pneumothorax: lung scale towards the hilum
	top      float64 // effusion: level at the medial end
	rib      int
	t        float64 // rib fracture: curve parameter
}

func renderXRay(sc *scene) *series {
	r := sc.rng
	s := uniform(r, 0.93, 1.06)
	c := &xrChest{w: 142 * s, dome: [2]float64{uniform(r, -85, -70), uniform(r, -100, -85)}, apex: uniform(r, 132, 142),
		tmax: 150 * s, heartCx: uniform(r, 14, 24), heartA: uniform(r, 66, 74), heartB: uniform(r, 50, 56)}
	c.heartCz = c.dome[1] + 40
	ps := xrDetPitch / xrMag
	fs := placeXRay(sc, c, r)
	a := make([]float64, xrRows*xrCols)
	hits := make([]hit, len(fs))
	ribs := buildRibs(c, r)
	vessels := make([]float32, len(a))
	drawVessels(c, r, vessels, ps)
	bones := make([]float32, len(a))
	for i, rb := range ribs {
		stampCurve(bones, rb, ps, fs, i, hits)
	}
	// trunk, lungs, heart, spine, airway: bands of rows in parallel, each
	// with its own hit counts, merged in band order afterwards
	const band = 64
	nb := (xrRows + band - 1) / band
	bandHits := make([][]hit, nb)
	parallel(nb, func(bi int) {
		bandHits[bi] = make([]hit, len(fs))
		c.trunkRows(fs, a, bones, vessels, bandHits[bi], bi*band, min(xrRows, (bi+1)*band), ps)
	})
	for _, bh := range bandHits {
		for fi := range hits {
			hits[fi].merge(bh[fi])
		}
	}
	// nodules and masses: spheres of soft tissue (or calcium) in the lung
	for fi, f := range fs {
		if f.r == 0 {
			continue
		}
		mu := 1.8 * (muSoft - muLung) // a nodule is denser than the lung it replaces
		if f.Density == "calcified" {
			mu = muBone * 1.4
		}
		c0 := float64(xrCols-1)/2 + f.center[0]/ps
		r0 := (xrayTopZ - f.center[2]) / ps
		rp := f.r/ps + 2
		for row := int(r0 - rp); row <= int(r0+rp); row++ {
			for col := int(c0 - rp); col <= int(c0+rp); col++ {
				if row < 0 || col < 0 || row >= xrRows || col >= xrCols {
					continue
				}
				d2 := (sq(float64(row)-r0) + sq(float64(col)-c0)) * ps * ps
				if ch := chord(d2, f.r); ch > 0 {
					a[row*xrCols+col] += mu * ch
					hits[fi].add(row, col)
				}
			}
		}
	}
	pix := xrayPixels(a, sc.subRNG(1))
	se := &series{
		modality: sc.opts.Modality, rows: xrRows, cols: xrCols, spacing: [2]float64{xrDetPitch, xrDetPitch},
		mag: xrMag, bitsStored: 12, slope: 1, window: [2]float64{2048, 4096}, windowName: "DEFAULT",
		description: "CHEST PA", bodyPart: "CHEST", frames: []frame{{pix: pix}},
		findings: sc.findings, hits: [][]hit{hits},
	}
	xrayAttrs(se, r)
	return se
}

// trunkRows computes the attenuation of rows [r0, r1): body, lungs, heart,
// pleural findings, spine, airway and bones.
func (c *xrChest) trunkRows(fs []xrFinding, a []float64, bones, vessels []float32, hits []hit, r0, r1 int, ps float64) {
	for row := r0; row < r1; row++ {
		z := xrayTopZ - float64(row)*ps
		bw, depth := bodyWidth(c, z)
		for col := 0; col < xrCols; col++ {
			x := (float64(col) - float64(xrCols-1)/2) * ps
			i := row*xrCols + col
			tb := depth * math.Sqrt(clamp01(1-sq(x/bw))) * 2
			if tb == 0 {
				a[i] = float64(bones[i]) * muBone
				continue
			}
			side := 1.0
			if x < 0 {
				side = -1
			}
			tl := c.lungT(side, x, z)
			ht := c.heartT(x, z)
			tl = math.Max(0, tl-ht*0.9)
			tair := 0.0   // free pleural air
			line := false // visceral pleural line
			vessel := float64(vessels[i])
			for fi, f := range fs {
				if sideNum(f.Side) != sideIdx(x) {
					continue
				}
				switch f.Type {
				case "pneumothorax":
					hx, hz := side*50, 0.0
					mx, mz := hx+(x-hx)/f.collapse, hz+(z-hz)/f.collapse
					tc := c.lungT(side, mx, mz) * f.collapse
					if tl > 0 && tc == 0 {
						// free pleural air: lung markings absent, visceral line at the edge
						mx2, mz2 := hx+(x-hx)/f.collapse*0.985, hz+(z-hz)/f.collapse*0.985
						if c.lungT(side, mx2, mz2) > 0 {
							line = true
						} else {
							hits[fi].add(row, col)
						}
						vessel *= 0.1
						tair, tl = tl, 0
					} else if tl > 0 && tc < tl {
						tair, tl = tl-tc, tc
					}
				case "pleural_effusion":
					xl := c.w - 10
					u := clamp01((math.Abs(x) - 30) / (xl - 30))
					lvl := f.top + 50*math.Pow(u, 1.5)
					ff := smoothstep(lvl+7, lvl-9, z)
					if ff > 0 && tl > 0 {
						if ff > 0.5 {
							hits[fi].add(row, col)
						}
						tl *= 1 - ff
						vessel *= 1 - ff
					}
				}
			}
			att := muSoft*(tb-tl-tair) + muLung*tl
			if tl > 0 {
				att += 3 * (muSoft - muLung) * vessel * math.Min(1, tl/40)
			}
			if line {
				att += muSoft * 4
			}
			att += spineAtt(x, z) + airwayAtt(x, z, c) + float64(bones[i])*muBone
			if ht == 0 && x > 35 && x < 90 {
				att -= muSoft * 30 * math.Sqrt(clamp01(1-sq((x-62)/22)-sq((z-c.diaphragmZ(1, x)+22)/13))) // gastric air
			}
			a[i] = att
		}
	}
}

// bodyWidth is the half-width and AP half-depth of the body at height z:
// thorax, then shoulders, then neck.
func bodyWidth(c *xrChest, z float64) (half, depth float64) {
	thorax := c.w + 14
	switch {
	case z < 95:
		return thorax, 105
	case z < 150:
		k := smoothstep(95, 120, z)
		return thorax + 40*k, 105 - 30*k
	}
	k := smoothstep(150, 168, z)
	return (thorax+40)*(1-k) + 58*k, 75*(1-k) + 55*k
}

// spineAtt is the thoracic spine: vertebral bodies, discs and pedicles.
func spineAtt(x, z float64) float64 {
	if math.Abs(x) > 26 {
		return 0
	}
	m := math.Mod(z+1000, 26)
	body := chord(x*x, 19) * 0.22
	if m < 4 {
		body *= 0.25 // disc space
	} else if m < 5.5 || m > 24.5 {
		body *= 1.4 // end plates
	}
	// pedicles: small cortical rings on each side in the upper half
	for _, px := range [2]float64{-14, 14} {
		d2 := sq(x-px)/9 + sq(m-17)/36
		if d2 < 1 {
			body += 4 * (0.4 + 0.6*d2)
		}
	}
	// spinous process, projected over the lower part of each body
	if d2 := sq(x)/16 + sq(m-8)/30; d2 < 1 {
		body += 5 * (1 - d2)
	}
	return body * muBone
}

// airwayAtt is the (negative) contribution of the trachea and main bronchi.
func airwayAtt(x, z float64, c *xrChest) float64 {
	carina := c.heartCz + 95
	if z > carina {
		return -muSoft * chord(x*x, 8)
	}
	if z > carina-35 {
		dz := carina - z
		for _, s := range [2]float64{-1, 1} {
			bx := s * dz * (0.75 + 0.25*(s+1)/2)
			if d := x - bx; math.Abs(d) < 7 {
				return -muSoft * chord(d*d, 6.5)
			}
		}
	}
	return 0
}

// xrayPixels maps attenuation to 12-bit presentation values (bone bright),
// with a film-like curve and quantum noise.
func xrayPixels(a []float64, r *rand.Rand) []uint16 {
	img := make([]float32, len(a))
	for i, v := range a {
		img[i] = float32(1 - math.Exp(-sq(math.Max(0, v)/2.5)))
	}
	blur3(img, xrRows, xrCols)
	// unsharp masking, as radiograph processing does: local contrast up
	low := boxBlur(img, xrRows, xrCols, 24)
	for i := range img {
		img[i] += 0.7 * (img[i] - low[i])
	}
	addNoise(img, r, 0.008)
	pix := make([]uint16, len(a))
	for i, v := range img {
		pix[i] = uint16(math.Max(0, math.Min(4095, math.Round(float64(v)*4095*0.96+60))))
	}
	return pix
}
