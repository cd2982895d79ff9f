package phantom

import (
	"math"
	"math/rand/v2"
)

// CT geometry: 512×512 axial slices, 0.7 mm pixels, image centre at
// (0, 12) mm, slices from superior to inferior.
const (
	ctMatrix  = 512
	ctSpacing = 0.7
	ctCenterY = 12.0
)

// ctFinding carries a finding's render parameters.
type ctFinding struct {
	*Finding
	radius float64 // nodule and mass
	depth  float64 // effusion, pneumothorax
	topZ   float64 // effusion upper limit
	rib    int     // 0-based rib
	phi    float64 // fracture angle
}

func renderCT(sc *scene) *series {
	r := sc.rng
	c := newChest(r)
	n := sc.opts.Slices
	t := math.Round(math.Max(1, math.Min(10, 200/float64(n)))*2) / 2
	z0 := 7.5 + float64(n-1)/2*t
	zs := make([]float64, n)
	for i := range zs {
		zs[i] = z0 - float64(i)*t
	}
	fs := placeCT(sc, c, zs)
	x0 := -float64(ctMatrix-1) / 2 * ctSpacing
	y0 := ctCenterY - float64(ctMatrix-1)/2*ctSpacing
	se := &series{
		modality: "CT", rows: ctMatrix, cols: ctMatrix, spacing: [2]float64{ctSpacing, ctSpacing},
		thickness: t, orient: [6]float64{1, 0, 0, 0, 1, 0}, bitsStored: 16, signed: true,
		intercept: -1024, slope: 1, rescaleType: "HU", window: [2]float64{-600, 1500}, windowName: "LUNG",
		description: "CHEST AXIAL " + formatDS(t) + "MM", bodyPart: "CHEST",
		frames: make([]frame, n), findings: sc.findings, hits: make([][]hit, n),
	}
	kvp := []float64{100, 120, 120, 140}[r.IntN(4)]
	mas := float64(80 + r.IntN(120))
	se.attrs = func(d *dataset) {
		d.str(0x00080008, "CS", "ORIGINAL", "PRIMARY", "AXIAL")
		d.ds(0x00180060, kvp)
		d.ds(0x00181100, ctSpacing*ctMatrix)
		d.ds(0x00181120, 0)
		d.ds(0x00181130, 160)
		d.str(0x00181140, "CS", "CW")
		d.is(0x00181151, int(mas))
		d.is(0x00181152, int(mas))
		d.str(0x00181210, "SH", "LUNG")
		d.fd(0x00189345, math.Round(mas*0.08*10)/10)
		d.seq(0x00189346, code("113691", "DCM", "IEC Body Dosimetry Phantom"))
	}
	parallel(n, func(i int) {
		se.frames[i], se.hits[i] = renderCTSlice(sc, c, fs, zs[i], i, x0, y0)
	})
	return se
}

// placeCT decides where each planned finding goes in this chest.
func placeCT(sc *scene, c *chest, zs []float64) []ctFinding {
	r := sc.rng
	out := make([]ctFinding, len(sc.findings))
	for i, f := range sc.findings {
		cf := ctFinding{Finding: f}
		switch f.Type {
		case "nodule", "mass":
			cf.radius = f.SizeMM / 2
			f.center = findLungSpot(c, r, f, cf.radius, zs)
		case "pleural_effusion":
			cf.depth = map[string]float64{"small": 16, "moderate": 32, "large": 52}[f.Extent]
			cf.topZ = c.dome[sideNum(f.Side)] + map[string]float64{"small": 25, "moderate": 65, "large": 115}[f.Extent]
			f.SizeMM = cf.depth
		case "pneumothorax":
			cf.depth = map[string]float64{"small": 8, "moderate": 18, "large": 32}[f.Extent]
			f.SizeMM = cf.depth
		case "rib_fracture":
			cf.rib, cf.phi = placeRibFracture(c, f, zs)
			f.Rib = cf.rib + 1
			f.center = [3]float64{c.ribA * math.Cos(cf.phi), c.ribB * math.Sin(cf.phi), c.ribZ(cf.rib, cf.phi)}
			f.Location = "posterolateral"
		}
		out[i] = cf
	}
	return out
}

