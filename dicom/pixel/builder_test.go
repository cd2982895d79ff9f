package pixel

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"sort"
)

// Test helpers that hand-encode Part-10 files.

type tel struct {
	tag uint32
	vr  string
	val []byte
	// encapsulated pixel data: items after the Basic Offset Table
	frags [][]byte
	bot   []uint32
	// sequence items (each a list of elements)
	items [][]tel
}

func us(tag uint32, v ...uint16) tel {
	b := make([]byte, 2*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint16(b[2*i:], x)
	}
	return tel{tag: tag, vr: "US", val: b}
}

func str(tag uint32, vr, s string) tel {
	if len(s)%2 == 1 {
		if vr == "UI" {
			s += "\x00"
		} else {
			s += " "
		}
	}
	return tel{tag: tag, vr: vr, val: []byte(s)}
}

func ob(tag uint32, vr string, b []byte) tel {
	if len(b)%2 == 1 {
		b = append(append([]byte(nil), b...), 0)
	}
	return tel{tag: tag, vr: vr, val: b}
}

// imageAttrs returns the Image Pixel module for the given geometry.
func imageAttrs(rows, cols, spp, bitsAlloc, bitsStored, signed int, photometric string) []tel {
	return []tel{
		us(tagSamplesPerPixel, uint16(spp)),
		str(tagPhotometric, "CS", photometric),
		us(tagRows, uint16(rows)),
		us(tagColumns, uint16(cols)),
		us(tagBitsAllocated, uint16(bitsAlloc)),
		us(tagBitsStored, uint16(bitsStored)),
		us(tagHighBit, uint16(bitsStored-1)),
		us(tagPixelRepresentation, uint16(signed)),
	}
}

type encoding struct {
	bo       binary.ByteOrder
	explicit bool
}

func encodingOf(ts string) encoding {
	switch ts {
	case tsImplicitLE:
		return encoding{binary.LittleEndian, false}
	case tsExplicitBE:
		return encoding{binary.BigEndian, true}
	}
	return encoding{binary.LittleEndian, true}
}

func (e encoding) header(w *bytes.Buffer, tag uint32, vr string, n uint32) {
	var b [4]byte
	e.bo.PutUint16(b[:], uint16(tag>>16))
	e.bo.PutUint16(b[2:], uint16(tag))
	w.Write(b[:])
	if !e.explicit || tag>>16 == 0xFFFE {
		e.bo.PutUint32(b[:], n)
		w.Write(b[:])
		return
	}
	w.WriteString(vr)
	if isLongVR(vr) {
		w.Write([]byte{0, 0})
		e.bo.PutUint32(b[:], n)
		w.Write(b[:])
		return
	}
	e.bo.PutUint16(b[:], uint16(n))
	w.Write(b[:2])
}

// swapValue converts a little-endian test value to big endian for its VR.
func swapValue(vr string, v []byte) []byte {
	size := 0
	switch vr {
	case "US", "SS", "OW":
		size = 2
	case "UL", "SL", "FL", "OL", "OF":
		size = 4
	}
	if size == 0 {
		return v
	}
	out := append([]byte(nil), v...)
	for i := 0; i+size <= len(out); i += size {
		for a, b := i, i+size-1; a < b; a, b = a+1, b-1 {
			out[a], out[b] = out[b], out[a]
		}
	}
	return out
}

func (e encoding) elements(w *bytes.Buffer, els []tel) {
	sort.SliceStable(els, func(i, j int) bool { return els[i].tag < els[j].tag })
	for _, el := range els {
		switch {
		case el.frags != nil:
			e.header(w, el.tag, el.vr, undefinedLength)
			le := encoding{binary.LittleEndian, true}
			bot := make([]byte, 4*len(el.bot))
			for i, o := range el.bot {
				binary.LittleEndian.PutUint32(bot[4*i:], o)
			}
			le.header(w, tagItem, "", uint32(len(bot)))
			w.Write(bot)
			for _, f := range el.frags {
				le.header(w, tagItem, "", uint32(len(f)))
				w.Write(f)
			}
			le.header(w, tagSeqDelim, "", 0)
		case el.items != nil:
			e.header(w, el.tag, "SQ", undefinedLength)
			for _, it := range el.items {
				e.header(w, tagItem, "", undefinedLength)
				e.elements(w, it)
				e.header(w, tagItemDelim, "", 0)
			}
			e.header(w, tagSeqDelim, "", 0)
		default:
			v := el.val
			if e.bo == binary.BigEndian {
				v = swapValue(el.vr, v)
			}
			e.header(w, el.tag, el.vr, uint32(len(v)))
			w.Write(v)
		}
	}
}

// part10 encodes a Part-10 file in transfer syntax ts.
func part10(ts string, els []tel) []byte {
	var meta bytes.Buffer
	le := encoding{binary.LittleEndian, true}
	le.elements(&meta, []tel{
		ob(0x00020001, "OB", []byte{0, 1}),
		str(0x00020002, "UI", "1.2.840.10008.5.1.4.1.1.7"),
		str(0x00020003, "UI", "1.2.3.4"),
		str(tagTransferSyntax, "UI", ts),
	})
	var out bytes.Buffer
	out.Write(make([]byte, 128))
	out.WriteString("DICM")
	gl := make([]byte, 4)
	binary.LittleEndian.PutUint32(gl, uint32(meta.Len()))
	le.elements(&out, []tel{{tag: 0x00020000, vr: "UL", val: gl}})
	out.Write(meta.Bytes())
	var ds bytes.Buffer
	encodingOf(ts).elements(&ds, els)
	if ts == tsDeflatedLE {
		var z bytes.Buffer
		fw, _ := flate.NewWriter(&z, flate.BestSpeed)
		fw.Write(ds.Bytes())
		fw.Close()
		out.Write(z.Bytes())
	} else {
		out.Write(ds.Bytes())
	}
	return out.Bytes()
}

// le16 encodes values as little-endian 16-bit words.
func le16[T int | int16 | uint16 | int32](v []T) []byte {
	b := make([]byte, 2*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(x))
	}
	return b
}

func le32[T int | int32 | uint32](v []T) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(x))
	}
	return b
}

func ds(tag uint32, f float64) tel { return str(tag, "DS", fmt.Sprint(f)) }

// decodeBytes returns the stored values of one frame of an in-memory file.
func decodeBytes(file []byte, frame int) (*samples, error) {
	d, err := parse(bytes.NewReader(file), int64(len(file)), true)
	if err != nil {
		return nil, err
	}
	f, err := d.format()
	if err != nil {
		return nil, err
	}
	if !tsDecodable(d.ts) {
		return nil, unsupportedTS(d.ts)
	}
	return decodeFrame(d, f, frame)
}
