package pixel

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"testing"
)

func render(t *testing.T, file []byte, opt Options) image.Image {
	t.Helper()
	img, err := Render(bytes.NewReader(file), int64(len(file)), opt)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func grayPix(t *testing.T, img image.Image) []uint8 {
	t.Helper()
	g, ok := img.(*image.Gray)
	if !ok {
		t.Fatalf("image is %T, want *image.Gray", img)
	}
	return g.Pix
}

// TestNative_StoredValues decodes the same values in every native encoding.
func TestNative_StoredValues(t *testing.T) {
	want := []int64{-2048, -1, 0, 1, 2047, 100, -100, 5}
	raw := make([]int16, len(want))
	for i, v := range want {
		raw[i] = int16(v) & 0x0FFF
		raw[i] |= int16(0x5000) // junk above the high bit (overlay bits) must be masked
	}
	for _, ts := range []string{tsImplicitLE, tsExplicitLE, tsExplicitBE, tsDeflatedLE} {
		els := append(imageAttrs(2, 4, 1, 16, 12, 1, "MONOCHROME2"), ob(tagPixelData, "OW", le16(raw)))
		s, err := decodeBytes(part10(ts, els), 0)
		if err != nil {
			t.Fatalf("%s: %v", ts, err)
		}
		for i, v := range want {
			if s.at(i) != v {
				t.Fatalf("%s: sample %d = %d, want %d", ts, i, s.at(i), v)
			}
		}
	}
}

func TestNative_Layouts(t *testing.T) {
	cases := []struct {
		name  string
		els   []tel
		frame int
		want  []int64
	}{
		{"8bit", append(imageAttrs(1, 3, 1, 8, 8, 0, "MONOCHROME2"), ob(tagPixelData, "OB", []byte{0, 128, 255})), 0, []int64{0, 128, 255}},
		{"8bit signed", append(imageAttrs(1, 3, 1, 8, 8, 1, "MONOCHROME2"), ob(tagPixelData, "OB", []byte{0, 128, 255})), 0, []int64{0, -128, -1}},
		{"high bit 15, 12 stored", append(append(imageAttrs(1, 2, 1, 16, 12, 0, "MONOCHROME2")[:6], us(tagHighBit, 15), us(tagPixelRepresentation, 0)),
			ob(tagPixelData, "OW", le16([]uint16{0xFFF0, 0x0015}))), 0, []int64{0xFFF, 1}},
		{"32bit unsigned", append(imageAttrs(1, 2, 1, 32, 32, 0, "MONOCHROME2"), ob(tagPixelData, "OL", le32([]uint32{0xFFFFFFFF, 7}))), 0, []int64{0xFFFFFFFF, 7}},
		{"32bit signed", append(imageAttrs(1, 2, 1, 32, 32, 1, "MONOCHROME2"), ob(tagPixelData, "OL", le32([]uint32{0xFFFFFFFF, 7}))), 0, []int64{-1, 7}},
		{"1bit frame 1 not byte aligned", append(imageAttrs(3, 3, 1, 1, 1, 0, "MONOCHROME2"), str(tagNumberOfFrames, "IS", "2"),
			ob(tagPixelData, "OB", []byte{0x00, 0b10101010, 0b10})), 1, []int64{1, 0, 1, 0, 1, 0, 1, 0, 1}},
		{"multiframe 16bit frame 2", append(imageAttrs(1, 2, 1, 16, 16, 0, "MONOCHROME2"), str(tagNumberOfFrames, "IS", "3"),
			ob(tagPixelData, "OW", le16([]uint16{1, 2, 3, 4, 5, 6}))), 2, []int64{5, 6}},
		{"rgb planar 0", append(imageAttrs(1, 2, 3, 8, 8, 0, "RGB"), us(tagPlanarConfig, 0), ob(tagPixelData, "OB", []byte{1, 2, 3, 4, 5, 6})), 0, []int64{1, 2, 3, 4, 5, 6}},
		{"rgb planar 1", append(imageAttrs(1, 2, 3, 8, 8, 0, "RGB"), us(tagPlanarConfig, 1), ob(tagPixelData, "OB", []byte{1, 4, 2, 5, 3, 6})), 0, []int64{1, 2, 3, 4, 5, 6}},
		{"ybr_full_422", append(imageAttrs(1, 4, 3, 8, 8, 0, "YBR_FULL_422"), ob(tagPixelData, "OB", []byte{10, 11, 100, 200, 20, 21, 50, 60})), 0,
			[]int64{10, 100, 200, 11, 100, 200, 20, 50, 60, 21, 50, 60}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := decodeBytes(part10(tsExplicitLE, c.els), c.frame)
			if err != nil {
				t.Fatal(err)
			}
			if len(s.v) != len(c.want) {
				t.Fatalf("%d samples, want %d", len(s.v), len(c.want))
			}
			for i := range c.want {
				if s.at(i) != c.want[i] {
					t.Fatalf("samples %v, want %v", s.wide(), c.want)
				}
			}
		})
	}
}