// placeRibFracture finds a rib (starting from the planned number) and an
// angle on the posterolateral arc where that rib crosses a slice centre, so
// the fracture gap lies on an image.
func placeRibFracture(c *chest, f *Finding, zs []float64) (rib int, phi float64) {
	order := []int{f.Rib - 1}
	for d := 1; d < 12; d++ {
		order = append(order, f.Rib-1+d, f.Rib-1-d)
	}
	for _, k := range order {
		if k < 1 || k > 10 {
			continue
		}
		for j := range zs {
			z := zs[(j+len(zs)/2)%len(zs)]
			sin := 1 - 2*(c.rib0Z-ribPitch*float64(k)-z)/ribDrop
			if sin < 0.2 || sin > 0.95 {
				continue
			}
			phi = math.Asin(sin)
			if f.Side == "right" {
				phi = math.Pi - phi
			}
			return k, phi
		}
	}
	return f.Rib - 1, math.Pi / 2
}

func sideNum(side string) int {
	if side == "right" {
		return 0
	}
	return 1
}

// findLungSpot picks a sphere centre inside the planned lobe with the whole
// sphere in lung, its z on a slice centre; it relabels the lobe if the
// planned one has no room.
func findLungSpot(c *chest, r *rand.Rand, f *Finding, rad float64, zs []float64) [3]float64 {
	sx := 1.0
	if f.Side == "right" {
		sx = -1
	}
	var best [3]float64
	for try := 0; try < 6000; try++ {
		x := sx * (25 + r.Float64()*(c.cavA-25))
		y := -c.cavB + r.Float64()*2*c.cavB
		z := zs[r.IntN(len(zs))]
		ok := c.lung(x, y, z)
		for _, d := range [][3]float64{{1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}, {0, 0, 1}, {0, 0, -1},
			{0.7, 0.7, 0}, {-0.7, 0.7, 0}, {0.7, -0.7, 0}, {-0.7, -0.7, 0}} {
			if !ok {
				break
			}
			m := rad + 3
			ok = c.lung(x+d[0]*m, y+d[1]*m, z+d[2]*m)
		}
		if !ok {
			continue
		}
		if c.lobe(x, y, z) == f.Lobe || try > 4000 {
			f.Lobe = c.lobe(x, y, z)
			return [3]float64{x, y, z}
		}
		if best == ([3]float64{}) {
			best = [3]float64{x, y, z}
		}
	}
	if best == ([3]float64{}) {
		best = [3]float64{sx * 80, 0, zs[len(zs)/2]}
	}
	f.Lobe = c.lobe(best[0], best[1], best[2])
	return best
}

// renderCTSlice draws one axial slice at height z.
func renderCTSlice(sc *scene, c *chest, fs []ctFinding, z float64, idx int, x0, y0 float64) (frame, []hit) {
	const n = ctMatrix
	img := make([]float32, n*n)
	lungMask := make([]bool, n*n)
	hits := make([]hit, len(fs))
	disc := math.Abs(math.Mod(z+1000, 26)-13) > 10.5
	for row := 0; row < n; row++ {
		y := y0 + float64(row)*ctSpacing
		for col := 0; col < n; col++ {
			x := x0 + float64(col)*ctSpacing
			hu, lung, fi := c.baseHU(fs, x, y, z, disc)
			img[row*n+col] = float32(hu)
			lungMask[row*n+col] = lung
			if fi >= 0 {
				hits[fi].add(row, col)
			}
		}
	}
	// pulmonary vessels: capsules where a segment crosses this slab
	for _, v := range c.vessels {
		drawVesselSection(img, lungMask, v, z, x0, y0)
	}
	// nodules and masses
	for i, f := range fs {
		if f.radius == 0 {
			continue
		}
		dz := z - f.center[2]
		if math.Abs(dz) >= f.radius {
			continue
		}
		rs := math.Sqrt(f.radius*f.radius - dz*dz)
		hu := map[string]float64{"solid": 38, "ground-glass": -560, "calcified": 320}[f.Density]
		c0 := int((f.center[0] - x0) / ctSpacing)
		r0 := int((f.center[1] - y0) / ctSpacing)
		rp := int(rs/ctSpacing) + 2
		for row := max(0, r0-rp); row <= min(n-1, r0+rp); row++ {
			for col := max(0, c0-rp); col <= min(n-1, c0+rp); col++ {
				x, y := x0+float64(col)*ctSpacing, y0+float64(row)*ctSpacing
				// gently lobulated outline for masses
				lob := 1.0
				if f.Type == "mass" {
					lob = 1 + 0.08*math.Sin(5*math.Atan2(y-f.center[1], x-f.center[0])+f.center[2])
				}
				if math.Hypot(x-f.center[0], y-f.center[1]) <= rs*lob {
					img[row*n+col] = float32(hu)
					hits[i].add(row, col)
				}
			}
		}
	}
	blur3(img, n, n)
	addNoise(img, sc.subRNG(uint64(idx)), 11)
	pix := make([]uint16, n*n)
	for i, v := range img {
		s := math.Round(float64(v)) + 1024
		s = math.Max(0, math.Min(4095, s))
		pix[i] = uint16(int16(s))
	}
	return frame{pix: pix, pos: [3]float64{x0, y0, z}, loc: z}, hits
}

