package store

import (
	"errors"
	"fmt"
	"testing"
)

// seedStudies stores a small archive:
//
//	1.2.3.1 P1 DOE^JOHN     20260301 CT  acc A1 (2 series x 2)
//	1.2.3.2 P1 DOE^JOHN     20260215 MR  acc A2
//	1.2.3.3 P2 SMITH^JANE   20260301 CT+SR (later time)
//	1.2.3.4 P3 DOELL^JO     20251231 CR
//	1.2.3.5 P4 Wang^Xiu     (no date) DX
func seedStudies(t *testing.T, s *Store) {
	t.Helper()
	ctStudy(t, s, inst{Study: "1.2.3.1", PatientID: "P1", PatientName: "DOE^JOHN", StudyDate: "20260301", StudyTime: "080000", Accession: "A1"}, 2, 2)
	mustPut(t, s, inst{Study: "1.2.3.2", PatientID: "P1", PatientName: "DOE^JOHN", StudyDate: "20260215", Modality: "MR", Accession: "A2"})
	mustPut(t, s, inst{Study: "1.2.3.3", PatientID: "P2", PatientName: "SMITH^JANE", StudyDate: "20260301", StudyTime: "170000"})
	mustPut(t, s, inst{Study: "1.2.3.3", Series: "1.2.3.3.2", PatientID: "P2", PatientName: "SMITH^JANE", StudyDate: "20260301", StudyTime: "170000", Modality: "SR", SeriesNumber: "2"})
	mustPut(t, s, inst{Study: "1.2.3.4", PatientID: "P3", PatientName: "DOELL^JO", StudyDate: "20251231", Modality: "CR"})
	mustPut(t, s, inst{Study: "1.2.3.5", PatientID: "P4", PatientName: "Wang^Xiu", StudyDate: "-", Modality: "DX"})
}

func studyUIDs(list []StudyRecord) string {
	out := ""
	for i, st := range list {
		if i > 0 {
			out += ","
		}
		out += st.StudyUID[len("1.2.3."):]
	}
	return out
}

func TestFindStudies_Filters(t *testing.T) {
	s := openTest(t, t.TempDir(), testOptions(newClock()))
	seedStudies(t, s)
	cases := []struct {
		name string
		q    StudyQuery
		want string
	}{
		{"all newest first", StudyQuery{}, "3,1,2,4,5"},
		{"patient id exact", StudyQuery{PatientID: "P1"}, "1,2"},
		{"patient id wildcard", StudyQuery{PatientID: "P?"}, "3,1,2,4,5"},
		{"patient id unknown", StudyQuery{PatientID: "nobody"}, ""},
		{"name prefix case-insensitive", StudyQuery{PatientName: "doe*"}, "1,2,4"},
		{"name with caret", StudyQuery{PatientName: "doe^john"}, "1,2"},
		{"name with space", StudyQuery{PatientName: "DOE JOHN"}, "1,2"},
		{"name question mark", StudyQuery{PatientName: "DOE?L*"}, "4"},
		{"name infix", StudyQuery{PatientName: "*jan*"}, "3"},
		{"name unicode fold", StudyQuery{PatientName: "WANG*"}, "5"},
		{"date range", StudyQuery{DateFrom: "20260201", DateTo: "20260301"}, "3,1,2"},
		{"date from", StudyQuery{DateFrom: "20260216"}, "3,1"},
		{"date to", StudyQuery{DateTo: "20251231"}, "4"},
		{"modality any series", StudyQuery{Modality: "sr"}, "3"},
		{"modality ct", StudyQuery{Modality: "CT"}, "3,1"},
		{"accession", StudyQuery{Accession: "A2"}, "2"},
		{"patient and date", StudyQuery{PatientID: "P1", DateFrom: "20260301"}, "1"},
		{"patient and accession", StudyQuery{PatientID: "P1", Accession: "A1"}, "1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			list, next, err := s.FindStudies(c.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := studyUIDs(list); got != c.want || next != "" {
				t.Errorf("got %q next %q, want %q", got, next, c.want)
			}
		})
	}
	st, _ := s.Study("1.2.3.1")
	if st.NumSeries != 2 || st.NumInstances != 4 {
		t.Errorf("aggregates = %+v", st)
	}
	st3, _ := s.Study("1.2.3.3")
	if fmt.Sprint(st3.Modalities) != "[CT SR]" {
		t.Errorf("modalities = %v", st3.Modalities)
	}
}

