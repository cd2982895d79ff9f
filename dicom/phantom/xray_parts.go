package phantom

import (
	"math"
	"math/rand/v2"
)

// xrCurve is a projected bone drawn along a polyline (x, z in mm).
type xrCurve struct {
	pts    [][2]float64
	r      float64 // radius
	shell  float64 // 0 solid, towards 1 hollow (bright cortical edges)
	weight float64
	rib    int     // 1-based rib number, 0 for other bones
	side   float64 // -1 right, +1 left
	post   bool    // posterior rib segment
}

// bezier samples a quadratic Bézier curve every ~0.6 mm.
func bezier(p0, p1, p2 [2]float64) [][2]float64 {
	l := math.Hypot(p1[0]-p0[0], p1[1]-p0[1]) + math.Hypot(p2[0]-p1[0], p2[1]-p1[1])
	n := int(l/0.6) + 2
	out := make([][2]float64, n)
	for i := range out {
		t := float64(i) / float64(n-1)
		a, b, c := (1-t)*(1-t), 2*(1-t)*t, t*t
		out[i] = [2]float64{a*p0[0] + b*p1[0] + c*p2[0], a*p0[1] + b*p1[1] + c*p2[1]}
	}
	return out
}

// buildRibs lays out ten ribs per side (posterior and anterior arcs), the
// clavicles and the humeral heads.
func buildRibs(c *xrChest, r *rand.Rand) []xrCurve {
	var out []xrCurve
	w := c.w
	for _, s := range [2]float64{-1, 1} {
		for k := 1; k <= 10; k++ {
			kf := float64(k)
			zk := c.apex - 8 - 21*(kf-1) + uniform(r, -1.5, 1.5)
			p0, p1, p2 := [2]float64{s * 16, zk}, [2]float64{s * 0.5 * w, zk + 22}, [2]float64{s * (w - 4), zk - 30 - 2*kf}
			q1, q2 := [2]float64{s * (w - 18), zk - 58 - 2*kf}, [2]float64{s * (38 + 2*kf), zk - 66 - 3*kf}
			if k == 1 {
				p0, p1, p2 = [2]float64{s * 20, c.apex - 10}, [2]float64{s * 45, c.apex + 8}, [2]float64{s * 72, c.apex - 14}
				q1, q2 = [2]float64{s * 66, c.apex - 34}, [2]float64{s * 34, c.apex - 42}
			}
			out = append(out,
				xrCurve{pts: bezier(p0, p1, p2), r: 4.2, shell: 0.6, weight: 0.6, rib: k, side: s, post: true},
				xrCurve{pts: bezier(p2, q1, q2), r: 5.2, shell: 0.7, weight: 0.55, rib: k, side: s})
		}
		out = append(out,
			xrCurve{pts: bezier([2]float64{s * 18, c.apex - 28}, [2]float64{s * 75, c.apex - 40}, [2]float64{s * 160, c.apex - 5}),
				r: 6.5, shell: 0.45, weight: 1.3, side: s},
			xrCurve{pts: [][2]float64{{s * (w + 34), c.apex - 22}, {s * (w + 34), c.apex - 21}}, r: 25, shell: 0.3, weight: 0.9, side: s},
			// lateral border of the scapula, faint
			xrCurve{pts: bezier([2]float64{s * (w + 18), c.apex - 35}, [2]float64{s * (w - 2), c.apex - 90}, [2]float64{s * (w - 20), c.apex - 150}),
				r: 7, shell: 0.2, weight: 0.35, side: s})
	}
	return out
}

