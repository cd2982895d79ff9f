package phantom

import (
	"math"
	"math/rand/v2"
)

// chest is the analytic thorax shared by the CT renderer: every size is in
// mm in patient coordinates (LPS: x to the patient's left, y posterior, z
// superior), centred on the body axis.
type chest struct {
	bodyA, bodyB float64 // skin ellipse semi-axes
	fat          float64 // subcutaneous fat thickness
	cavA, cavB   float64 // pleural cavity semi-axes
	ribA, ribB   float64 // rib centre-line ellipse
	apexZ        float64
	dome         [2]float64 // hemidiaphragm dome top z: [right, left]
	heartZ       float64    // heart centre z
	heartTop     float64
	archZ        float64
	carinaZ      float64
	rib0Z        float64 // posterior z of the first rib
	vertY        float64 // vertebral body centre y
	vessels      []vessel
	findings     []*Finding
}

// vessel is one pulmonary vessel segment (3D capsule).
type vessel struct {
	a, b [3]float64
	r    float64
}

const (
	ribPitch = 24.0 // vertical distance between posterior ribs, mm
	ribDrop  = 95.0 // how much lower a rib's anterior end is than its posterior end
)

func newChest(r *rand.Rand) *chest {
	s := uniform(r, 0.92, 1.08)
	c := &chest{bodyA: 150 * s, bodyB: 105 * s, fat: uniform(r, 8, 22)}
	c.cavA, c.cavB = c.bodyA-c.fat-22, c.bodyB-c.fat-22
	c.ribA, c.ribB = c.cavA+6, c.cavB+6
	c.apexZ = uniform(r, 86, 94)
	c.dome = [2]float64{uniform(r, -48, -38), uniform(r, -58, -48)}
	c.heartZ = c.dome[1] + 38
	c.heartTop = c.heartZ + 52
	c.archZ = c.heartTop + 28
	c.carinaZ = c.heartTop + 18
	c.rib0Z = c.apexZ + 6
	c.vertY = c.cavB - 18
	for side := -1.0; side <= 1; side += 2 {
		h := [3]float64{side * 40, 0, c.carinaZ - 22}
		// central arteries and veins: thick, from the hilum outwards
		for i := 0; i < 7; i++ {
			dir := [3]float64{side * uniform(r, 0.4, 1), uniform(r, -0.8, 0.8), uniform(r, -1.2, 1.2)}
			c.growVessel(r, h, dir, 34, 3.6, 0)
		}
		// peripheral branches: short segments pointing at the hilum, thinner
		// towards the pleura
		for i := 0; i < 900; i++ {
			p := [3]float64{side * uniform(r, 15, c.cavA), uniform(r, -c.cavB, c.cavB), uniform(r, c.dome[0]-50, c.apexZ)}
			if !c.lung(p[0], p[1], p[2]) {
				continue
			}
			d := [3]float64{h[0] - p[0], h[1] - p[1], h[2] - p[2]}
			dist := math.Sqrt(d[0]*d[0] + d[1]*d[1] + d[2]*d[2])
			l := uniform(r, 5, 12)
			d = norm3([3]float64{d[0] + uniform(r, -0.5, 0.5)*dist, d[1] + uniform(r, -0.5, 0.5)*dist, d[2] + uniform(r, -0.9, 0.9)*dist})
			q := [3]float64{p[0] + d[0]*l, p[1] + d[1]*l, p[2] + d[2]*l}
			rad := math.Max(0.5, 2.6-dist/55)
			c.vessels = append(c.vessels, vessel{a: p, b: q, r: rad})
		}
	}
	return c
}

func norm3(v [3]float64) [3]float64 {
	l := math.Sqrt(v[0]*v[0] + v[1]*v[1] + v[2]*v[2])
	return [3]float64{v[0] / l, v[1] / l, v[2] / l}
}

func (c *chest) growVessel(r *rand.Rand, from, dir [3]float64, length, radius float64, depth int) {
	dir = norm3(dir)
	to := from
	// advance in small steps while inside the lung (the first segment may start in the hilum)
	for step := 2.0; step <= length; step += 2 {
		p := [3]float64{from[0] + dir[0]*step, from[1] + dir[1]*step, from[2] + dir[2]*step}
		if (depth > 0 || step > length/2) && !c.lung(p[0], p[1], p[2]) {
			break
		}
		to = p
	}
	if to == from {
		return
	}
	c.vessels = append(c.vessels, vessel{a: from, b: to, r: radius})
	if depth >= 2 {
		return
	}
	for k := 0; k < 2; k++ {
		nd := [3]float64{dir[0] + uniform(r, -0.6, 0.6), dir[1] + uniform(r, -0.6, 0.6), dir[2] + uniform(r, -0.6, 0.6)}
		c.growVessel(r, to, nd, length*0.72, radius*0.68, depth+1)
	}
}

// sideIdx is 0 for the right lung (x < 0), 1 for the left.
func sideIdx(x float64) int {
	if x < 0 {
		return 0
	}
	return 1
}

// diaphragmZ is the height of the hemidiaphragm under (x, y).
func (c *chest) diaphragmZ(x, y float64) float64 {
	sx := 60.0
	if x < 0 {
		sx = -60
	}
	u, v := (x-sx)/75, (y-5)/85
	return c.dome[sideIdx(x)] - 45*(u*u+v*v)
}

// heart reports whether (x, y, z) is inside the heart (pad mm grows it).
func (c *chest) heart(x, y, z, pad float64) bool {
	dz := (z - c.heartZ) / (55 + pad)
	if dz*dz >= 1 {
		return false
	}
	k := math.Sqrt(1 - dz*dz)
	// long axis rotated 30° towards the left anterior
	dx, dy := x-18, y+28
	u := dx*0.866 - dy*0.5
	v := dx*0.5 + dy*0.866
	a, b := (65+pad)*k, (48+pad)*k
	return (u*u)/(a*a)+(v*v)/(b*b) <= 1
}

