package datasets

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// This file reads the data subset of Python's pickle format (protocols
// 2–5) that PathVQA's released qas/*.pkl files use: lists, dicts, tuples,
// strings, bytes, ints, floats, bools and None, with the memo. Opcodes
// that build objects from classes (GLOBAL, REDUCE, BUILD, ...) are refused,
// so no input can make the reader do anything but build plain data.

// maxPickleItems bounds the containers one pickle may create.
const maxPickleItems = 1 << 24

type pyList struct{ items []any }
type pyDict struct {
	m    map[string]any
	keys []string
}

type markT struct{}

type unpickler struct {
	b     []byte
	pos   int
	stack []any
	memo  map[uint32]any
	items int
}

// unpickle decodes data into plain Go values: []any, map[string]any,
// string, int64, float64, bool, nil.
func unpickle(data []byte) (any, error) {
	u := &unpickler{b: data, memo: map[uint32]any{}}
	v, err := u.run()
	if err != nil {
		return nil, fmt.Errorf("pickle at byte %d: %w", u.pos, err)
	}
	budget := maxPickleItems
	return plain(v, 0, &budget)
}

func (u *unpickler) read(n int) ([]byte, error) {
	if n < 0 || n > len(u.b)-u.pos {
		return nil, errors.New("truncated")
	}
	s := u.b[u.pos : u.pos+n]
	u.pos += n
	return s, nil
}

func (u *unpickler) readUint(n int) (uint64, error) {
	s, err := u.read(n)
	if err != nil {
		return 0, err
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(s[i])
	}
	return v, nil
}

func (u *unpickler) pop() (any, error) {
	if len(u.stack) == 0 {
		return nil, errors.New("stack underflow")
	}
	v := u.stack[len(u.stack)-1]
	u.stack = u.stack[:len(u.stack)-1]
	if _, ok := v.(markT); ok {
		return nil, errors.New("unexpected mark")
	}
	return v, nil
}

// popMark pops everything above the topmost mark.
func (u *unpickler) popMark() ([]any, error) {
	for i := len(u.stack) - 1; i >= 0; i-- {
		if _, ok := u.stack[i].(markT); ok {
			items := append([]any(nil), u.stack[i+1:]...)
			u.stack = u.stack[:i]
			return items, nil
		}
	}
	return nil, errors.New("no mark")
}

func (u *unpickler) push(v any) error {
	u.items++
	if u.items > maxPickleItems {
		return errors.New("too many objects")
	}
	u.stack = append(u.stack, v)
	return nil
}

func (u *unpickler) top() (any, error) {
	if len(u.stack) == 0 {
		return nil, errors.New("stack underflow")
	}
	return u.stack[len(u.stack)-1], nil
}

func (u *unpickler) str(n uint64) error {
	if n > uint64(len(u.b)-u.pos) {
		return errors.New("truncated string")
	}
	s, _ := u.read(int(n))
	return u.push(string(s))
}

func (u *unpickler) run() (any, error) {
	for {
		op, err := u.read(1)
		if err != nil {
			return nil, errors.New("no STOP opcode")
		}
		switch c := op[0]; c {
		case 0x80: // PROTO
			if _, err = u.read(1); err != nil {
				return nil, err
			}
		case 0x95: // FRAME
			_, err = u.read(8)
		case '.': // STOP
			v, err := u.pop()
			if err != nil {
				return nil, err
			}
			return v, nil
		case ']':
			err = u.push(&pyList{})
		case '}':
			err = u.push(&pyDict{m: map[string]any{}})
		case ')':
			err = u.push(&pyList{})
		case '(':
			u.stack = append(u.stack, markT{})
		case 'N':
			err = u.push(nil)
		case 0x88, 0x89:
			err = u.push(c == 0x88)
		case 'K', 'M', 'J':
			n := map[byte]int{'K': 1, 'M': 2, 'J': 4}[c]
			var v uint64
			if v, err = u.readUint(n); err == nil {
				x := int64(v)
				if c == 'J' {
					x = int64(int32(uint32(v)))
				}
				err = u.push(x)
			}
		case 0x8a: // LONG1
			err = u.long1()
		case 'G':
			var s []byte
			if s, err = u.read(8); err == nil {
				err = u.push(math.Float64frombits(binary.BigEndian.Uint64(s)))
			}
		case 0x8c, 'U', 'C': // SHORT_BINUNICODE, SHORT_BINSTRING, SHORT_BINBYTES
			var n uint64
			if n, err = u.readUint(1); err == nil {
				err = u.str(n)
			}
		case 'X', 'T', 'B': // BINUNICODE, BINSTRING, BINBYTES
			var n uint64
			if n, err = u.readUint(4); err == nil {
				err = u.str(n)
			}
		case 0x8d, 0x8e: // BINUNICODE8, BINBYTES8
			var n uint64
			if n, err = u.readUint(8); err == nil {
				err = u.str(n)
			}
		default:
			err = u.structural(c)
		}
		if err != nil {
			return nil, err
		}
	}
}

