package weights

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/lingshu-edge/lingshu/kernels"
)

// MaxSafetensorsHeader bounds the JSON header of a safetensors file (the
// reference implementation uses the same 100 MB limit).
const MaxSafetensorsHeader = 100 << 20

// maxRank bounds the number of dimensions of one tensor.
const maxRank = 16

// stDType describes one safetensors element type.
type stDType struct {
	size int           // bytes per element
	kt   kernels.DType // 0 when the engine has no equivalent
}

// safetensorsDTypes lists the element types of the safetensors format.
var safetensorsDTypes = map[string]stDType{
	"F64": {8, 0}, "F32": {4, kernels.F32}, "F16": {2, kernels.F16}, "BF16": {2, kernels.BF16},
	"I64": {8, 0}, "I32": {4, kernels.I32}, "I16": {2, 0}, "I8": {1, 0},
	"U64": {8, 0}, "U32": {4, 0}, "U16": {2, 0}, "U8": {1, 0}, "BOOL": {1, 0},
	"F8_E4M3": {1, 0}, "F8_E5M2": {1, 0}, "F8_E8M0": {1, 0},
}

// stEntry is one tensor of a safetensors header, as written in the file.
type stEntry struct {
	DType   string  `json:"dtype"`
	Shape   []int64 `json:"shape"`
	Offsets []int64 `json:"data_offsets"`
}

// parseSafetensors parses and validates the header of a whole safetensors
// file held in data (normally a mapping) and returns its tensors in file
// order, with Data slicing into data, plus the __metadata__ map. It checks the
// header length, duplicate names, known dtypes, shapes, that every tensor lies
// inside the file, that no two overlap, and that each byte size equals
// numel × element size. It never panics on malformed input.
func parseSafetensors(data []byte) ([]TensorInfo, map[string]string, error) {
	if len(data) < 8 {
		return nil, nil, fmt.Errorf("weights: safetensors: file of %d bytes is too short for a header", len(data))
	}
	n := binary.LittleEndian.Uint64(data[:8])
	if n > MaxSafetensorsHeader {
		return nil, nil, fmt.Errorf("weights: safetensors: header of %d bytes exceeds the %d-byte limit", n, MaxSafetensorsHeader)
	}
	if n > uint64(len(data)-8) {
		return nil, nil, fmt.Errorf("weights: safetensors: truncated: header of %d bytes but only %d bytes follow", n, len(data)-8)
	}
	hdr := data[8 : 8+n]
	body := data[8+n:]
	if len(bytes.TrimSpace(hdr)) == 0 || bytes.TrimSpace(hdr)[0] != '{' {
		return nil, nil, errors.New("weights: safetensors: header is not a JSON object")
	}
	names, entries, meta, err := decodeSafetensorsHeader(hdr)
	if err != nil {
		return nil, nil, err
	}
	infos := make([]TensorInfo, len(names))
	for i, name := range names {
		ti, err := checkSafetensorsEntry(name, entries[i], body)
		if err != nil {
			return nil, nil, err
		}
		infos[i] = ti
	}
	if err := checkOverlaps(names, entries); err != nil {
		return nil, nil, err
	}
	return infos, meta, nil
}

// decodeSafetensorsHeader reads the header object key by key so that a
// duplicate name is an error rather than silently overwritten.
func decodeSafetensorsHeader(hdr []byte) ([]string, []stEntry, map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(hdr))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return nil, nil, nil, fmt.Errorf("weights: safetensors: header: %w", err)
	}
	var (
		names   []string
		entries []stEntry
		meta    map[string]string
		seen    = map[string]bool{}
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, nil, fmt.Errorf("weights: safetensors: header: %w", err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, nil, nil, fmt.Errorf("weights: safetensors: header: unexpected %v", tok)
		}
		if seen[key] {
			return nil, nil, nil, fmt.Errorf("weights: safetensors: duplicate tensor name %q in header", key)
		}
		seen[key] = true
		if key == "__metadata__" {
			if err := dec.Decode(&meta); err != nil {
				return nil, nil, nil, fmt.Errorf("weights: safetensors: __metadata__ must map strings to strings: %w", err)
			}
			continue
		}
		if key == "" {
			return nil, nil, nil, errors.New("weights: safetensors: empty tensor name")
		}
		var e stEntry
		if err := dec.Decode(&e); err != nil {
			return nil, nil, nil, fmt.Errorf("weights: safetensors: tensor %q: %w", key, err)
		}
		names = append(names, key)
		entries = append(entries, e)
	}
	if _, err := dec.Token(); err != nil { // closing brace
		return nil, nil, nil, fmt.Errorf("weights: safetensors: header: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, nil, errors.New("weights: safetensors: trailing bytes after the header object")
	}
	return names, entries, meta, nil
}