// TestNative_BigEndianOW8 covers 8-bit samples in big-endian OW words.
func TestNative_BigEndianOW8(t *testing.T) {
	els := append(imageAttrs(1, 4, 1, 8, 8, 0, "MONOCHROME2"), tel{tag: tagPixelData, vr: "OB", val: []byte{1, 2, 3, 4}})
	file := part10(tsExplicitBE, els)
	// Re-label the OB element as OW: the bytes of each word are swapped on the wire.
	i := bytes.LastIndex(file, []byte("OB"))
	copy(file[i:], "OW")
	copy(file[len(file)-4:], []byte{2, 1, 4, 3})
	s, err := decodeBytes(file, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int64{1, 2, 3, 4} {
		if s.at(i) != want {
			t.Fatalf("samples %v", s.v)
		}
	}
}

func ctFile(ts string, vals []int16, extra ...tel) []byte {
	els := append(imageAttrs(1, len(vals), 1, 16, 16, 1, "MONOCHROME2"),
		ds(tagRescaleSlope, 1), ds(tagRescaleIntercept, -1024), ob(tagPixelData, "OW", le16(vals)))
	return part10(ts, append(els, extra...))
}

// linearRef is PS3.3 C.11.2.1.2.1 written out independently.
func linearRef(x, c, w float64) uint8 {
	switch {
	case x <= c-0.5-(w-1)/2:
		return 0
	case x > c-0.5+(w-1)/2:
		return 255
	}
	return uint8(math.Round(((x-(c-0.5))/(w-1) + 0.5) * 255))
}

func TestRender_Windows(t *testing.T) {
	stored := []int16{0, 824, 964, 1024, 1064, 1084, 1224, 3000}
	hu := make([]float64, len(stored))
	for i, s := range stored {
		hu[i] = float64(s) - 1024
	}
	cases := []struct {
		name  string
		file  []byte
		opt   Options
		check func(x float64) uint8
	}{
		{"file LINEAR", ctFile(tsExplicitLE, stored, ds(tagWindowCenter, 40), ds(tagWindowWidth, 400)), Options{},
			func(x float64) uint8 { return linearRef(x, 40, 400) }},
		{"file window, first of several values", ctFile(tsExplicitLE, stored, str(tagWindowCenter, "DS", "40\\300"), str(tagWindowWidth, "DS", "80\\1500")), Options{},
			func(x float64) uint8 { return linearRef(x, 40, 80) }},
		{"options override file", ctFile(tsExplicitLE, stored, ds(tagWindowCenter, 40), ds(tagWindowWidth, 400)),
			Options{Window: 1500, Level: -600, HasWindow: true}, func(x float64) uint8 { return linearRef(x, -600, 1500) }},
		{"LINEAR_EXACT", ctFile(tsExplicitLE, stored, ds(tagWindowCenter, 40), ds(tagWindowWidth, 400), str(tagVOILUTFunction, "CS", "LINEAR_EXACT")), Options{},
			func(x float64) uint8 {
				switch {
				case x <= 40-200:
					return 0
				case x > 40+200:
					return 255
				}
				return uint8(math.Round(((x-40)/400 + 0.5) * 255))
			}},
		{"SIGMOID", ctFile(tsExplicitLE, stored, ds(tagWindowCenter, 40), ds(tagWindowWidth, 400), str(tagVOILUTFunction, "CS", "SIGMOID")), Options{},
			func(x float64) uint8 { return uint8(math.Round(255 / (1 + math.Exp(-4*(x-40)/400)))) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pix := grayPix(t, render(t, c.file, c.opt))
			for i, x := range hu {
				if want := c.check(x); pix[i] != want {
					t.Errorf("HU %v → %d, want %d", x, pix[i], want)
				}
			}
		})
	}
}

func TestRender_Monochrome1AndAuto(t *testing.T) {
	// Half padding (-2000), the rest a ramp 0..99: the auto window spans the ramp.
	vals := make([]int16, 200)
	for i := range vals {
		if i < 100 {
			vals[i] = -2000
		} else {
			vals[i] = int16(i - 100)
		}
	}
	mk := func(photometric string) []byte {
		els := append(imageAttrs(10, 20, 1, 16, 16, 1, photometric),
			tel{tag: tagPixelPadding, vr: "SS", val: le16([]int16{-2000})}, ob(tagPixelData, "OW", le16(vals)))
		return part10(tsExplicitLE, els)
	}
	m2 := grayPix(t, render(t, mk("MONOCHROME2"), Options{}))
	m1 := grayPix(t, render(t, mk("MONOCHROME1"), Options{}))
	if m2[100] != 0 || m2[199] != 255 || m2[0] != 0 {
		t.Errorf("auto window: ramp start %d, end %d, padding %d; want 0, 255, 0", m2[100], m2[199], m2[0])
	}
	if mid := m2[150]; mid < 120 || mid > 136 {
		t.Errorf("auto window: ramp middle %d, want about 128", mid)
	}
	for i := range m1 {
		if m1[i] != 255-m2[i] {
			t.Fatalf("MONOCHROME1 pixel %d = %d, want %d", i, m1[i], 255-m2[i])
		}
	}
}

func TestRender_ModalityLUTSequence(t *testing.T) {
	lut := le16([]uint16{0, 100, 200, 300})
	seq := tel{tag: tagModalityLUTSeq, items: [][]tel{{
		{tag: tagLUTDescriptor, vr: "US", val: le16([]uint16{4, 10, 16})},
		{tag: tagLUTData, vr: "OW", val: lut},
	}}}
	els := append(imageAttrs(1, 6, 1, 16, 16, 0, "MONOCHROME2"), seq,
		ds(tagWindowCenter, 150), ds(tagWindowWidth, 301), str(tagVOILUTFunction, "CS", "LINEAR_EXACT"),
		ob(tagPixelData, "OW", le16([]uint16{0, 10, 11, 12, 13, 99})))
	for _, ts := range []string{tsExplicitLE, tsImplicitLE} {
		pix := grayPix(t, render(t, part10(ts, els), Options{}))
		want := []uint8{0, 0, 85, 169, 254, 254} // LUT 0,0,100,200,300,300 through window [-0.5, 300.5]
		for i := range want {
			if d := int(pix[i]) - int(want[i]); d < -1 || d > 1 {
				t.Fatalf("%s: pixels %v, want %v", ts, pix, want)
			}
		}
	}
}

func TestRender_Colour(t *testing.T) {
	red := []byte{76, 85, 255} // YBR_FULL of pure red
	cases := []struct {
		name string
		els  []tel
		want color.RGBA
	}{
		{"rgb", append(imageAttrs(1, 1, 3, 8, 8, 0, "RGB"), ob(tagPixelData, "OB", []byte{10, 20, 30})), color.RGBA{10, 20, 30, 255}},
		{"rgb16", append(imageAttrs(1, 1, 3, 16, 16, 0, "RGB"), ob(tagPixelData, "OW", le16([]uint16{65535, 0, 32896}))), color.RGBA{255, 0, 128, 255}},
		{"ybr_full", append(imageAttrs(1, 1, 3, 8, 8, 0, "YBR_FULL"), ob(tagPixelData, "OB", red)), color.RGBA{254, 0, 0, 255}},
		{"palette", append(imageAttrs(1, 1, 1, 8, 8, 0, "PALETTE COLOR"),
			tel{tag: tagRedDescriptor, vr: "US", val: le16([]uint16{2, 0, 16})}, tel{tag: tagRedData, vr: "OW", val: le16([]uint16{0, 0xFF00})},
			tel{tag: tagGreenDescriptor, vr: "US", val: le16([]uint16{2, 0, 16})}, tel{tag: tagGreenData, vr: "OW", val: le16([]uint16{0, 0x8000})},
			tel{tag: tagBlueDescriptor, vr: "US", val: le16([]uint16{2, 0, 16})}, tel{tag: tagBlueData, vr: "OW", val: le16([]uint16{0, 0x1000})},
			ob(tagPixelData, "OB", []byte{1})), color.RGBA{255, 128, 16, 255}},
	}
	for _, c := range cases {
		img := render(t, part10(tsExplicitLE, c.els), Options{})
		rgba, ok := img.(*image.RGBA)
		if !ok {
			t.Fatalf("%s: %T", c.name, img)
		}
		if got := rgba.RGBAAt(0, 0); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestRender_Errors(t *testing.T) {
	gray := func(ts string, extra ...tel) []byte {
		return part10(ts, append(append(imageAttrs(2, 2, 1, 8, 8, 0, "MONOCHROME2"), extra...), ob(tagPixelData, "OB", []byte{1, 2, 3, 4})))
	}
	t.Run("unsupported transfer syntax", func(t *testing.T) {
		els := append(imageAttrs(2, 2, 1, 8, 8, 0, "MONOCHROME2"), tel{tag: tagPixelData, vr: "OB", frags: [][]byte{{0xFF, 0x4F}}})
		file := part10("1.2.840.10008.1.2.4.90", els)
		_, err := Render(bytes.NewReader(file), int64(len(file)), Options{})
		var ue *UnsupportedTransferSyntaxError
		if !errors.As(err, &ue) || err.Error() != "unsupported transfer syntax JPEG 2000 Image Compression (Lossless Only) (1.2.840.10008.1.2.4.90)" {
			t.Fatalf("err = %v", err)
		}
		info, err := InspectReader(bytes.NewReader(file), int64(len(file)))
		if err != nil || info.Decodable || !info.Encapsulated || info.Rows != 2 {
			t.Fatalf("inspect: %+v, %v", info, err)
		}
	})
	t.Run("unknown transfer syntax", func(t *testing.T) {
		file := gray("1.2.3.4.5")
		_, err := Render(bytes.NewReader(file), int64(len(file)), Options{})
		if err == nil || err.Error() != "unsupported transfer syntax unknown (1.2.3.4.5)" {
			t.Fatalf("err = %v", err)
		}
	})
	cases := []struct {
		name string
		file []byte
		opt  Options
		want error
	}{
		{"frame out of range", gray(tsExplicitLE), Options{Frame: 1}, ErrFrameOutOfRange},
		{"negative frame", gray(tsExplicitLE), Options{Frame: -1}, ErrFrameOutOfRange},
		{"no pixel data", part10(tsExplicitLE, []tel{str(0x00100010, "PN", "Doe^John")}), Options{}, ErrNoPixelData},
		{"truncated pixel data", gray(tsExplicitLE)[:len(gray(tsExplicitLE))-2], Options{}, ErrMalformed},
		{"too large", part10(tsExplicitLE, append(imageAttrs(65535, 65535, 3, 16, 16, 0, "RGB"), ob(tagPixelData, "OW", make([]byte, 16)))), Options{}, ErrTooLarge},
		{"not dicom", []byte("hello, this is not a DICOM file at all"), Options{}, ErrNotDICOM},
		{"bad bits", part10(tsExplicitLE, append(imageAttrs(2, 2, 1, 12, 12, 0, "MONOCHROME2"), ob(tagPixelData, "OB", make([]byte, 8)))), Options{}, ErrUnsupported},
		{"missing frame data", part10(tsExplicitLE, append(imageAttrs(2, 2, 1, 8, 8, 0, "MONOCHROME2"), str(tagNumberOfFrames, "IS", "3"),
			ob(tagPixelData, "OB", make([]byte, 8)))), Options{Frame: 2}, ErrMalformed},
	}
	for _, c := range cases {
		_, err := Render(bytes.NewReader(c.file), int64(len(c.file)), c.opt)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
}

func TestInspect(t *testing.T) {
	file := ctFile(tsExplicitBE, []int16{1, 2, 3}, ds(tagWindowCenter, 40), ds(tagWindowWidth, 400), str(tagNumberOfFrames, "IS", "1"))
	info, err := InspectReader(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	want := Info{Rows: 1, Columns: 3, Frames: 1, SamplesPerPixel: 1, Photometric: "MONOCHROME2",
		BitsAllocated: 16, BitsStored: 16, HighBit: 15, PixelRepresentation: 1,
		WindowCenter: 40, WindowWidth: 400, HasWindow: true, VOILUTFunction: "LINEAR",
		RescaleSlope: 1, RescaleIntercept: -1024, TransferSyntaxUID: tsExplicitBE, TransferSyntaxName: "Explicit VR Big Endian",
		Decodable: true}
	if info != want {
		t.Fatalf("info\n got %+v\nwant %+v", info, want)
	}
}

func TestEncapsulated_FrameMapping(t *testing.T) {
	// Three 8-bit frames as "Encapsulated Uncompressed": frame data is the raw bytes.
	f0, f1, f2 := []byte{1, 2, 3, 4}, []byte{5, 6, 7, 8}, []byte{9, 10, 11, 12}
	attrs := func() []tel {
		return append(imageAttrs(2, 2, 1, 8, 8, 0, "MONOCHROME2"), str(tagNumberOfFrames, "IS", "3"))
	}
	cases := []struct {
		name  string
		frags [][]byte
		bot   []uint32
	}{
		{"one fragment per frame, empty table", [][]byte{f0, f1, f2}, nil},
		{"split fragments with offset table", [][]byte{f0[:2], f0[2:], f1, f2[:1], f2[1:]}, []uint32{0, 20, 32}},
	}
	for _, c := range cases {
		file := part10("1.2.840.10008.1.2.1.98", append(attrs(), tel{tag: tagPixelData, vr: "OB", frags: c.frags, bot: c.bot}))
		for k, want := range [][]byte{f0, f1, f2} {
			s, err := decodeBytes(file, k)
			if err != nil {
				t.Fatalf("%s frame %d: %v", c.name, k, err)
			}
			for i := range want {
				if s.at(i) != int64(want[i]) {
					t.Fatalf("%s frame %d: %v, want %v", c.name, k, s.v, want)
				}
			}
		}
	}
	bad := part10("1.2.840.10008.1.2.1.98", append(attrs(), tel{tag: tagPixelData, vr: "OB", frags: [][]byte{f0, f1[:2], f1[2:], f2}}))
	if _, err := decodeBytes(bad, 1); !errors.Is(err, ErrMalformed) {
		t.Fatalf("unmappable fragments: err = %v", err)
	}
}

func TestJPEGBaseline(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 16, 8))
	for i := range g.Pix {
		g.Pix[i] = uint8(i * 2)
	}
	var a, b bytes.Buffer
	if err := jpeg.Encode(&a, g, &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	g.Pix[0] = 255
	jpeg.Encode(&b, g, &jpeg.Options{Quality: 100})
	// Two frames, the first split in two fragments, no offset table: SOI scanning.
	fa := a.Bytes()
	els := append(imageAttrs(8, 16, 1, 8, 8, 0, "MONOCHROME2"), str(tagNumberOfFrames, "IS", "2"),
		tel{tag: tagPixelData, vr: "OB", frags: [][]byte{fa[:len(fa)/2+len(fa)%2], fa[len(fa)/2+len(fa)%2:], padEven(b.Bytes())}})
	file := part10(tsJPEGBaseline, els)
	for k, first := range []int64{0, 255} {
		s, err := decodeBytes(file, k)
		if err != nil {
			t.Fatalf("frame %d: %v", k, err)
		}
		for i, v := range s.wide() {
			want := int64(i * 2)
			if i == 0 {
				want = first
			}
			if d := v - want; d < -3 || d > 3 {
				t.Fatalf("frame %d sample %d = %d, want about %d", k, i, v, want)
			}
		}
	}
	// 12-bit (SOF1) streams are reported as unsupported.
	sof1 := []byte{0xFF, 0xD8, 0xFF, 0xC1, 0, 11, 12, 0, 8, 0, 16, 1, 1, 0x11, 0, 0xFF, 0xD9}
	_, err := decodeJPEG(sof1, &format{rows: 8, cols: 16, spp: 1, bitsAlloc: 16, bitsStored: 12}, tsJPEGExtended)
	var ue *UnsupportedTransferSyntaxError
	if !errors.As(err, &ue) || ue.UID != tsJPEGExtended {
		t.Fatalf("12-bit JPEG: err = %v", err)
	}
}

func padEven(b []byte) []byte {
	if len(b)%2 == 1 {
		return append(b, 0)
	}
	return b
}

func TestDownscale(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 4, 2))
	copy(g.Pix, []uint8{0, 100, 200, 250, 50, 150, 0, 10})
	out := downscale(g, 2).(*image.Gray)
	if out.Bounds().Dx() != 2 || out.Bounds().Dy() != 1 {
		t.Fatalf("size %v", out.Bounds())
	}
	if want := []uint8{75, 115}; !bytes.Equal(out.Pix, want) { // exact 2×2 box means
		t.Fatalf("pixels %v, want %v", out.Pix, want)
	}
	// Non-integer ratio keeps the mean.
	big := image.NewRGBA(image.Rect(0, 0, 300, 200))
	var sum float64
	for i := range big.Pix {
		big.Pix[i] = uint8(i * 7)
		if i%4 == 0 {
			sum += float64(big.Pix[i])
		}
	}
	small := downscale(big, 128).(*image.RGBA)
	if small.Bounds().Dx() != 128 || small.Bounds().Dy() != 85 {
		t.Fatalf("size %v", small.Bounds())
	}
	var ssum float64
	for i := 0; i < len(small.Pix); i += 4 {
		ssum += float64(small.Pix[i])
	}
	if m1, m2 := sum/(300*200), ssum/(128*85); math.Abs(m1-m2) > 1 {
		t.Fatalf("mean %v after downscale, %v before", m2, m1)
	}
	// MaxSize through Render.
	file := ctFile(tsExplicitLE, make([]int16, 40))
	if b := render(t, file, Options{MaxSize: 10}).Bounds(); b.Dx() != 10 || b.Dy() != 1 {
		t.Fatalf("MaxSize: %v", b)
	}
}

func TestRender_EnhancedFunctionalGroups(t *testing.T) {
	frameGroup := func(intercept, center, width float64) []tel {
		return []tel{
			{tag: tagPixelValueTransSeq, items: [][]tel{{ds(tagRescaleIntercept, intercept), ds(tagRescaleSlope, 1)}}},
			{tag: tagFrameVOILUTSeq, items: [][]tel{{ds(tagWindowCenter, center), ds(tagWindowWidth, width)}}},
		}
	}
	els := append(imageAttrs(1, 2, 1, 16, 16, 0, "MONOCHROME2"), str(tagNumberOfFrames, "IS", "2"),
		tel{tag: tagSharedFGSeq, items: [][]tel{{{tag: 0x00209116, items: [][]tel{{str(0x00200037, "DS", "1\\0\\0\\0\\1\\0")}}}}}},
		tel{tag: tagPerFrameFGSeq, items: [][]tel{frameGroup(-1000, 0, 100), frameGroup(0, 2000, 100)}},
		ob(tagPixelData, "OW", le16([]uint16{950, 1050, 1950, 2050})))
	file := part10(tsExplicitLE, els)
	for k, want := range [][]uint8{{0, 255}, {0, 255}} {
		pix := grayPix(t, render(t, file, Options{Frame: k}))
		if !bytes.Equal(pix, want) {
			t.Errorf("frame %d: %v, want %v", k, pix, want)
		}
	}
	// Frame 1 through frame 0's transform would be all white: check it is not.
	info, err := InspectReader(bytes.NewReader(file), int64(len(file)))
	if err != nil || info.RescaleIntercept != -1000 || info.WindowWidth != 100 {
		t.Fatalf("inspect: %+v %v", info, err)
	}
}

func TestRender_VOILUTSequence(t *testing.T) {
	seq := tel{tag: tagVOILUTSeq, items: [][]tel{{
		{tag: tagLUTDescriptor, vr: "US", val: le16([]uint16{3, 100, 8})},
		{tag: tagLUTData, vr: "OW", val: le16([]uint16{0, 51, 255})},
	}}}
	els := append(imageAttrs(1, 4, 1, 16, 16, 0, "MONOCHROME2"), seq, ob(tagPixelData, "OW", le16([]uint16{0, 101, 102, 500})))
	pix := grayPix(t, render(t, part10(tsExplicitLE, els), Options{}))
	if want := []uint8{0, 51, 255, 255}; !bytes.Equal(pix, want) {
		t.Fatalf("pixels %v, want %v", pix, want)
	}
}

// TestJPEG_MislabelledStreams: the SOF marker, not the transfer syntax, picks the decoder.
func TestJPEG_MislabelledStreams(t *testing.T) {
	planes := [][]uint16{{10, 20, 30, 40, 50, 60}}
	ll := encodeLossless(planes, llParams{w: 3, h: 2, prec: 8, ss: 1})
	els := append(imageAttrs(2, 3, 1, 8, 8, 0, "MONOCHROME2"), tel{tag: tagPixelData, vr: "OB", frags: [][]byte{padEven(ll)}})
	s, err := decodeBytes(part10(tsJPEGBaseline, els), 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range planes[0] {
		if s.at(i) != int64(v) {
			t.Fatalf("samples %v", s.v)
		}
	}
	var jb bytes.Buffer
	jpeg.Encode(&jb, image.NewGray(image.Rect(0, 0, 3, 2)), nil)
	els = append(imageAttrs(2, 3, 1, 8, 8, 0, "MONOCHROME2"), tel{tag: tagPixelData, vr: "OB", frags: [][]byte{padEven(jb.Bytes())}})
	if _, err := decodeBytes(part10(tsJPEGLosslessS, els), 0); err != nil {
		t.Fatal(err)
	}
}