// stampCurve adds the bone path length of one curve into bones (mm). A rib
// fracture finding on this rib leaves a gap and offsets the distal part.
func stampCurve(bones []float32, cv xrCurve, ps float64, fs []xrFinding, _ int, hits []hit) {
	pts := cv.pts
	var gap *[4]float64 // fracture point and unit tangent
	for fi, f := range fs {
		if f.Type != "rib_fracture" || f.rib != cv.rib || !cv.post || sideNum(f.Side) != sideIdx(cv.side) {
			continue
		}
		n := len(pts)
		cut := int(f.t * float64(n-1))
		nx, nz := -(pts[min(cut+1, n-1)][1] - pts[cut][1]), pts[min(cut+1, n-1)][0]-pts[cut][0]
		l := math.Hypot(nx, nz)
		moved := make([][2]float64, 0, n)
		for i, p := range pts {
			switch {
			case i > cut:
				p = [2]float64{p[0] + 1.8*nx/l, p[1] + 1.8*nz/l}
			}
			moved = append(moved, p)
		}
		fp := pts[cut]
		gap = &[4]float64{fp[0], fp[1], nz / l, -nx / l}
		c0, r0 := float64(xrCols-1)/2+fp[0]/ps, (xrayTopZ-fp[1])/ps
		rp := (cv.r + 2) / ps
		for row := int(r0 - rp); row <= int(r0+rp); row++ {
			for col := int(c0 - rp); col <= int(c0+rp); col++ {
				if row >= 0 && col >= 0 && row < xrRows && col < xrCols && sq(float64(row)-r0)+sq(float64(col)-c0) <= rp*rp {
					hits[fi].add(row, col)
				}
			}
		}
		pts = moved
	}
	minX, maxX, minZ, maxZ := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, p := range pts {
		minX, maxX = math.Min(minX, p[0]), math.Max(maxX, p[0])
		minZ, maxZ = math.Min(minZ, p[1]), math.Max(maxZ, p[1])
	}
	c0 := max(0, int(float64(xrCols-1)/2+(minX-cv.r)/ps)-1)
	c1 := min(xrCols-1, int(float64(xrCols-1)/2+(maxX+cv.r)/ps)+1)
	r0 := max(0, int((xrayTopZ-maxZ-cv.r)/ps)-1)
	r1 := min(xrRows-1, int((xrayTopZ-minZ+cv.r)/ps)+1)
	if c0 > c1 || r0 > r1 {
		return
	}
	bw := c1 - c0 + 1
	dist := make([]float32, bw*(r1-r0+1))
	for i := range dist {
		dist[i] = math.MaxFloat32
	}
	rp := int(cv.r/ps) + 1
	for _, p := range pts {
		pc, pr := float64(xrCols-1)/2+p[0]/ps, (xrayTopZ-p[1])/ps
		for row := max(r0, int(pr)-rp); row <= min(r1, int(pr)+rp); row++ {
			for col := max(c0, int(pc)-rp); col <= min(c1, int(pc)+rp); col++ {
				d2 := float32((sq(float64(row)-pr) + sq(float64(col)-pc)) * ps * ps)
				j := (row-r0)*bw + col - c0
				if d2 < dist[j] {
					dist[j] = d2
				}
			}
		}
	}
	for row := r0; row <= r1; row++ {
		for col := c0; col <= c1; col++ {
			d2 := float64(dist[(row-r0)*bw+col-c0])
			if d2 >= cv.r*cv.r {
				continue
			}
			if gap != nil {
				px, pz := (float64(col)-float64(xrCols-1)/2)*ps, xrayTopZ-float64(row)*ps
				if math.Abs((px-gap[0])*gap[2]+(pz-gap[1])*gap[3]) < 1.1 {
					continue // fracture line
				}
			}
			v := chord(d2, cv.r) - cv.shell*chord(d2, cv.r-1.6)
			bones[row*xrCols+col] += float32(cv.weight * v)
		}
	}
}

// drawVessels paints branching pulmonary vessel trees from each hilum as
// soft-tissue path lengths (mm), later masked by the lung.
func drawVessels(c *xrChest, r *rand.Rand, out []float32, ps float64) {
	for _, s := range [2]float64{-1, 1} {
		hx, hz := s*48, c.heartCz+62
		for i := 0; i < 9; i++ {
			ang := uniform(r, -2.4, 2.4) // radians from the lateral direction
			growXRVessel(c, r, out, ps, s, hx, hz, s*math.Cos(ang), math.Sin(ang)-0.25, 30, 3.6, 0)
		}
	}
}

func growXRVessel(c *xrChest, r *rand.Rand, out []float32, ps, s, x, z, dx, dz, l, rad float64, depth int) {
	n := math.Hypot(dx, dz)
	dx, dz = dx/n, dz/n
	x1, z1 := x+dx*l, z+dz*l
	if depth > 1 && c.lungT(s, x1, z1) < 1 {
		return
	}
	c0, c1 := int(float64(xrCols-1)/2+(math.Min(x, x1)-rad)/ps), int(float64(xrCols-1)/2+(math.Max(x, x1)+rad)/ps)+1
	r0, r1 := int((xrayTopZ-math.Max(z, z1)-rad)/ps), int((xrayTopZ-math.Min(z, z1)+rad)/ps)+1
	for row := max(0, r0); row <= min(xrRows-1, r1); row++ {
		pz := xrayTopZ - float64(row)*ps
		for col := max(0, c0); col <= min(xrCols-1, c1); col++ {
			px := (float64(col) - float64(xrCols-1)/2) * ps
			if v := float32(chord(segDist2(px, pz, x, z, x1, z1), rad)); v > out[row*xrCols+col] {
				out[row*xrCols+col] = v
			}
		}
	}
	if depth >= 6 {
		return
	}
	for k := 0; k < 2; k++ {
		a := uniform(r, 0.25, 0.6)
		if k == 1 {
			a = -a
		}
		ca, sa := math.Cos(a), math.Sin(a)
		growXRVessel(c, r, out, ps, s, x1, z1, dx*ca-dz*sa, dx*sa+dz*ca, l*uniform(r, 0.68, 0.8), rad*0.74, depth+1)
	}
}

