package net

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// PDUType is the first byte of every Upper Layer PDU (PS3.8 9.3).
type PDUType byte

// The seven PDU types of PS3.8 9.3.
const (
	TypeAssociateRQ PDUType = 0x01
	TypeAssociateAC PDUType = 0x02
	TypeAssociateRJ PDUType = 0x03
	TypePDataTF     PDUType = 0x04
	TypeReleaseRQ   PDUType = 0x05
	TypeReleaseRP   PDUType = 0x06
	TypeAbort       PDUType = 0x07
)

func (t PDUType) String() string {
	switch t {
	case TypeAssociateRQ:
		return "A-ASSOCIATE-RQ"
	case TypeAssociateAC:
		return "A-ASSOCIATE-AC"
	case TypeAssociateRJ:
		return "A-ASSOCIATE-RJ"
	case TypePDataTF:
		return "P-DATA-TF"
	case TypeReleaseRQ:
		return "A-RELEASE-RQ"
	case TypeReleaseRP:
		return "A-RELEASE-RP"
	case TypeAbort:
		return "A-ABORT"
	}
	return fmt.Sprintf("PDU(0x%02x)", byte(t))
}

// pduHeaderLen is the fixed PDU header: type, reserved, 32-bit big-endian length.
const pduHeaderLen = 6

// ApplicationContextName is the only DICOM application context (PS3.7 A.2.1).
const ApplicationContextName = "1.2.840.10008.3.1.1.1"

// A-ASSOCIATE-RJ result, source and reason values (PS3.8 Table 9-21).
const (
	RejectPermanent byte = 1
	RejectTransient byte = 2

	RejectSourceUser                 byte = 1 // DICOM UL service-user
	RejectSourceProviderACSE         byte = 2 // DICOM UL service-provider (ACSE related function)
	RejectSourceProviderPresentation byte = 3 // DICOM UL service-provider (Presentation related function)

	// Source 1 (service-user) reasons.
	RejectReasonNoReason               byte = 1
	RejectReasonAppContextNotSupported byte = 2
	RejectReasonCallingAENotRecognized byte = 3
	RejectReasonCalledAENotRecognized  byte = 7
	// Source 2 (service-provider, ACSE) reasons.
	RejectReasonProtocolVersionNotSupported byte = 2
	// Source 3 (service-provider, presentation) reasons.
	RejectReasonTemporaryCongestion byte = 1
	RejectReasonLocalLimitExceeded  byte = 2
)

// A-ABORT source and reason values (PS3.8 Table 9-26).
const (
	AbortSourceUser     byte = 0 // DICOM UL service-user (initiated abort)
	AbortSourceProvider byte = 2 // DICOM UL service-provider (initiated abort)

	AbortReasonNotSpecified          byte = 0
	AbortReasonUnrecognizedPDU       byte = 1
	AbortReasonUnexpectedPDU         byte = 2
	AbortReasonUnrecognizedParameter byte = 4
	AbortReasonUnexpectedParameter   byte = 5
	AbortReasonInvalidParameter      byte = 6
)

// PDU is one decoded Upper Layer protocol data unit.
type PDU interface {
	Type() PDUType
	// appendBody appends the PDU's variable part (everything after the header).
	appendBody(dst []byte) ([]byte, error)
}

// AssociateRQ is an A-ASSOCIATE-RQ PDU (PS3.8 9.3.2).
type AssociateRQ struct {
	ProtocolVersion      uint16 // bit 0 set means version 1
	CalledAE, CallingAE  string // trimmed of padding
	ApplicationContext   string
	PresentationContexts []PresentationContextRQ
	UserInfo             UserInfo
}

// AssociateAC is an A-ASSOCIATE-AC PDU (PS3.8 9.3.3).
type AssociateAC struct {
	ProtocolVersion      uint16
	CalledAE, CallingAE  string // echoed from the request; not checked by peers
	ApplicationContext   string
	PresentationContexts []PresentationContextAC
	UserInfo             UserInfo
}

// AssociateRJ is an A-ASSOCIATE-RJ PDU (PS3.8 9.3.4).
type AssociateRJ struct{ Result, Source, Reason byte }

// PDataTF is a P-DATA-TF PDU (PS3.8 9.3.5): one or more presentation data values.
type PDataTF struct{ PDVs []PDV }

// PDV is one presentation data value item. Data aliases the decoded buffer.
type PDV struct {
	ContextID byte
	Command   bool // message control header bit 0
	Last      bool // message control header bit 1
	Data      []byte
}

// ReleaseRQ is an A-RELEASE-RQ PDU.
type ReleaseRQ struct{}