// baseHU classifies one point; lung reports aerated lung (vessels and
// nodules may be drawn over it); fi is the finding drawn there or -1.
func (c *chest) baseHU(fs []ctFinding, x, y, z float64, disc bool) (hu float64, lung bool, fi int) {
	fi = -1
	rb := bodyR(x, y, c.bodyA, c.bodyB)
	if rb > 1 {
		ty := c.bodyB + 7 + x*x/5000
		if math.Abs(x) < 210 && y > ty && y < ty+12 {
			if y < ty+2 || y > ty+10 {
				return 250, false, fi
			}
			return -700, false, fi
		}
		return -1000, false, fi
	}
	if v, ok := c.spine(x, y, disc); ok {
		return v, false, fi
	}
	if bodyR(x, y, c.bodyA-c.fat, c.bodyB-c.fat) > 1 {
		if rb > 1-2.0/c.bodyB {
			return 25, false, fi
		}
		return -105, false, fi
	}
	if !inEllipse(x, y, 0, 0, c.cavA, c.cavB) {
		return c.wallHU(fs, x, y, z)
	}
	if v, ok := c.mediastinal(x, y, z); ok {
		return v, false, fi
	}
	if c.heart(x, y, z, 0) && z > c.diaphragmZ(x, y)-8 {
		return 40, false, fi
	}
	if c.heart(x, y, z, 3.5) && z > c.diaphragmZ(x, y)-8 {
		return -95, false, fi
	}
	if z < c.diaphragmZ(x, y) {
		if x < 10 {
			return 58, false, fi // liver
		}
		if inEllipse(x, y, 55, -30, 32*math.Sqrt(clamp01(1-sq((z-c.dome[1]+28)/16))), 24) {
			return -1000, false, fi // gastric air
		}
		return 46, false, fi
	}
	if !c.lung(x, y, z) {
		if math.Abs(x) > 50 && z > c.heartTop {
			return 45, false, fi // chest wall above the lung apex
		}
		return -88, false, fi
	}
	depth, phi := c.wallDepth(x, y)
	side := sideIdx(x)
	for i, f := range fs {
		if sideNum(f.Side) != side {
			continue
		}
		switch f.Type {
		case "pleural_effusion":
			d := f.depth * clamp01((f.topZ-z)/40) * math.Pow(math.Max(0, math.Sin(phi)), 0.7)
			if depth < d {
				return 14, false, i
			}
		case "pneumothorax":
			w := clamp01(0.45 - 0.8*math.Sin(phi))
			d := f.depth * w * clamp01((z-c.dome[side])/30) * clamp01((c.apexZ-z)/15)
			if depth < d {
				return -1000, false, i
			}
			if d > 0 && depth < d+1.1 {
				return -380, false, fi
			}
		}
	}
	return -865, true, fi
}

func sq(x float64) float64 { return x * x }

// bodyR is the normalised radius of the body outline: an ellipse in front,
// flattened behind (the back rests on the table).
func bodyR(x, y, a, b float64) float64 {
	if y <= 0 {
		return ellipseR(x, y, 0, 0, a, b)
	}
	u, v := x/a, y/b
	return math.Sqrt(u*u + v*v*v)
}

