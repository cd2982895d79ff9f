package cpu

import (
	"math"

	"github.com/lingshu-edge/lingshu/kernels"
)

// RoPE rotates x (T, heads*headDim) in place, NeoX style: value i of the
// rotated part pairs with i+d/2 and turns by pos·theta^(-2i/d). With
// p.Sections (M-RoPE) pos is (axes, T) and frequency i reads the position
// axis whose section contains i.
func (b *Backend) RoPE(x, pos kernels.Tensor, p kernels.RoPEParams) error {
	xs, T, cols, err := writableF32("rope x", x)
	if err != nil {
		return err
	}
	if err := p.Validate(cols); err != nil {
		return err
	}
	pt, err := asTensor("rope pos", pos)
	if err != nil {
		return err
	}
	axes := max(len(p.Sections), 1)
	want := kernels.Shape{T}
	if p.Sections != nil {
		want = kernels.Shape{axes, T}
	}
	if pt.dt != kernels.I32 || !pt.shape.Equal(want) {
		return errorf("rope", "pos %s%v, want I32%v", pt.dt, pt.shape, want)
	}
	if b.reference {
		ropeGeneric(xs, pt.i32, T, p)
		return nil
	}
	half := p.RotDim() / 2
	inv, axis := ropeTables(p)
	b.pool.run(T, b.pool.grainForWork(T, 8*cols, 1, 1), func(lo, hi int) {
		buf := b.buffer(2 * half)
		defer b.release(buf)
		cos, sin := (*buf)[:half], (*buf)[half:]
		for t := lo; t < hi; t++ {
			for i := range half {
				s, c := math.Sincos(float64(pt.i32[axis[i]*T+t]) * inv[i])
				cos[i], sin[i] = float32(c), float32(s)
			}
			row := xs[t*cols : (t+1)*cols]
			for h := range p.Heads {
				rotateHalf(row[h*p.HeadDim:h*p.HeadDim+2*half], cos, sin)
			}
		}
	})
	return nil
}

// ropeTables returns each frequency pair's inverse wavelength and the
// position axis it reads (all 0 without sections).
func ropeTables(p kernels.RoPEParams) (inv []float64, axis []int) {
	d := p.RotDim()
	inv = make([]float64, d/2)
	axis = make([]int, d/2)
	for i := range inv {
		inv[i] = math.Pow(p.Theta, -float64(2*i)/float64(d))
	}
	i := 0
	for a, s := range p.Sections {
		for j := range s {
			axis[i] = a
			if p.SectionFreqs {
				inv[i] = math.Pow(p.Theta, -float64(j)/float64(s))
			}
			i++
		}
	}
	return inv, axis
}

// rotateHalf turns pairs (v[i], v[i+h]) of v (2h values) by (cos[i], sin[i]).
func rotateHalf(v, cos, sin []float32) {
	h := len(cos)
	x1, x2 := v[:h], v[h:2*h]
	sin = sin[:h]
	for i, c := range cos {
		a, b := x1[i], x2[i]
		x1[i] = a*c - b*sin[i]
		x2[i] = b*c + a*sin[i]
	}
}

// ropeGeneric is RoPE's oracle: every angle computed from its definition.
func ropeGeneric(x []float32, pos []int32, T int, p kernels.RoPEParams) {
	d := p.RotDim()
	cols := p.Heads * p.HeadDim
	for t := range T {
		for h := range p.Heads {
			base := t*cols + h*p.HeadDim
			for i := range d / 2 {
				axis, acc := 0, 0
				expo := float64(2*i) / float64(d)
				for a, s := range p.Sections {
					if i < acc+s {
						axis = a
						if p.SectionFreqs {
							expo = float64(i-acc) / float64(s)
						}
						break
					}
					acc += s
				}
				ang := float64(pos[axis*T+t]) / math.Pow(p.Theta, expo)
				c, s := math.Cos(ang), math.Sin(ang)
				a, b := float64(x[base+i]), float64(x[base+i+d/2])
				x[base+i] = float32(a*c - b*s)
				x[base+i+d/2] = float32(b*c + a*s)
			}
		}
	}
}