// ReleaseRP is an A-RELEASE-RP PDU.
type ReleaseRP struct{}

// Abort is an A-ABORT PDU (PS3.8 9.3.8).
type Abort struct{ Source, Reason byte }

func (*AssociateRQ) Type() PDUType { return TypeAssociateRQ }
func (*AssociateAC) Type() PDUType { return TypeAssociateAC }
func (*AssociateRJ) Type() PDUType { return TypeAssociateRJ }
func (*PDataTF) Type() PDUType     { return TypePDataTF }
func (*ReleaseRQ) Type() PDUType   { return TypeReleaseRQ }
func (*ReleaseRP) Type() PDUType   { return TypeReleaseRP }
func (*Abort) Type() PDUType       { return TypeAbort }

// ErrPDUTooLarge reports a PDU whose length field exceeds the configured maximum.
var ErrPDUTooLarge = errors.New("dicomnet: pdu length exceeds maximum")

// ProtocolError is a violation of PS3.8 found while decoding; the peer gets an
// A-ABORT with Reason (source service-provider).
type ProtocolError struct {
	Reason byte
	Msg    string
}

func (e *ProtocolError) Error() string { return "dicomnet: " + e.Msg }

func protoErr(reason byte, format string, args ...any) error {
	return &ProtocolError{Reason: reason, Msg: fmt.Sprintf(format, args...)}
}

// AppendPDU appends the wire encoding of p (header included) to dst.
func AppendPDU(dst []byte, p PDU) ([]byte, error) {
	start := len(dst)
	dst = append(dst, byte(p.Type()), 0, 0, 0, 0, 0)
	dst, err := p.appendBody(dst)
	if err != nil {
		return dst[:start], err
	}
	n := len(dst) - start - pduHeaderLen
	if uint64(n) > 0xFFFFFFFF {
		return dst[:start], fmt.Errorf("dicomnet: encode %v: body of %d bytes too long", p.Type(), n)
	}
	binary.BigEndian.PutUint32(dst[start+2:], uint32(n))
	return dst, nil
}

// EncodePDU returns the wire encoding of p.
func EncodePDU(p PDU) ([]byte, error) { return AppendPDU(nil, p) }

// DecodePDU decodes one complete PDU (header included). Trailing bytes are an error.
// PDataTF PDVs alias b.
func DecodePDU(b []byte) (PDU, error) {
	if len(b) < pduHeaderLen {
		return nil, protoErr(AbortReasonInvalidParameter, "pdu truncated: %d header bytes", len(b))
	}
	n := binary.BigEndian.Uint32(b[2:6])
	if uint64(len(b)-pduHeaderLen) != uint64(n) {
		return nil, protoErr(AbortReasonInvalidParameter, "pdu length %d does not match %d bytes", n, len(b)-pduHeaderLen)
	}
	return decodeBody(PDUType(b[0]), b[pduHeaderLen:])
}

func decodeBody(t PDUType, body []byte) (PDU, error) {
	switch t {
	case TypeAssociateRQ:
		return decodeAssociateRQ(body)
	case TypeAssociateAC:
		return decodeAssociateAC(body)
	case TypeAssociateRJ:
		if len(body) != 4 {
			return nil, protoErr(AbortReasonInvalidParameter, "a-associate-rj: length %d, want 4", len(body))
		}
		return &AssociateRJ{Result: body[1], Source: body[2], Reason: body[3]}, nil
	case TypePDataTF:
		return decodePData(body)
	case TypeReleaseRQ, TypeReleaseRP:
		if len(body) != 4 {
			return nil, protoErr(AbortReasonInvalidParameter, "%v: length %d, want 4", t, len(body))
		}
		if t == TypeReleaseRQ {
			return &ReleaseRQ{}, nil
		}
		return &ReleaseRP{}, nil
	case TypeAbort:
		if len(body) != 4 {
			return nil, protoErr(AbortReasonInvalidParameter, "a-abort: length %d, want 4", len(body))
		}
		return &Abort{Source: body[2], Reason: body[3]}, nil
	}
	return nil, protoErr(AbortReasonUnrecognizedPDU, "unrecognized pdu type 0x%02x", byte(t))
}

// associate RQ/AC fixed part: version(2) reserved(2) called(16) calling(16) reserved(32).
const assocFixedLen = 68

func decodeAssocFixed(kind string, body []byte) (version uint16, called, calling string, items []byte, err error) {
	if len(body) < assocFixedLen {
		return 0, "", "", nil, protoErr(AbortReasonInvalidParameter, "%s: %d bytes, want at least %d", kind, len(body), assocFixedLen)
	}
	version = binary.BigEndian.Uint16(body[0:2])
	called = trimAE(body[4:20])
	calling = trimAE(body[20:36])
	return version, called, calling, body[assocFixedLen:], nil
}

