package net

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// DIMSE command field values (PS3.7 E.1).
const (
	CStoreRQ        uint16 = 0x0001
	CStoreRSP       uint16 = 0x8001
	CGetRQ          uint16 = 0x0010
	CFindRQ         uint16 = 0x0020
	CMoveRQ         uint16 = 0x0021
	CEchoRQ         uint16 = 0x0030
	CEchoRSP        uint16 = 0x8030
	NEventReportRQ  uint16 = 0x0100
	NGetRQ          uint16 = 0x0110
	NSetRQ          uint16 = 0x0120
	NActionRQ       uint16 = 0x0130
	NCreateRQ       uint16 = 0x0140
	NDeleteRQ       uint16 = 0x0150
	CCancelRQ       uint16 = 0x0FFF
	responseBit     uint16 = 0x8000
	dataSetAbsent   uint16 = 0x0101 // Command Data Set Type "no data set"
	dataSetPresent  uint16 = 0x0000
	maxCommandBytes        = 64 << 10 // a command set is a few hundred bytes; bound reassembly
)

// Priority values of C-STORE-RQ (0000,0700).
const (
	PriorityMedium uint16 = 0
	PriorityHigh   uint16 = 1
	PriorityLow    uint16 = 2
)

// Command element tags (group 0000), as element numbers.
const (
	tagGroupLength            = 0x0000
	tagAffectedSOPClassUID    = 0x0002
	tagCommandField           = 0x0100
	tagMessageID              = 0x0110
	tagMessageIDRespondedTo   = 0x0120
	tagPriority               = 0x0700
	tagCommandDataSetType     = 0x0800
	tagStatus                 = 0x0900
	tagErrorComment           = 0x0902
	tagAffectedSOPInstanceUID = 0x1000
	tagMoveOriginatorAE       = 0x1030
	tagMoveOriginatorID       = 0x1031
)

// Command is a DIMSE command set (PS3.7 9.3, 9.1). Only the elements of
// C-ECHO and C-STORE are kept; other group 0000 elements are skipped.
type Command struct {
	Field                     uint16
	MessageID                 uint16 // requests
	MessageIDBeingRespondedTo uint16 // responses
	AffectedSOPClassUID       string
	AffectedSOPInstanceUID    string
	Priority                  uint16
	HasDataSet                bool // Command Data Set Type != 0x0101
	Status                    uint16
	ErrorComment              string
	MoveOriginatorAE          string
	MoveOriginatorMessageID   uint16

	hasMessageID, hasRespondedTo bool
}

// IsResponse reports whether the command field has the response bit set.
func (c *Command) IsResponse() bool { return c.Field&responseBit != 0 }

// ErrBadCommand wraps every command set decoding failure.
var ErrBadCommand = errors.New("dicomnet: malformed command set")

func badCommand(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadCommand, fmt.Sprintf(format, args...))
}

// DecodeCommand parses an implicit VR little endian group 0000 command set.
// It requires Command Field and, for a request, Message ID (for a response,
// Message ID Being Responded To).
func DecodeCommand(b []byte) (*Command, error) {
	c := &Command{HasDataSet: true}
	var hasField, hasDST bool
	for len(b) > 0 {
		if len(b) < 8 {
			return nil, badCommand("truncated element header (%d bytes)", len(b))
		}
		group := binary.LittleEndian.Uint16(b[0:2])
		elem := binary.LittleEndian.Uint16(b[2:4])
		n := binary.LittleEndian.Uint32(b[4:8])
		if group != 0 {
			return nil, badCommand("element (%04X,%04X) outside group 0000", group, elem)
		}
		if uint64(n) > uint64(len(b)-8) {
			return nil, badCommand("element (0000,%04X) length %d exceeds %d remaining", elem, n, len(b)-8)
		}
		v := b[8 : 8+n]
		b = b[8+n:]
		var err error
		switch elem {
		case tagAffectedSOPClassUID:
			c.AffectedSOPClassUID = trimUID(v)
		case tagAffectedSOPInstanceUID:
			c.AffectedSOPInstanceUID = trimUID(v)
		case tagCommandField:
			c.Field, err = us(elem, v)
			hasField = true
		case tagMessageID:
			c.MessageID, err = us(elem, v)
			c.hasMessageID = true
		case tagMessageIDRespondedTo:
			c.MessageIDBeingRespondedTo, err = us(elem, v)
			c.hasRespondedTo = true
		case tagPriority:
			c.Priority, err = us(elem, v)
		case tagCommandDataSetType:
			var t uint16
			t, err = us(elem, v)
			c.HasDataSet = t != dataSetAbsent
			hasDST = true
		case tagStatus:
			c.Status, err = us(elem, v)
		case tagErrorComment:
			c.ErrorComment = strings.TrimRight(string(v), " \x00")
		case tagMoveOriginatorAE:
			c.MoveOriginatorAE = strings.Trim(string(v), " \x00")
		case tagMoveOriginatorID:
			c.MoveOriginatorMessageID, err = us(elem, v)
		}
		if err != nil {
			return nil, err
		}
	}
	switch {
	case !hasField:
		return nil, badCommand("no command field (0000,0100)")
	case !hasDST:
		return nil, badCommand("no command data set type (0000,0800)")
	case c.IsResponse() && !c.hasRespondedTo:
		return nil, badCommand("response 0x%04X without message id being responded to", c.Field)
	case !c.IsResponse() && !c.hasMessageID:
		return nil, badCommand("request 0x%04X without message id", c.Field)
	}
	return c, nil
}