// wallHU is the chest wall between fat and pleura: muscle, ribs, costal
// cartilage, sternum and scapulae.
func (c *chest) wallHU(fs []ctFinding, x, y, z float64) (float64, bool, int) {
	if inEllipse(x, y, 0, -(c.cavB+8), 15, 6) && z > c.heartZ-45 && z < c.apexZ-12 {
		if inEllipse(x, y, 0, -(c.cavB + 8), 13, 4.5) {
			return 300, false, -1
		}
		return 700, false, -1
	}
	if z > c.apexZ-95 {
		sx := 1.0
		if x < 0 {
			sx = -1
		}
		if segDist2(x, y, sx*45, c.cavB+14, sx*(c.cavA-10), c.cavB-12) < 6.5 {
			return 620, false, -1
		}
	}
	rn := ellipseR(x, y, 0, 0, c.ribA, c.ribB)
	rr := math.Hypot(x, y)
	dr := (rn - 1) * rr / rn
	if math.Abs(dr) < 7.5 && !(math.Abs(x) < 30 && y > 0) && math.Abs(x) > 16 {
		phi := math.Atan2(y/c.ribB, x/c.ribA)
		base := c.rib0Z - ribDrop*(1-math.Sin(phi))/2
		k := int(math.Round((base - z) / ribPitch))
		if k >= 0 && k < 12 && math.Abs(z-c.ribZ(k, phi)) < 4.5 {
			for i, f := range fs {
				if f.Type != "rib_fracture" || f.rib != k || sideNum(f.Side) != sideIdx(x) {
					continue
				}
				arc := math.Abs(math.Remainder(phi-f.phi, 2*math.Pi)) * rr / rn
				if arc < 1.3 {
					return 50, false, i
				}
				if y < f.center[1] { // displaced anterior fragment
					dr -= 2.4
				}
			}
			switch {
			case math.Abs(dr) >= 4.5:
			case y < 0 && math.Abs(x) < 48:
				return 115, false, -1 // costal cartilage
			case math.Abs(dr) > 3.1:
				return 820, false, -1
			default:
				return 320, false, -1
			}
		}
	}
	return 45, false, -1
}

// drawVesselSection paints the part of vessel v that lies within ±3 mm of
// the slice plane as a capsule over aerated lung.
func drawVesselSection(img []float32, lung []bool, v vessel, z, x0, y0 float64) {
	h := 0.9 + v.r*0.4
	za, zb := v.a[2], v.b[2]
	if math.Min(za, zb) > z+h || math.Max(za, zb) < z-h {
		return
	}
	t0, t1 := 0.0, 1.0
	if dz := zb - za; math.Abs(dz) > 1e-6 {
		ta, tb := (z-h-za)/dz, (z+h-za)/dz
		t0, t1 = math.Max(0, math.Min(ta, tb)), math.Min(1, math.Max(ta, tb))
	}
	ax, ay := v.a[0]+t0*(v.b[0]-v.a[0]), v.a[1]+t0*(v.b[1]-v.a[1])
	bx, by := v.a[0]+t1*(v.b[0]-v.a[0]), v.a[1]+t1*(v.b[1]-v.a[1])
	rad := v.r
	strength := math.Min(1, rad/0.9)
	cmin := int((math.Min(ax, bx)-rad-x0)/ctSpacing) - 1
	cmax := int((math.Max(ax, bx)+rad-x0)/ctSpacing) + 1
	rmin := int((math.Min(ay, by)-rad-y0)/ctSpacing) - 1
	rmax := int((math.Max(ay, by)+rad-y0)/ctSpacing) + 1
	for row := max(0, rmin); row <= min(ctMatrix-1, rmax); row++ {
		for col := max(0, cmin); col <= min(ctMatrix-1, cmax); col++ {
			i := row*ctMatrix + col
			if !lung[i] {
				continue
			}
			x, y := x0+float64(col)*ctSpacing, y0+float64(row)*ctSpacing
			if segDist2(x, y, ax, ay, bx, by) <= rad*rad {
				img[i] = float32(-865 + 900*strength)
			}
		}
	}
}