func TestFindStudies_Paging(t *testing.T) {
	s := openTest(t, t.TempDir(), testOptions(newClock()))
	seedStudies(t, s)
	for _, q := range []StudyQuery{{}, {PatientName: "*"}, {PatientID: "P1"}, {DateTo: "20261231"}} {
		for limit := 1; limit <= 6; limit++ {
			q.Limit, q.Cursor = 0, ""
			full, _, _ := s.FindStudies(q)
			q.Limit, q.Cursor = limit, ""
			var got []StudyRecord
			pages := 0
			for {
				page, next, err := s.FindStudies(q)
				if err != nil {
					t.Fatal(err)
				}
				if len(page) > limit {
					t.Fatalf("page of %d > limit %d", len(page), limit)
				}
				got = append(got, page...)
				pages++
				if next == "" {
					break
				}
				q.Cursor = next
				if pages > 10 {
					t.Fatal("paging does not end")
				}
			}
			if studyUIDs(got) != studyUIDs(full) {
				t.Errorf("query %+v limit %d: pages give %s, want %s", q, limit, studyUIDs(got), studyUIDs(full))
			}
		}
	}
}

func TestFindStudies_BadInput(t *testing.T) {
	s := openTest(t, t.TempDir(), testOptions(newClock()))
	if _, _, err := s.FindStudies(StudyQuery{Cursor: "!!"}); !errors.Is(err, ErrBadCursor) {
		t.Errorf("bad cursor: %v", err)
	}
	if _, _, err := s.InstancesOf("x", 1, encodeCursor('s', []byte("x"))); !errors.Is(err, ErrBadCursor) && !errors.Is(err, ErrNotFound) {
		t.Errorf("wrong-kind cursor: %v", err)
	}
	if _, _, err := s.FindStudies(StudyQuery{DateFrom: "2026-01-01"}); err == nil {
		t.Errorf("bad date accepted")
	}
}

func TestSeriesAndInstances(t *testing.T) {
	s := openTest(t, t.TempDir(), testOptions(newClock()))
	seedStudies(t, s)
	series, err := s.SeriesOf("1.2.3.3")
	if err != nil || len(series) != 2 || series[0].Modality != "CT" || series[1].Modality != "SR" || series[1].SeriesNumber != 2 {
		t.Fatalf("SeriesOf = %+v, %v", series, err)
	}
	if _, err := s.SeriesOf("9.9"); !errors.Is(err, ErrNotFound) {
		t.Errorf("SeriesOf unknown: %v", err)
	}
	// Instance numbers out of lexical order: 10, 2, -1, 1.
	for _, n := range []string{"10", "2", "-1", "1"} {
		mustPut(t, s, inst{Study: "1.2.3.9", Series: "1.2.3.9.1", SOP: "1.2.3.9.1." + n[len(n)-1:] + fmt.Sprint(len(n)), InstanceNumber: n})
	}
	var nums []int
	cursor := ""
	for {
		page, next, err := s.InstancesOf("1.2.3.9.1", 3, cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range page {
			nums = append(nums, in.InstanceNumber)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if fmt.Sprint(nums) != "[-1 1 2 10]" {
		t.Errorf("instance order = %v", nums)
	}
	if _, _, err := s.InstancesOf("9.9", 0, ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("InstancesOf unknown: %v", err)
	}
	if _, err := s.Instance("9.9"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Instance unknown: %v", err)
	}
}

func TestPattern(t *testing.T) {
	cases := []struct {
		p, s string
		fold bool
		want bool
	}{
		{"*", "", false, true},
		{"a*b", "ab", false, true},
		{"a*b", "axxb", false, true},
		{"a*b", "axxbc", false, false},
		{"a?c", "abc", false, true},
		{"a?c", "ac", false, false},
		{"*a*a*", "banana", false, true},
		{"ÄB*", "äbc", true, true},
		{"ÄB*", "äbc", false, false},
		{"???", "müh", false, true},
		{"**x", "abx", false, true},
	}
	for _, c := range cases {
		if got := compilePattern(c.p, c.fold).match(c.s); got != c.want {
			t.Errorf("%q ~ %q (fold %v) = %v, want %v", c.p, c.s, c.fold, got, c.want)
		}
	}
}
