package phantom

import (
	"crypto/sha256"
	"math/big"
	"strconv"
)

// UIDRoot is the root of every UID this package makes: the ISO/ITU-T UUID
// arc of PS3.5 §B.2. The integer after it is a UUID (RFC 9562 version 8,
// "custom") whose 122 free bits come from SHA-256 over a fixed namespace,
// the seed, the study index and the object kind and number, so a seed gives
// the same UIDs on every run and no two objects share one.
const UIDRoot = "2.25."

// uidNamespace separates phantom UIDs from any other SHA-256-derived UUIDs.
const uidNamespace = "lingshu-edge/phantom/v1"

// ImplementationVersionName goes to (0002,0013) of every file, next to
// Lingshu's implementation class UID (dicom.ImplementationClassUID).
const ImplementationVersionName = "LINGSHU_PHANTOM1"

// uuidUID maps a key to "2.25.<decimal of a version-8 UUID>".
func uuidUID(key string) string {
	sum := sha256.Sum256([]byte(key))
	u := sum[:16]
	u[6] = u[6]&0x0F | 0x80 // version 8
	u[8] = u[8]&0x3F | 0x80 // RFC 9562 variant
	return UIDRoot + new(big.Int).SetBytes(u).String()
}

// uidFor returns the UID of one object of a study: kind is "study",
// "series", "frame-of-reference" or "instance"; n numbers objects of a kind.
func uidFor(seed uint64, study int, kind string, n int) string {
	return uuidUID(uidNamespace + "/" + strconv.FormatUint(seed, 10) + "/" +
		strconv.Itoa(study) + "/" + kind + "/" + strconv.Itoa(n))
}