// mediastinal reports structures between the lungs other than the heart:
// returns HU and true when (x, y, z) is inside one.
func (c *chest) mediastinal(x, y, z float64) (float64, bool) {
	d2 := func(cx, cy float64) float64 { return (x-cx)*(x-cx) + (y-cy)*(y-cy) }
	switch {
	case z > c.carinaZ && d2(0, 2) < 81:
		return -1000, true // trachea lumen
	case z > c.carinaZ && d2(0, 2) < 144:
		return 30, true // tracheal wall
	case z <= c.carinaZ && z > c.carinaZ-25:
		bx := 9 + (c.carinaZ-z)*0.9
		if d2(bx, 6) < 30 || d2(-bx, 6) < 30 {
			return -1000, true
		}
		if d2(bx, 6) < 64 || d2(-bx, 6) < 64 {
			return 30, true
		}
	}
	if d2(8, 26+c.vertY-52) < 36 {
		return 35, true // oesophagus
	}
	if z < c.archZ && d2(24, c.vertY-14) < 150 {
		return 42, true // descending aorta
	}
	if math.Abs(z-c.archZ) < 9 && segDist2(x, y, 3, -22, 24, c.vertY-14) < 160 {
		return 42, true // arch
	}
	if z < c.archZ && z > c.heartTop-18 && d2(3, -22) < 225 {
		return 42, true // ascending aorta
	}
	if z > c.heartTop-12 && z < c.apexZ && d2(-24, -16) < 100 {
		return 40, true // superior vena cava
	}
	if z > c.heartTop-6 && z < c.heartTop+14 {
		if d2(16, -32) < 190 || (math.Abs(z-c.heartTop-6) < 7 &&
			(segDist2(x, y, 16, -32, -46, 2) < 90 || segDist2(x, y, 16, -32, 46, 4) < 90)) {
			return 40, true // pulmonary trunk and arteries
		}
	}
	if z > c.archZ && (d2(-10, -16) < 49 || d2(5, -10) < 30 || d2(16, -6) < 30) {
		return 40, true // arch branches
	}
	return 0, false
}

// spine returns the HU of the vertebra at (x, y, z), if inside it.
func (c *chest) spine(x, y float64, disc bool) (float64, bool) {
	d := math.Hypot(x, y-c.vertY)
	switch {
	case d < 17:
		if disc {
			return 80, true
		}
		if d > 15 {
			return 750, true
		}
		return 260, true
	case math.Hypot(x, y-(c.vertY+27)) < 8.5:
		return 15, true // spinal canal
	case math.Hypot(x, y-(c.vertY+27)) < 13.5 && y > c.vertY+18:
		return 650, true // pedicles and laminae
	case inEllipse(x, y, 0, c.vertY+47, 4.5, 12):
		return 600, true // spinous process
	case segDist2(math.Abs(x), y, 11, c.vertY+20, 33, c.vertY+27) < 12:
		return 550, true // transverse processes
	}
	return 0, false
}

// lung reports whether (x, y, z) is aerated-lung territory, before findings.
func (c *chest) lung(x, y, z float64) bool {
	if !inEllipse(x, y, 0, 0, c.cavA, c.cavB) || z > c.apexZ+5 {
		return false
	}
	sx := 1.0
	if x < 0 {
		sx = -1
	}
	// each lung is its own rounded shape; they nearly meet at the anterior
	// junction line and wrap around the vertebral body posteriorly
	if !inEllipse(x, y, sx*(c.cavA*0.5+4), 6, c.cavA*0.5+2, c.cavB*1.02) {
		return false
	}
	if ar := ellipseR(x, y, sx*58, 12, 55, 75); ar*ar > (c.apexZ-z)/24 {
		return false
	}
	if z < c.diaphragmZ(x, y) {
		return false
	}
	if math.Hypot(x, y-c.vertY) < 27 || (y > c.vertY && math.Abs(x) < 30) || math.Hypot(x-24, y-c.vertY+14) < 16 {
		return false
	}
	if c.heart(x, y, z, 4) {
		return false
	}
	if _, ok := c.mediastinal(x, y, z); ok {
		return false
	}
	return true
}

// lobe names the lobe at a lung point: the oblique fissure runs from
// posterior-superior to anterior-inferior, the horizontal fissure splits
// the right middle lobe off the right upper lobe anteriorly.
func (c *chest) lobe(x, y, z float64) string {
	oblique := c.carinaZ - 45 + 0.75*y
	if x < 0 {
		switch {
		case z < oblique:
			return "right lower lobe"
		case z < c.carinaZ-35 && y < 20:
			return "right middle lobe"
		}
		return "right upper lobe"
	}
	if z < oblique {
		return "left lower lobe"
	}
	return "left upper lobe"
}

// wallDepth is the distance (mm, approximate) from (x, y) inwards to the
// pleural cavity wall, and the angle φ of the point (90° = posterior).
func (c *chest) wallDepth(x, y float64) (depth, phi float64) {
	rn := ellipseR(x, y, 0, 0, c.cavA, c.cavB)
	rr := math.Hypot(x, y)
	if rn == 0 {
		return c.cavB, 0
	}
	return (1 - rn) * rr / rn, math.Atan2(y/c.cavB, x/c.cavA)
}

// ribZ is the height of rib k (0 = first) at angle phi.
func (c *chest) ribZ(k int, phi float64) float64 {
	return c.rib0Z - ribPitch*float64(k) - ribDrop*(1-math.Sin(phi))/2
}
