package net

import "fmt"

// DIMSE status codes used by C-ECHO and C-STORE (PS3.7 Annex C, PS3.4 B.2.3).
const (
	StatusSuccess                     uint16 = 0x0000
	StatusProcessingFailure           uint16 = 0x0110
	StatusDuplicateSOPInstance        uint16 = 0x0111
	StatusSOPClassNotSupported        uint16 = 0x0122
	StatusUnrecognizedOperation       uint16 = 0x0211
	StatusOutOfResources              uint16 = 0xA700
	StatusDataSetDoesNotMatchSOPClass uint16 = 0xA900
	StatusCoercionOfDataElements      uint16 = 0xB000
	StatusElementsDiscarded           uint16 = 0xB006
	StatusDataSetDoesNotMatchWarning  uint16 = 0xB007
	StatusCannotUnderstand            uint16 = 0xC000
)

// Status is the outcome of one DIMSE operation. Comment, when set on a
// non-success status, travels in Error Comment (0000,0902), cut to 64
// characters; it must not contain patient data.
type Status struct {
	Code    uint16
	Comment string
}

// IsSuccess reports code 0x0000.
func (s Status) IsSuccess() bool { return s.Code == StatusSuccess }

// IsWarning reports a warning status (0001, 0107, 0116, Bxxx): the instance was stored.
func (s Status) IsWarning() bool {
	return s.Code == 0x0001 || s.Code == 0x0107 || s.Code == 0x0116 || s.Code&0xF000 == 0xB000
}

// IsFailure reports any status that is neither success, warning, cancel nor pending.
func (s Status) IsFailure() bool {
	return !s.IsSuccess() && !s.IsWarning() && s.Code != 0xFE00 && s.Code != 0xFF00 && s.Code != 0xFF01
}

func (s Status) String() string {
	name := statusName(s.Code)
	if s.Comment != "" {
		return fmt.Sprintf("0x%04X %s (%s)", s.Code, name, s.Comment)
	}
	return fmt.Sprintf("0x%04X %s", s.Code, name)
}

func statusName(c uint16) string {
	switch {
	case c == StatusSuccess:
		return "success"
	case c == StatusProcessingFailure:
		return "processing failure"
	case c == StatusDuplicateSOPInstance:
		return "duplicate SOP instance"
	case c == StatusSOPClassNotSupported:
		return "SOP class not supported"
	case c == StatusUnrecognizedOperation:
		return "unrecognized operation"
	case c&0xFF00 == 0xA700:
		return "refused: out of resources"
	case c&0xFF00 == 0xA900:
		return "error: data set does not match SOP class"
	case c == StatusCoercionOfDataElements:
		return "warning: coercion of data elements"
	case c == StatusElementsDiscarded:
		return "warning: elements discarded"
	case c == StatusDataSetDoesNotMatchWarning:
		return "warning: data set does not match SOP class"
	case c&0xF000 == 0xC000:
		return "error: cannot understand"
	case c == 0xFE00:
		return "cancel"
	case c == 0xFF00 || c == 0xFF01:
		return "pending"
	case c&0xF000 == 0xB000:
		return "warning"
	}
	return "failure"
}
