package store

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzPattern checks the wildcard matcher against a regexp oracle.
func FuzzPattern(f *testing.F) {
	for _, seed := range [][2]string{{"doe*", "DOE^JOHN"}, {"*a*a*", "banana"}, {"?", "ü"}, {"**", ""}, {"a?c*", "abcabc"}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, p, s string) {
		if !utf8.ValidString(p) || !utf8.ValidString(s) || len(p) > 64 || len(s) > 256 {
			return
		}
		var re strings.Builder
		re.WriteString(`(?s)^`)
		for _, r := range p {
			switch r {
			case '*':
				re.WriteString(`.*`)
			case '?':
				re.WriteString(`.`)
			default:
				re.WriteString(regexp.QuoteMeta(string(r)))
			}
		}
		re.WriteString(`$`)
		want := regexp.MustCompile(re.String()).MatchString(s)
		if got := compilePattern(p, false).match(s); got != want {
			t.Fatalf("%q ~ %q = %v, regexp says %v", p, s, got, want)
		}
	})
}

// FuzzFindStudies feeds arbitrary cursors and patterns to the queries:
// they may fail, never panic, and never return more than the limit.
func FuzzFindStudies(f *testing.F) {
	f.Add("P1", "doe*", "20260101", "", "CT", "", 2, "")
	f.Add("", "", "", "", "", "A1", 1, encodeCursor('s', []byte("20260301000000\x001.2.3.1")))
	f.Add("*", "?", "", "20261231", "", "", 0, "cw")
	s := openTest(f, f.TempDir(), testOptions(newClock()))
	for i, name := range []string{"DOE^JOHN", "SMITH^JANE", "Müller^Anna"} {
		mustPut(f, s, inst{Study: "1.2.3." + itoa(i+1), PatientID: "P" + itoa(i%2), PatientName: name, Accession: "A" + itoa(i), StudyDate: "2026030" + itoa(i+1)})
	}
	f.Fuzz(func(t *testing.T, pid, name, from, to, mod, acc string, limit int, cursor string) {
		list, _, err := s.FindStudies(StudyQuery{PatientID: pid, PatientName: name, DateFrom: from, DateTo: to,
			Modality: mod, Accession: acc, Limit: limit, Cursor: cursor})
		if err == nil && len(list) > clampLimit(limit) {
			t.Fatalf("%d results for limit %d", len(list), limit)
		}
		s.InstancesOf("1.2.3.1.1", limit, cursor)
		s.QueryAudit(AuditFilter{User: name}, limit, cursor)
	})
}
