package dicom

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Specific Character Set (0008,0005) handling, PS3.5 §6.1 and PS3.3 C.12.1.1.2.
//
// Supported: the default repertoire, ISO_IR 100/101/109/110/144/127/126/138/
// 148/203/166/13, ISO_IR 192 (UTF-8), GB18030, GBK, and the ISO 2022 code
// extensions with the escape sequences of PS3.3 Table C.12-3/4 (IR 6, 100…,
// 13/14, 87, 159, 149, 58). Non-standard aliases seen in Chinese sites
// ("GB2312", "ISO_IR 58", "UTF-8") are accepted.
//
// Text without a declared character set that is not ASCII is kept when it is
// valid UTF-8, decoded as GB18030 when it is valid GB18030, else as Latin-1:
// undeclared GBK is common in Chinese hospitals.

// g1Set is a character set invoked for bytes ≥ 0x80 (or, for the JIS sets, a
// G0 set invoked with ESC).
type g1Set struct {
	single *charmap.Charmap  // single-byte set; DecodeByte needs no allocation
	multi  encoding.Encoding // multi-byte (EUC-KR, GBK, JIS katakana)
}

type csKind uint8

const (
	csDefault csKind = iota // ASCII (ISO_IR 6)
	csUTF8
	csSingle // one non-2022 set in single
	csMulti  // GB18030 / GBK (non-2022 multi-byte)
	cs2022   // ISO 2022 code extensions
)

// charset is the decoded form of a Specific Character Set value.
type charset struct {
	kind csKind
	set  g1Set // for csSingle/csMulti, and the initial G1 for cs2022
}

// charsetTerms maps defined terms (both the ISO_IR and ISO 2022 forms) to
// their sets. Read-only after package initialisation.
var charsetTerms = map[string]g1Set{
	"100": {single: charmap.ISO8859_1}, "101": {single: charmap.ISO8859_2},
	"109": {single: charmap.ISO8859_3}, "110": {single: charmap.ISO8859_4},
	"144": {single: charmap.ISO8859_5}, "127": {single: charmap.ISO8859_6},
	"126": {single: charmap.ISO8859_7}, "138": {single: charmap.ISO8859_8},
	"148": {single: charmap.ISO8859_9}, "203": {single: charmap.ISO8859_15},
	"166": {single: charmap.Windows874}, "13": {multi: japanese.ShiftJIS},
	"149": {multi: korean.EUCKR}, "58": {multi: simplifiedchinese.GBK},
}

