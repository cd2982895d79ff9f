package phantom

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"time"
)

// scene holds everything about one study that is drawn before any pixel:
// patient, identifiers, dates and the planned findings. All randomness
// comes from rng, a PCG seeded from (Options.Seed, study index).
type scene struct {
	opts     Options
	index    int
	seed     uint64 // study seed, mixed from Options.Seed and index
	rng      *rand.Rand
	patient  patient
	studyUID string
	// seriesUID and forUID are the image series and its frame of reference.
	seriesUID, forUID    string
	studyDate, studyTime string
	accession, studyID   string
	findings             []*Finding
}

type patient struct {
	Name, ID, BirthDate, Sex, Age string
	HeightM, WeightKg             float64
}

// mix64 is SplitMix64's finaliser, used to derive independent seeds.
func mix64(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ x>>30) * 0xBF58476D1CE4E5B9
	x = (x ^ x>>27) * 0x94D049BB133111EB
	return x ^ x>>31
}

// subRNG returns a generator for one independent stream of a study (for
// example one slice's noise), so streams can run in parallel and still be
// deterministic.
func (s *scene) subRNG(stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(s.seed, mix64(stream+0x5EED)))
}

// givenName is one of sixteen neutral synthetic given names.
func givenName(i int) string {
	names := [...]string{"ALEX", "JORDAN", "MORGAN", "TAYLOR", "CASEY", "RILEY", "JAMIE",
		"AVERY", "QUINN", "ROWAN", "SAGE", "ROBIN", "DREW", "KAI", "REESE", "EMERY"}
	return names[i%len(names)]
}

func newScene(o Options, index int) *scene {
	seed := mix64(o.Seed ^ mix64(uint64(index)+1))
	h := fnv.New64a()
	h.Write([]byte(o.Modality))
	seed = mix64(seed ^ h.Sum64())
	s := &scene{opts: o, index: index, seed: seed, rng: rand.New(rand.NewPCG(seed, 0xC0FFEE))}
	r := s.rng

	// Dates: a study day between 2020-01-01 and 2024-12-31, from the seed.
	day := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(1827))
	secs := 8*3600 + r.IntN(10*3600)
	s.studyDate = day.Format("20060102")
	s.studyTime = fmt.Sprintf("%02d%02d%02d", secs/3600, secs/60%60, secs%60)
	ageYears := 35 + r.IntN(51)
	birth := day.AddDate(-ageYears, 0, -r.IntN(365))
	sex := "M"
	if r.IntN(2) == 1 {
		sex = "F"
	}
	idNum := (mix64(o.Seed)%1000000 + uint64(index)*7919) % 1000000
	s.patient = patient{
		Name:      "PHANTOM^" + givenName(r.IntN(16)) + "^" + strconv.Itoa(index+1),
		ID:        fmt.Sprintf("PH%06d", idNum),
		BirthDate: birth.Format("20060102"),
		Sex:       sex,
		Age:       fmt.Sprintf("%03dY", ageYears),
		HeightM:   float64(155+r.IntN(35)) / 100,
		WeightKg:  float64(50 + r.IntN(50)),
	}
	s.accession = fmt.Sprintf("PHA%08d", mix64(seed)%100000000)
	s.studyID = strconv.Itoa(index + 1)
	s.studyUID = uidFor(o.Seed, index, s.uidKey("study"), 0)
	s.seriesUID = uidFor(o.Seed, index, s.uidKey("series"), 1)
	s.forUID = uidFor(o.Seed, index, s.uidKey("frame-of-reference"), 1)
	s.findings = planFindings(o.Modality, r)
	return s
}

// instanceUID is the SOP Instance UID of instance n (1-based).
func (s *scene) instanceUID(n int) string {
	return uidFor(s.opts.Seed, s.index, s.uidKey("instance"), n)
}

// uidKey names a kind of object; modality, transfer syntax and the
// multi-frame choice are part of it, so the same seed written two ways
// gives distinct UIDs (a JPEG or multi-frame copy is a different instance).
func (s *scene) uidKey(kind string) string {
	return s.opts.Modality + "/" + s.opts.TransferSyntax + "/" + strconv.FormatBool(s.opts.MultiFrame) + "/" + kind
}