func appendAssocFixed(dst []byte, version uint16, called, calling string) []byte {
	dst = binary.BigEndian.AppendUint16(dst, version)
	dst = append(dst, 0, 0)
	dst = appendAE(dst, called)
	dst = appendAE(dst, calling)
	return append(dst, make([]byte, 32)...)
}

func decodeAssociateRQ(body []byte) (PDU, error) {
	v, called, calling, items, err := decodeAssocFixed("a-associate-rq", body)
	if err != nil {
		return nil, err
	}
	rq := &AssociateRQ{ProtocolVersion: v, CalledAE: called, CallingAE: calling}
	var sawCtx, sawUser bool
	err = walkItems(items, func(typ byte, val []byte) error {
		switch typ {
		case itemApplicationContext:
			if sawCtx {
				return protoErr(AbortReasonUnexpectedParameter, "a-associate-rq: second application context item")
			}
			sawCtx = true
			rq.ApplicationContext = trimUID(val)
		case itemPresentationContextRQ:
			pc, err := decodePresentationContextRQ(val)
			if err != nil {
				return err
			}
			rq.PresentationContexts = append(rq.PresentationContexts, pc)
		case itemUserInformation:
			if sawUser {
				return protoErr(AbortReasonUnexpectedParameter, "a-associate-rq: second user information item")
			}
			sawUser = true
			ui, err := decodeUserInfo(val)
			if err != nil {
				return err
			}
			rq.UserInfo = ui
		}
		return nil // other item types are ignored (PS3.8 9.3.1)
	})
	if err != nil {
		return nil, err
	}
	if !sawCtx {
		return nil, protoErr(AbortReasonInvalidParameter, "a-associate-rq: no application context item")
	}
	return rq, nil
}

