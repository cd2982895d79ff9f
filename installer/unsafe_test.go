package installer

import "unsafe"

func unsafeBytes(b *byte, n int) []byte { return unsafe.Slice(b, n) }
