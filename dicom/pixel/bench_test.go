package pixel

import (
	"bytes"
	"testing"
)

// BenchmarkRender_CT512 renders a 512×512 16-bit signed CT frame to 8 bits
// with the file's window (rescale + LINEAR VOI).
func BenchmarkRender_CT512(b *testing.B) {
	file, auto := ct512Files()
	for _, bc := range []struct {
		name string
		opt  Options
	}{{"file_window", Options{}}, {"auto_window", Options{}}, {"max_size_256", Options{MaxSize: 256}}} {
		f := file
		if bc.name == "auto_window" {
			f = auto
		}
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(512 * 512 * 2)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Render(bytes.NewReader(f), int64(len(f)), bc.opt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// ct512Files returns a 512×512 16-bit signed CT frame with a file window, and the same without one.
func ct512Files() (withWindow, without []byte) {
	vals := make([]int16, 512*512)
	for i := range vals {
		x, y := i%512-256, i/512-256
		vals[i] = int16((x*x+y*y)/40) - 24
	}
	withWindow = part10(tsExplicitLE, append(imageAttrs(512, 512, 1, 16, 16, 1, "MONOCHROME2"),
		ds(tagRescaleSlope, 1), ds(tagRescaleIntercept, -1024), ds(tagWindowCenter, 40), ds(tagWindowWidth, 400),
		ob(tagPixelData, "OW", le16(vals))))
	without = part10(tsExplicitLE, append(imageAttrs(512, 512, 1, 16, 16, 1, "MONOCHROME2"), ob(tagPixelData, "OW", le16(vals))))
	return withWindow, without
}

// BenchmarkDecode_JPEGLossless512 decodes a 512×512 12-bit SV1 frame.
func BenchmarkDecode_JPEGLossless512(b *testing.B) {
	planes := make([][]uint16, 1)
	planes[0] = make([]uint16, 512*512)
	for i := range planes[0] {
		x, y := i%512, i/512
		planes[0][i] = uint16((x*7 + y*3 + (x*y)%17) & 0xFFF)
	}
	data := encodeLossless(planes, llParams{w: 512, h: 512, prec: 12, ss: 1})
	b.SetBytes(512 * 512 * 2)
	for b.Loop() {
		if _, err := decodeLossless(data, maxSamples); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecode_RLE512 decodes a 512×512 16-bit RLE frame.
func BenchmarkDecode_RLE512(b *testing.B) {
	vals := make([]uint32, 512*512)
	for i := range vals {
		vals[i] = uint32((i%512)/8*64 + (i/512)/16)
	}
	data := encodeRLE(vals, 1, 2)
	f := &format{rows: 512, cols: 512, spp: 1, frames: 1, bitsAlloc: 16, bitsStored: 16, highBit: 15, photometric: "MONOCHROME2"}
	b.SetBytes(512 * 512 * 2)
	for b.Loop() {
		if _, err := decodeRLE(data, f); err != nil {
			b.Fatal(err)
		}
	}
}
