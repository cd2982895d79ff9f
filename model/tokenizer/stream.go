package tokenizer

import "unicode/utf8"

// StreamDecoder turns a stream of ids into text pieces that are always
// complete UTF-8: bytes of a character that spans tokens (Chinese, emoji)
// are held back until the character is complete. Bytes that can never become
// valid are emitted as U+FFFD. A StreamDecoder is not safe for concurrent
// use; make one per generation.
type StreamDecoder struct {
	t       *Tokenizer
	opt     DecodeOptions
	pending []byte
}

// NewStreamDecoder returns a decoder that prints special tokens as text.
func (t *Tokenizer) NewStreamDecoder() *StreamDecoder {
	return &StreamDecoder{t: t}
}

// NewStreamDecoderWith returns a decoder with options (e.g. SkipSpecial).
func (t *Tokenizer) NewStreamDecoderWith(opt DecodeOptions) *StreamDecoder {
	return &StreamDecoder{t: t, opt: opt}
}

// Push adds one id and returns the text that is now complete (often "").
func (d *StreamDecoder) Push(id int) string {
	if d.opt.SkipSpecial && d.t.IsSpecial(id) {
		return ""
	}
	d.pending = append(d.pending, d.t.tokenBytes(id)...)
	cut := completePrefix(d.pending)
	if cut == 0 {
		return ""
	}
	out := validUTF8(d.pending[:cut])
	d.pending = append(d.pending[:0], d.pending[cut:]...)
	return out
}

// Flush returns what is held back (an unfinished character, as U+FFFD) and
// resets the decoder.
func (d *StreamDecoder) Flush() string {
	out := validUTF8(d.pending)
	d.pending = d.pending[:0]
	return out
}

// completePrefix returns how many leading bytes of b can be emitted now: all
// of b except a trailing, still incomplete but valid, UTF-8 sequence.
func completePrefix(b []byte) int {
	// An incomplete sequence is at most 3 bytes long: look back for a lead.
	for k := 1; k <= 3 && k <= len(b); k++ {
		i := len(b) - k
		c := b[i]
		if c < 0x80 {
			return len(b)
		}
		if c >= 0xC0 { // a lead byte (or an invalid one)
			if !utf8.FullRune(b[i:]) && maximalSubpart(b[i:]) == k {
				return i
			}
			return len(b)
		}
	}
	return len(b)
}