func us(elem uint16, v []byte) (uint16, error) {
	if len(v) != 2 {
		return 0, badCommand("element (0000,%04X) US of %d bytes", elem, len(v))
	}
	return binary.LittleEndian.Uint16(v), nil
}

// AppendCommand appends the encoding of c, with its group length element, to dst.
func AppendCommand(dst []byte, c *Command) []byte {
	start := len(dst)
	dst = appendElem(dst, tagGroupLength, []byte{0, 0, 0, 0})
	body := len(dst)
	if c.AffectedSOPClassUID != "" {
		dst = appendStrElem(dst, tagAffectedSOPClassUID, c.AffectedSOPClassUID, 0)
	}
	dst = appendUS(dst, tagCommandField, c.Field)
	if c.IsResponse() {
		dst = appendUS(dst, tagMessageIDRespondedTo, c.MessageIDBeingRespondedTo)
	} else {
		dst = appendUS(dst, tagMessageID, c.MessageID)
	}
	switch c.Field {
	case CStoreRQ, CFindRQ, CGetRQ, CMoveRQ:
		dst = appendUS(dst, tagPriority, c.Priority)
	}
	dst = appendUS(dst, tagCommandDataSetType, dataSetType(c.HasDataSet))
	if c.IsResponse() {
		dst = appendUS(dst, tagStatus, c.Status)
		if c.ErrorComment != "" {
			dst = appendStrElem(dst, tagErrorComment, cleanComment(c.ErrorComment), ' ')
		}
	}
	if c.AffectedSOPInstanceUID != "" {
		dst = appendStrElem(dst, tagAffectedSOPInstanceUID, c.AffectedSOPInstanceUID, 0)
	}
	if c.MoveOriginatorAE != "" {
		dst = appendStrElem(dst, tagMoveOriginatorAE, c.MoveOriginatorAE, ' ')
		dst = appendUS(dst, tagMoveOriginatorID, c.MoveOriginatorMessageID)
	}
	binary.LittleEndian.PutUint32(dst[start+8:], uint32(len(dst)-body))
	return dst
}

func dataSetType(present bool) uint16 {
	if present {
		return dataSetPresent
	}
	return dataSetAbsent
}

// EncodeCommand returns the encoding of c.
func EncodeCommand(c *Command) []byte { return AppendCommand(make([]byte, 0, 192), c) }

func appendElem(dst []byte, elem uint16, v []byte) []byte {
	dst = binary.LittleEndian.AppendUint16(dst, 0)
	dst = binary.LittleEndian.AppendUint16(dst, elem)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(v)))
	return append(dst, v...)
}

func appendUS(dst []byte, elem, v uint16) []byte {
	return appendElem(dst, elem, binary.LittleEndian.AppendUint16(nil, v))
}

// appendStrElem writes s padded to even length with pad.
func appendStrElem(dst []byte, elem uint16, s string, pad byte) []byte {
	n := len(s)
	if n%2 == 1 {
		n++
	}
	dst = binary.LittleEndian.AppendUint16(dst, 0)
	dst = binary.LittleEndian.AppendUint16(dst, elem)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(n))
	dst = append(dst, s...)
	if n != len(s) {
		dst = append(dst, pad)
	}
	return dst
}

// cleanComment makes s a valid LO value: at most 64 characters, no backslash or control characters.
func cleanComment(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c == '\\' || c > 0x7e {
			b[i] = '?'
		}
	}
	if len(b) > 64 {
		b = b[:64]
	}
	return strings.TrimRight(string(b), " ")
}
