package net

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Item types of the A-ASSOCIATE-RQ/AC variable field and user information sub-items (PS3.8 9.3.2, PS3.7 D.3.3).
const (
	itemApplicationContext    = 0x10
	itemPresentationContextRQ = 0x20
	itemPresentationContextAC = 0x21
	itemAbstractSyntax        = 0x30
	itemTransferSyntax        = 0x40
	itemUserInformation       = 0x50
	subMaxLength              = 0x51
	subImplementationClassUID = 0x52
	subImplementationVersion  = 0x55
)

// Presentation context results in an A-ASSOCIATE-AC (PS3.8 Table 9-18).
const (
	ResultAcceptance                   = 0
	ResultUserRejection                = 1
	ResultNoReason                     = 2 // provider rejection
	ResultAbstractSyntaxNotSupported   = 3
	ResultTransferSyntaxesNotSupported = 4
)

// PresentationContextRQ is one proposed presentation context.
type PresentationContextRQ struct {
	ID               byte
	AbstractSyntax   string
	TransferSyntaxes []string
}

// PresentationContextAC is the answer to one proposed presentation context.
// TransferSyntax is meaningful only when Result is ResultAcceptance.
type PresentationContextAC struct {
	ID             byte
	Result         byte
	TransferSyntax string
}

// UserInfo holds the user information sub-items we understand. Unknown
// sub-items (asynchronous operations window, role selection, extended
// negotiation, user identity...) are kept verbatim in Other and are never
// echoed by the SCP, which by PS3.7 D.3.3 means "not negotiated".
type UserInfo struct {
	MaxPDULength              uint32 // 0 means no limit
	ImplementationClassUID    string
	ImplementationVersionName string
	Other                     []SubItem
}

// SubItem is a user information sub-item kept as raw bytes.
type SubItem struct {
	Type byte
	Data []byte
}

// walkItems iterates the items (type, reserved, 16-bit length, value) of b.
func walkItems(b []byte, fn func(typ byte, val []byte) error) error {
	for len(b) > 0 {
		if len(b) < 4 {
			return protoErr(AbortReasonInvalidParameter, "truncated item header (%d bytes)", len(b))
		}
		typ := b[0]
		n := int(binary.BigEndian.Uint16(b[2:4]))
		if n > len(b)-4 {
			return protoErr(AbortReasonInvalidParameter, "item 0x%02x length %d exceeds remaining %d bytes", typ, n, len(b)-4)
		}
		if err := fn(typ, b[4:4+n:4+n]); err != nil {
			return err
		}
		b = b[4+n:]
	}
	return nil
}

func appendItem(dst []byte, typ byte, val []byte) ([]byte, error) {
	if len(val) > 0xFFFF {
		return dst, fmt.Errorf("dicomnet: encode item 0x%02x: %d bytes too long", typ, len(val))
	}
	dst = append(dst, typ, 0)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(val)))
	return append(dst, val...), nil
}

// appendNested writes an item header, lets body append the value, then patches the length.
func appendNested(dst []byte, typ byte, body func([]byte) ([]byte, error)) ([]byte, error) {
	start := len(dst)
	dst = append(dst, typ, 0, 0, 0)
	dst, err := body(dst)
	if err != nil {
		return dst[:start], err
	}
	n := len(dst) - start - 4
	if n > 0xFFFF {
		return dst[:start], fmt.Errorf("dicomnet: encode item 0x%02x: %d bytes too long", typ, n)
	}
	binary.BigEndian.PutUint16(dst[start+2:], uint16(n))
	return dst, nil
}

func decodePresentationContextRQ(val []byte) (PresentationContextRQ, error) {
	var pc PresentationContextRQ
	if len(val) < 4 {
		return pc, protoErr(AbortReasonInvalidParameter, "presentation context item: %d bytes", len(val))
	}
	pc.ID = val[0]
	sawAbstract := false
	err := walkItems(val[4:], func(typ byte, v []byte) error {
		switch typ {
		case itemAbstractSyntax:
			if sawAbstract {
				return protoErr(AbortReasonUnexpectedParameter, "presentation context %d: second abstract syntax", pc.ID)
			}
			sawAbstract = true
			pc.AbstractSyntax = trimUID(v)
		case itemTransferSyntax:
			pc.TransferSyntaxes = append(pc.TransferSyntaxes, trimUID(v))
		}
		return nil
	})
	if err != nil {
		return pc, err
	}
	return pc, nil
}