// placeXRay decides where each planned finding goes on the radiograph.
func placeXRay(sc *scene, c *xrChest, r *rand.Rand) []xrFinding {
	out := make([]xrFinding, len(sc.findings))
	for i, f := range sc.findings {
		xf := xrFinding{Finding: f}
		s := -1.0
		if f.Side == "left" {
			s = 1
		}
		switch f.Type {
		case "nodule", "mass":
			xf.r = f.SizeMM / 2
			lo, hi := c.dome[sideNum(f.Side)]+20, -5.0
			switch zone(f.Lobe) {
			case "upper":
				lo, hi = 45, c.apex-30
			case "mid":
				lo, hi = -5, 45
			}
			f.center = [3]float64{s * 80, 0, (lo + hi) / 2}
			for try := 0; try < 3000; try++ {
				x, z := s*uniform(r, 30, c.w), uniform(r, lo, hi)
				m := xf.r + 6
				if c.lungT(s, x, z) > 0.5*c.tmax && c.heartT(x, z) == 0 && c.lungT(s, x+m, z) > 0.25*c.tmax &&
					c.lungT(s, x-m, z) > 0.25*c.tmax && c.lungT(s, x, z+m) > 0.25*c.tmax && c.lungT(s, x, z-m) > 0.25*c.tmax {
					f.center = [3]float64{x, 0, z}
					break
				}
			}
		case "pleural_effusion":
			h := map[string]float64{"small": -8, "moderate": 22, "large": 70}[f.Extent]
			xf.top = c.dome[sideNum(f.Side)] + h
			f.SizeMM = h + 52 // height of the meniscus above the costophrenic angle
		case "pneumothorax":
			xf.collapse = map[string]float64{"small": 0.9, "moderate": 0.78, "large": 0.62}[f.Extent]
			f.SizeMM = math.Round((c.apex - 0) * (1 - xf.collapse)) // apical rim
		case "rib_fracture":
			xf.rib = f.Rib
			xf.t = uniform(r, 0.72, 0.88)
			w := c.w
			zk := c.apex - 8 - 21*float64(f.Rib-1)
			pts := bezier([2]float64{s * 16, zk}, [2]float64{s * 0.5 * w, zk + 22}, [2]float64{s * (w - 4), zk - 30 - 2*float64(f.Rib)})
			p := pts[int(xf.t*float64(len(pts)-1))]
			f.center = [3]float64{p[0], 0, p[1]}
			f.Location = "lateral"
		}
		out[i] = xf
	}
	return out
}

// xrayAttrs sets the CR or DX specific modules.
func xrayAttrs(se *series, r *rand.Rand) {
	kvp := float64(110 + 5*r.IntN(5))
	ms := 4 + r.IntN(12)
	ma := 200 + 50*r.IntN(6)
	if se.modality == "DX" {
		se.rescaleType = "US"
	}
	se.attrs = func(d *dataset) {
		d.str(0x00080008, "CS", "ORIGINAL", "PRIMARY")
		d.str(0x00185101, "CS", "PA")
		d.ds(0x00180060, kvp)
		d.ds(0x00181110, 1800)
		d.is(0x00181150, ms)
		d.is(0x00181151, ma)
		d.is(0x00181152, max(1, (ma*ms+500)/1000))
		d.ds(0x00181164, se.spacing[:]...)
		if se.modality == "CR" {
			d.str(0x00181004, "LO", "PHANTOM-PLATE-1")
			return
		}
		d.str(0x00080068, "CS", "FOR PRESENTATION")
		d.str(0x00200062, "CS", "U")
		d.seq(0x00082218, code("51185008", "SCT", "Chest"))
		d.str(0x00281040, "CS", "LOG")
		d.ss(0x00281041, -1)
		d.str(0x20500020, "CS", "IDENTITY")
		d.str(0x00187004, "CS", "SCINTILLATOR")
		d.str(0x00181508, "CS", "COLUMN")
		d.ds(0x00181111, 1800/se.mag)
		d.ds(0x00181114, se.mag)
		d.seq(0x00540220, code("399348003", "SCT", "postero-anterior"))
		d.seq(0x00400555)
	}
}