// checkSafetensorsEntry validates one header entry against the data section.
func checkSafetensorsEntry(name string, e stEntry, body []byte) (TensorInfo, error) {
	dt, ok := safetensorsDTypes[e.DType]
	if !ok {
		return TensorInfo{}, fmt.Errorf("weights: safetensors: tensor %q: unknown dtype %q", name, e.DType)
	}
	if len(e.Shape) > maxRank {
		return TensorInfo{}, fmt.Errorf("weights: safetensors: tensor %q: rank %d exceeds %d", name, len(e.Shape), maxRank)
	}
	if len(e.Offsets) != 2 {
		return TensorInfo{}, fmt.Errorf("weights: safetensors: tensor %q: data_offsets must have 2 values, has %d", name, len(e.Offsets))
	}
	begin, end := e.Offsets[0], e.Offsets[1]
	if begin < 0 || end < begin {
		return TensorInfo{}, fmt.Errorf("weights: safetensors: tensor %q: bad data_offsets [%d %d]", name, begin, end)
	}
	if end > int64(len(body)) {
		return TensorInfo{}, fmt.Errorf("weights: safetensors: truncated: tensor %q ends at byte %d of the data section, which has %d bytes", name, end, len(body))
	}
	shape := make(kernels.Shape, len(e.Shape))
	for i, d := range e.Shape {
		if d < 0 || int64(int(d)) != d {
			return TensorInfo{}, fmt.Errorf("weights: safetensors: tensor %q: bad dimension %d in shape %v", name, d, e.Shape)
		}
		shape[i] = int(d)
	}
	numel, ok := boundedNumel(e.Shape, int64(len(body)))
	if !ok {
		return TensorInfo{}, fmt.Errorf("weights: safetensors: tensor %q: shape %v does not fit in the data section", name, e.Shape)
	}
	if numel*int64(dt.size) != end-begin {
		return TensorInfo{}, fmt.Errorf("weights: safetensors: tensor %q: %s %v needs %d bytes, data_offsets give %d",
			name, e.DType, e.Shape, numel*int64(dt.size), end-begin)
	}
	return TensorInfo{Name: name, DType: dt.kt, Type: e.DType, Shape: shape, Data: body[begin:end:end]}, nil
}

// checkOverlaps fails when two non-empty tensors share bytes.
func checkOverlaps(names []string, entries []stEntry) error {
	idx := make([]int, len(entries))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return entries[idx[a]].Offsets[0] < entries[idx[b]].Offsets[0] })
	prev := -1
	for _, i := range idx {
		e := entries[i]
		if e.Offsets[0] == e.Offsets[1] {
			continue
		}
		if prev >= 0 && e.Offsets[0] < entries[prev].Offsets[1] {
			return fmt.Errorf("weights: safetensors: tensors %q and %q overlap", names[prev], names[i])
		}
		prev = i
	}
	return nil
}

// boundedNumel multiplies non-negative dims and reports false when the
// product exceeds limit (so it can never overflow).
func boundedNumel(dims []int64, limit int64) (int64, bool) {
	for _, d := range dims {
		if d == 0 {
			return 0, true
		}
	}
	n := int64(1)
	for _, d := range dims {
		if d < 0 || n > limit/d {
			return 0, false
		}
		n *= d
	}
	return n, true
}