// parseCharset interprets the raw value of (0008,0005).
func parseCharset(raw string) charset {
	raw = strings.Trim(raw, " \x00")
	if raw == "" || raw == "ISO_IR 6" {
		return charset{}
	}
	first, rest, multiValued := strings.Cut(raw, `\`)
	first = strings.TrimSpace(first)
	switch strings.ToUpper(first) {
	case "ISO_IR 192", "UTF-8", "UTF8":
		return charset{kind: csUTF8}
	case "GB18030":
		return charset{kind: csMulti, set: g1Set{multi: simplifiedchinese.GB18030}}
	case "GBK", "GB2312", "ISO_IR 58":
		return charset{kind: csMulti, set: g1Set{multi: simplifiedchinese.GBK}}
	}
	if multiValued || strings.HasPrefix(first, "ISO 2022") || strings.Contains(rest, "ISO 2022") {
		cs := charset{kind: cs2022}
		if num, ok := strings.CutPrefix(first, "ISO 2022 IR "); ok {
			cs.set = charsetTerms[num]
		} else if num, ok := strings.CutPrefix(first, "ISO_IR "); ok {
			cs.set = charsetTerms[num]
		}
		return cs
	}
	if num, ok := strings.CutPrefix(first, "ISO_IR "); ok {
		if set, ok := charsetTerms[num]; ok {
			if set.single != nil {
				return charset{kind: csSingle, set: set}
			}
			return charset{kind: csMulti, set: set}
		}
	}
	return charset{} // unknown term: best effort as undeclared
}

// isASCII reports whether b holds only 7-bit bytes without ESC.
func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 || c == 0x1B {
			return false
		}
	}
	return true
}

// decodeText converts a string value in the given character set to UTF-8.
// pn selects person-name delimiters ('^', '=') for ISO 2022 state resets.
func (cs *charset) decodeText(b []byte, pn bool) string {
	if isASCII(b) {
		return string(b)
	}
	switch cs.kind {
	case csUTF8:
		return strings.ToValidUTF8(string(b), "\uFFFD")
	case csSingle:
		return decodeSingle(b, cs.set.single)
	case csMulti:
		return decodeMulti(b, cs.set.multi)
	case cs2022:
		return decode2022(b, cs.set, pn)
	}
	return decodeUndeclared(b)
}

func decodeSingle(b []byte, m *charmap.Charmap) string {
	var sb strings.Builder
	sb.Grow(len(b) + len(b)/2)
	for _, c := range b {
		if c < 0x80 {
			sb.WriteByte(c)
		} else {
			sb.WriteRune(m.DecodeByte(c))
		}
	}
	return sb.String()
}

func decodeMulti(b []byte, e encoding.Encoding) string {
	out, err := e.NewDecoder().Bytes(b)
	if err != nil {
		return decodeSingle(b, charmap.ISO8859_1)
	}
	return string(out)
}

func decodeUndeclared(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	if out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b); err == nil && !strings.ContainsRune(string(out), utf8.RuneError) {
		return string(out)
	}
	return decodeSingle(b, charmap.ISO8859_1)
}

// g0 states of the ISO 2022 decoder.
const (
	g0ASCII = iota
	g0JIS0208
	g0JIS0212
)

// decode2022 decodes text with ISO 2022 escape sequences. Runs of bytes in
// one state are decoded together; the state returns to the initial one at
// value, component and line delimiters (PS3.5 §6.1.2.5.3).
func decode2022(b []byte, initG1 g1Set, pn bool) string {
	var sb strings.Builder
	sb.Grow(len(b) * 2)
	g0, g1 := g0ASCII, initG1
	runStart := 0
	flush := func(end int) {
		if end > runStart {
			decodeRun(&sb, b[runStart:end], g0, g1)
		}
	}
	for i := 0; i < len(b); {
		c := b[i]
		if c == 0x1B {
			flush(i)
			n := escapeLen(b[i:])
			applyEscape(b[i+1:i+n], &g0, &g1)
			i += n
			runStart = i
			continue
		}
		if g0 != g0ASCII && c >= 0x21 && c <= 0x7E {
			i += 2 // two-byte G0 character; delimiters never occur here
			if i > len(b) {
				i = len(b)
			}
			continue
		}
		if c == '\\' || c == '\r' || c == '\n' || c == '\f' || c == '\t' || (pn && (c == '^' || c == '=')) {
			flush(i)
			sb.WriteByte(c)
			g0, g1 = g0ASCII, initG1
			i++
			runStart = i
			continue
		}
		i++
	}
	flush(len(b))
	return sb.String()
}

// escapeLen returns the length of the escape sequence at b[0] == ESC:
// intermediate bytes 0x20–0x2F then one final byte.
func escapeLen(b []byte) int {
	n := 1
	for n < len(b) && b[n] >= 0x20 && b[n] <= 0x2F {
		n++
	}
	if n < len(b) {
		n++
	}
	return n
}

func applyEscape(seq []byte, g0 *int, g1 *g1Set) {
	switch string(seq) {
	case "(B", "(J":
		*g0 = g0ASCII
	case "$B", "$@":
		*g0 = g0JIS0208
	case "$(D":
		*g0 = g0JIS0212
	case ")I":
		*g1 = g1Set{multi: japanese.ShiftJIS}
	case "$)C":
		*g1 = g1Set{multi: korean.EUCKR}
	case "$)A":
		*g1 = g1Set{multi: simplifiedchinese.GBK}
	default:
		if len(seq) == 2 && seq[0] == '-' {
			if num, ok := latinFinal[seq[1]]; ok {
				*g1 = charsetTerms[num]
			}
		}
	}
}

// latinFinal maps the final byte of "ESC - F" (96-character G1 sets) to the
// ISO IR number.
var latinFinal = map[byte]string{
	'A': "100", 'B': "101", 'C': "109", 'D': "110", 'L': "144", 'G': "127",
	'F': "126", 'H': "138", 'M': "148", 'T': "166", 'b': "203",
}

func decodeRun(sb *strings.Builder, run []byte, g0 int, g1 g1Set) {
	switch g0 {
	case g0JIS0208, g0JIS0212:
		esc := "\x1b$B"
		if g0 == g0JIS0212 {
			esc = "\x1b$(D"
		}
		src := make([]byte, 0, len(run)+8)
		src = append(append(append(src, esc...), run...), "\x1b(B"...)
		if out, err := japanese.ISO2022JP.NewDecoder().Bytes(src); err == nil {
			sb.Write(out)
			return
		}
		sb.WriteString(strings.ToValidUTF8(string(run), "\uFFFD"))
		return
	}
	switch {
	case isASCII(run):
		sb.Write(run)
	case g1.single != nil:
		sb.WriteString(decodeSingle(run, g1.single))
	case g1.multi != nil:
		sb.WriteString(decodeMulti(run, g1.multi))
	default:
		sb.WriteString(decodeUndeclared(run))
	}
}