func (pc PresentationContextRQ) appendTo(dst []byte) ([]byte, error) {
	return appendNested(dst, itemPresentationContextRQ, func(d []byte) ([]byte, error) {
		d = append(d, pc.ID, 0, 0, 0)
		d, err := appendItem(d, itemAbstractSyntax, []byte(pc.AbstractSyntax))
		if err != nil {
			return d, err
		}
		for _, ts := range pc.TransferSyntaxes {
			if d, err = appendItem(d, itemTransferSyntax, []byte(ts)); err != nil {
				return d, err
			}
		}
		return d, nil
	})
}

func decodePresentationContextAC(val []byte) (PresentationContextAC, error) {
	var pc PresentationContextAC
	if len(val) < 4 {
		return pc, protoErr(AbortReasonInvalidParameter, "presentation context ac item: %d bytes", len(val))
	}
	pc.ID, pc.Result = val[0], val[2]
	err := walkItems(val[4:], func(typ byte, v []byte) error {
		if typ == itemTransferSyntax {
			pc.TransferSyntax = trimUID(v)
		}
		return nil
	})
	return pc, err
}

func (pc PresentationContextAC) appendTo(dst []byte) ([]byte, error) {
	return appendNested(dst, itemPresentationContextAC, func(d []byte) ([]byte, error) {
		d = append(d, pc.ID, 0, pc.Result, 0)
		return appendItem(d, itemTransferSyntax, []byte(pc.TransferSyntax))
	})
}

func decodeUserInfo(val []byte) (UserInfo, error) {
	var ui UserInfo
	err := walkItems(val, func(typ byte, v []byte) error {
		switch typ {
		case subMaxLength:
			if len(v) != 4 {
				return protoErr(AbortReasonInvalidParameter, "maximum length sub-item: %d bytes, want 4", len(v))
			}
			ui.MaxPDULength = binary.BigEndian.Uint32(v)
		case subImplementationClassUID:
			ui.ImplementationClassUID = trimUID(v)
		case subImplementationVersion:
			ui.ImplementationVersionName = strings.TrimRight(string(v), " \x00")
		default:
			ui.Other = append(ui.Other, SubItem{Type: typ, Data: append([]byte(nil), v...)})
		}
		return nil
	})
	return ui, err
}

func (ui UserInfo) appendTo(dst []byte) ([]byte, error) {
	return appendNested(dst, itemUserInformation, func(d []byte) ([]byte, error) {
		d = append(d, subMaxLength, 0, 0, 4)
		d = binary.BigEndian.AppendUint32(d, ui.MaxPDULength)
		var err error
		if ui.ImplementationClassUID != "" {
			if d, err = appendItem(d, subImplementationClassUID, []byte(ui.ImplementationClassUID)); err != nil {
				return d, err
			}
		}
		for _, s := range ui.Other {
			if d, err = appendItem(d, s.Type, s.Data); err != nil {
				return d, err
			}
		}
		if ui.ImplementationVersionName != "" {
			if d, err = appendItem(d, subImplementationVersion, []byte(ui.ImplementationVersionName)); err != nil {
				return d, err
			}
		}
		return d, nil
	})
}

// trimUID removes the NUL or space padding some implementations add to UIDs.
func trimUID(b []byte) string {
	return strings.TrimRight(string(b), "\x00 ")
}

// ValidUID reports whether s is a syntactically valid UID (PS3.5 9.1):
// at most 64 characters, dot-separated numeric components, no empty
// component, and no leading zero in a multi-digit component.
func ValidUID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	compStart := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			n := i - compStart
			if n == 0 || (n > 1 && s[compStart] == '0') {
				return false
			}
			compStart = i + 1
			continue
		}
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
