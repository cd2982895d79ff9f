package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// StudyRecord is the study level of the index, with the patient fields of
// its newest instance and aggregates over its series and instances.
type StudyRecord struct {
	StudyUID           string    `json:"study_uid"`
	PatientID          string    `json:"patient_id"`
	PatientName        string    `json:"patient_name"`
	PatientBirthDate   string    `json:"patient_birth_date"`
	PatientSex         string    `json:"patient_sex"`
	StudyDate          string    `json:"study_date"`
	StudyTime          string    `json:"study_time"`
	StudyDescription   string    `json:"study_description"`
	AccessionNumber    string    `json:"accession_number"`
	ReferringPhysician string    `json:"referring_physician"`
	Modalities         []string  `json:"modalities"`
	NumSeries          int       `json:"num_series"`
	NumInstances       int       `json:"num_instances"`
	FirstReceived      time.Time `json:"first_received"`
	LastUpdate         time.Time `json:"last_update"`
	// Stable is true once StudyStable was emitted and no instance arrived
	// since.
	Stable bool `json:"stable"`
}

// SeriesRecord is the series level of the index.
type SeriesRecord struct {
	SeriesUID         string    `json:"series_uid"`
	StudyUID          string    `json:"study_uid"`
	Modality          string    `json:"modality"`
	SeriesNumber      int       `json:"series_number"`
	SeriesDescription string    `json:"series_description"`
	BodyPartExamined  string    `json:"body_part"`
	NumInstances      int       `json:"num_instances"`
	LastUpdate        time.Time `json:"last_update"`
}

// InstanceRecord is one stored instance. Path is absolute in records
// returned by the Store (relative to the data directory on disk).
type InstanceRecord struct {
	SOPInstanceUID    string    `json:"sop_instance_uid"`
	SOPClassUID       string    `json:"sop_class_uid"`
	TransferSyntaxUID string    `json:"transfer_syntax_uid"`
	StudyUID          string    `json:"study_uid"`
	SeriesUID         string    `json:"series_uid"`
	InstanceNumber    int       `json:"instance_number"`
	Rows              int       `json:"rows"`
	Columns           int       `json:"columns"`
	NumberOfFrames    int       `json:"number_of_frames"`
	BitsAllocated     int       `json:"bits_allocated"`
	SenderAE          string    `json:"sender_ae"`
	RemoteAddr        string    `json:"remote_addr"`
	ReceivedAt        time.Time `json:"received_at"`
	Path              string    `json:"path"`
	Size              int64     `json:"size"`

	cursorKey []byte // paging position while listing
}

// Counts are the totals shown by the health endpoint.
type Counts struct {
	Studies   int64 `json:"studies"`
	Series    int64 `json:"series"`
	Instances int64 `json:"instances"`
}

const maxUIDLen = 128

// checkUID accepts what real senders put in UI elements: non-empty, at
// most 128 bytes, no control characters, no NUL.
func checkUID(what, uid string) error {
	if uid == "" {
		return fmt.Errorf("%w: missing %s", ErrInvalidInstance, what)
	}
	if len(uid) > maxUIDLen {
		return fmt.Errorf("%w: %s longer than %d bytes", ErrInvalidInstance, what, maxUIDLen)
	}
	for i := 0; i < len(uid); i++ {
		if uid[i] < 0x20 || uid[i] == 0x7f {
			return fmt.Errorf("%w: %s has a control character", ErrInvalidInstance, what)
		}
	}
	return nil
}

// pathName turns a UID into a file name: conforming UIDs (digits and dots)
// are used as they are, anything else by a hash, so no UID can escape the
// instances directory or collide with a temporary file name.
func pathName(uid string) string {
	ok := uid != "" && len(uid) <= 64 && uid[0] != '.'
	for i := 0; ok && i < len(uid); i++ {
		c := uid[i]
		ok = c == '.' || (c >= '0' && c <= '9')
	}
	if ok {
		return uid
	}
	h := sha256.Sum256([]byte(uid))
	return "h" + hex.EncodeToString(h[:16])
}

// relPath is the instance file path relative to the data directory.
func relPath(study, series, sop string) string {
	return "instances/" + pathName(study) + "/" + pathName(series) + "/" + pathName(sop) + ".dcm"
}

// atoiLoose parses a DICOM IS value ("  12 ", "+3"); 0 when absent or bad.
func atoiLoose(s string) int {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\\'); i >= 0 { // multi-valued: first value
		s = strings.TrimSpace(s[:i])
	}
	n, err := strconv.Atoi(strings.TrimPrefix(s, "+"))
	if err != nil {
		return 0
	}
	return n
}

// dateKey is the ix_date key: YYYYMMDD HHMMSS \x00 study UID; unknown dates
// sort as 00000000 (last in newest-first listings).
func dateKey(date, tm, studyUID string) []byte {
	return []byte(normDate(date) + normTime(tm) + "\x00" + studyUID)
}

func normDate(d string) string {
	d = strings.TrimSpace(d)
	if len(d) == 10 && d[4] == '.' && d[7] == '.' { // old ACR-NEMA form
		d = d[:4] + d[5:7] + d[8:]
	}
	if len(d) != 8 || !allDigits(d) {
		return unknownDate
	}
	return d
}

func normTime(t string) string {
	t = strings.TrimSpace(t)
	if i := strings.IndexByte(t, '.'); i >= 0 {
		t = t[:i]
	}
	t = strings.ReplaceAll(t, ":", "")
	if !allDigits(t) || len(t) > 6 {
		return "000000"
	}
	return t + strings.Repeat("0", 6-len(t))
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// instKey is the ix_inst key: series UID \x00 ordered instance number \x00
// SOP UID.
func instKey(series string, number int, sop string) []byte {
	n := int64(number)
	if n < -1<<31 {
		n = -1 << 31
	}
	if n > 1<<31-1 {
		n = 1<<31 - 1
	}
	return []byte(fmt.Sprintf("%s\x00%010d\x00%s", series, n+1<<31, sop))
}

func pairKey(a, b string) []byte { return []byte(a + "\x00" + b) }