func decodeAssociateAC(body []byte) (PDU, error) {
	v, called, calling, items, err := decodeAssocFixed("a-associate-ac", body)
	if err != nil {
		return nil, err
	}
	ac := &AssociateAC{ProtocolVersion: v, CalledAE: called, CallingAE: calling}
	var sawCtx, sawUser bool
	err = walkItems(items, func(typ byte, val []byte) error {
		switch typ {
		case itemApplicationContext:
			if sawCtx {
				return protoErr(AbortReasonUnexpectedParameter, "a-associate-ac: second application context item")
			}
			sawCtx = true
			ac.ApplicationContext = trimUID(val)
		case itemPresentationContextAC:
			pc, err := decodePresentationContextAC(val)
			if err != nil {
				return err
			}
			ac.PresentationContexts = append(ac.PresentationContexts, pc)
		case itemUserInformation:
			if sawUser {
				return protoErr(AbortReasonUnexpectedParameter, "a-associate-ac: second user information item")
			}
			sawUser = true
			ui, err := decodeUserInfo(val)
			if err != nil {
				return err
			}
			ac.UserInfo = ui
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !sawCtx {
		return nil, protoErr(AbortReasonInvalidParameter, "a-associate-ac: no application context item")
	}
	return ac, nil
}

func (p *AssociateRQ) appendBody(dst []byte) ([]byte, error) {
	dst = appendAssocFixed(dst, p.ProtocolVersion, p.CalledAE, p.CallingAE)
	dst, err := appendItem(dst, itemApplicationContext, []byte(p.ApplicationContext))
	if err != nil {
		return dst, err
	}
	for _, pc := range p.PresentationContexts {
		if dst, err = pc.appendTo(dst); err != nil {
			return dst, err
		}
	}
	return p.UserInfo.appendTo(dst)
}

func (p *AssociateAC) appendBody(dst []byte) ([]byte, error) {
	dst = appendAssocFixed(dst, p.ProtocolVersion, p.CalledAE, p.CallingAE)
	dst, err := appendItem(dst, itemApplicationContext, []byte(p.ApplicationContext))
	if err != nil {
		return dst, err
	}
	for _, pc := range p.PresentationContexts {
		if dst, err = pc.appendTo(dst); err != nil {
			return dst, err
		}
	}
	return p.UserInfo.appendTo(dst)
}

func (p *AssociateRJ) appendBody(dst []byte) ([]byte, error) {
	return append(dst, 0, p.Result, p.Source, p.Reason), nil
}

func (p *ReleaseRQ) appendBody(dst []byte) ([]byte, error) { return append(dst, 0, 0, 0, 0), nil }
func (p *ReleaseRP) appendBody(dst []byte) ([]byte, error) { return append(dst, 0, 0, 0, 0), nil }

func (p *Abort) appendBody(dst []byte) ([]byte, error) {
	return append(dst, 0, 0, p.Source, p.Reason), nil
}

func (p *PDataTF) appendBody(dst []byte) ([]byte, error) {
	for _, v := range p.PDVs {
		if uint64(len(v.Data))+2 > 0xFFFFFFFF {
			return dst, fmt.Errorf("dicomnet: encode p-data-tf: pdv of %d bytes too long", len(v.Data))
		}
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(v.Data)+2))
		dst = append(dst, v.ContextID, pdvControl(v.Command, v.Last))
		dst = append(dst, v.Data...)
	}
	return dst, nil
}

func pdvControl(command, last bool) byte {
	var c byte
	if command {
		c |= 1
	}
	if last {
		c |= 2
	}
	return c
}

func decodePData(body []byte) (PDU, error) {
	p := &PDataTF{}
	err := walkPDVs(body, func(v PDV) error {
		p.PDVs = append(p.PDVs, v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// walkPDVs calls fn for each PDV item of a P-DATA-TF body, in order, without allocating.
func walkPDVs(body []byte, fn func(PDV) error) error {
	if len(body) == 0 {
		return protoErr(AbortReasonInvalidParameter, "p-data-tf: no pdv items")
	}
	for len(body) > 0 {
		v, rest, err := nextPDV(body)
		if err != nil {
			return err
		}
		if err := fn(v); err != nil {
			return err
		}
		body = rest
	}
	return nil
}

// nextPDV splits the first PDV item off a non-empty P-DATA-TF body.
func nextPDV(body []byte) (PDV, []byte, error) {
	if len(body) < 6 {
		return PDV{}, nil, protoErr(AbortReasonInvalidParameter, "p-data-tf: truncated pdv header (%d bytes)", len(body))
	}
	n := binary.BigEndian.Uint32(body[0:4])
	if n < 2 || uint64(n) > uint64(len(body)-4) {
		return PDV{}, nil, protoErr(AbortReasonInvalidParameter, "p-data-tf: pdv length %d outside 2..%d", n, len(body)-4)
	}
	ctl := body[5]
	if ctl&^3 != 0 {
		return PDV{}, nil, protoErr(AbortReasonInvalidParameter, "p-data-tf: reserved message control bits 0x%02x", ctl)
	}
	v := PDV{ContextID: body[4], Command: ctl&1 != 0, Last: ctl&2 != 0, Data: body[6 : 4+n : 4+n]}
	return v, body[4+n:], nil
}

// readPDU reads one PDU from r into buf (grown as needed) and returns its type and body.
// A length above the limit for its type (dataLimit for P-DATA-TF, ctlLimit for
// the others) yields ErrPDUTooLarge without reading the body.
func readPDU(r io.Reader, buf []byte, dataLimit, ctlLimit uint32) (PDUType, []byte, []byte, error) {
	var hdr [pduHeaderLen]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, buf, err
	}
	t := PDUType(hdr[0])
	n := binary.BigEndian.Uint32(hdr[2:6])
	if t < TypeAssociateRQ || t > TypeAbort {
		return t, nil, buf, protoErr(AbortReasonUnrecognizedPDU, "unrecognized pdu type 0x%02x", hdr[0])
	}
	limit := ctlLimit
	if t == TypePDataTF {
		limit = dataLimit
	}
	if n > limit {
		return t, nil, buf, pduTooLarge(t, n, limit)
	}
	if uint64(cap(buf)) < uint64(n) {
		buf = make([]byte, n)
	}
	body := buf[:n]
	if _, err := io.ReadFull(r, body); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return t, nil, buf, err
	}
	return t, body, buf, nil
}

func pduTooLarge(t PDUType, n, limit uint32) error {
	return fmt.Errorf("%w: %v of %d bytes, limit %d", ErrPDUTooLarge, t, n, limit)
}

func trimAE(b []byte) string {
	return strings.Trim(string(b), " \x00")
}

func appendAE(dst []byte, ae string) []byte {
	var f [16]byte
	for i := range f {
		f[i] = ' '
	}
	copy(f[:], ae)
	return append(dst, f[:]...)
}

// ValidAETitle reports whether s is a usable AE title: 1..16 characters of the
// default repertoire, no backslash or control characters, not all spaces.
func ValidAETitle(s string) bool {
	if len(s) == 0 || len(s) > 16 || strings.TrimSpace(s) == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '\\' {
			return false
		}
	}
	return true
}