func (u *unpickler) long1() error {
	n, err := u.readUint(1)
	if err != nil {
		return err
	}
	s, err := u.read(int(n))
	if err != nil {
		return err
	}
	if n > 8 {
		return errors.New("integer too large")
	}
	var v int64
	for i := len(s) - 1; i >= 0; i-- {
		v = v<<8 | int64(s[i])
	}
	if n > 0 && n < 8 && s[n-1]&0x80 != 0 {
		v -= 1 << (8 * n)
	}
	return u.push(v)
}

// structural handles the memo and container-building opcodes.
func (u *unpickler) structural(c byte) error {
	switch c {
	case 'q', 'r', 0x94: // BINPUT, LONG_BINPUT, MEMOIZE
		var idx uint64
		var err error
		switch c {
		case 'q':
			idx, err = u.readUint(1)
		case 'r':
			idx, err = u.readUint(4)
		default:
			idx = uint64(len(u.memo))
		}
		if err != nil {
			return err
		}
		v, err := u.top()
		if err != nil {
			return err
		}
		u.memo[uint32(idx)] = v
	case 'h', 'j': // BINGET, LONG_BINGET
		n := 1
		if c == 'j' {
			n = 4
		}
		idx, err := u.readUint(n)
		if err != nil {
			return err
		}
		v, ok := u.memo[uint32(idx)]
		if !ok {
			return fmt.Errorf("memo %d not set", idx)
		}
		return u.push(v)
	case 'a', 'e': // APPEND, APPENDS
		var items []any
		var err error
		if c == 'a' {
			var v any
			v, err = u.pop()
			items = []any{v}
		} else {
			items, err = u.popMark()
		}
		if err != nil {
			return err
		}
		t, err := u.top()
		if err != nil {
			return err
		}
		l, ok := t.(*pyList)
		if !ok {
			return errors.New("append to a non-list")
		}
		l.items = append(l.items, items...)
	case 's', 'u': // SETITEM, SETITEMS
		var items []any
		var err error
		if c == 's' {
			var k, v any
			if v, err = u.pop(); err == nil {
				k, err = u.pop()
			}
			items = []any{k, v}
		} else {
			items, err = u.popMark()
		}
		if err != nil {
			return err
		}
		if len(items)%2 != 0 {
			return errors.New("odd number of dict items")
		}
		t, err := u.top()
		if err != nil {
			return err
		}
		d, ok := t.(*pyDict)
		if !ok {
			return errors.New("setitem on a non-dict")
		}
		for i := 0; i < len(items); i += 2 {
			k, ok := scalarKey(items[i])
			if !ok {
				return fmt.Errorf("dict key of type %T", items[i])
			}
			if _, dup := d.m[k]; !dup {
				d.keys = append(d.keys, k)
			}
			d.m[k] = items[i+1]
		}
	case 't', 0x85, 0x86, 0x87: // TUPLE, TUPLE1..3
		var items []any
		var err error
		if c == 't' {
			items, err = u.popMark()
		} else {
			items = make([]any, int(c-0x84))
			for i := len(items) - 1; i >= 0 && err == nil; i-- {
				items[i], err = u.pop()
			}
		}
		if err != nil {
			return err
		}
		return u.push(&pyList{items: items})
	default:
		return fmt.Errorf("unsupported opcode 0x%02x (only plain data is read)", c)
	}
	return nil
}

func scalarKey(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case int64:
		return fmt.Sprint(x), true
	}
	return "", false
}

// plain converts the reader's containers to []any and map[string]any,
// refusing cycles (a list that contains itself) by depth.
func plain(v any, depth int, budget *int) (any, error) {
	if depth > 64 {
		return nil, errors.New("pickle: nesting deeper than 64 (or a cycle)")
	}
	if *budget--; *budget < 0 {
		return nil, errors.New("pickle: too many objects once shared references are expanded")
	}
	switch x := v.(type) {
	case *pyList:
		out := make([]any, len(x.items))
		for i, it := range x.items {
			p, err := plain(it, depth+1, budget)
			if err != nil {
				return nil, err
			}
			out[i] = p
		}
		return out, nil
	case *pyDict:
		out := make(map[string]any, len(x.m))
		for _, k := range x.keys {
			p, err := plain(x.m[k], depth+1, budget)
			if err != nil {
				return nil, err
			}
			out[k] = p
		}
		return out, nil
	}
	return v, nil
}
