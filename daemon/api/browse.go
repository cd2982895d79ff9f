package api

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/lingshu-edge/lingshu/daemon/store"
)

// list is the shape of every paged list.
type list[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next"`
}

// studyItem is a study in lists and GET /studies/{uid}.
type studyItem struct {
	StudyUID         string    `json:"study_uid"`
	PatientID        string    `json:"patient_id"`
	PatientName      string    `json:"patient_name"`
	PatientBirthDate string    `json:"patient_birth_date"`
	PatientSex       string    `json:"patient_sex"`
	StudyDate        string    `json:"study_date"`
	StudyTime        string    `json:"study_time"`
	StudyDescription string    `json:"study_description"`
	AccessionNumber  string    `json:"accession_number"`
	Modalities       []string  `json:"modalities"`
	NumSeries        int       `json:"num_series"`
	NumInstances     int       `json:"num_instances"`
	LastUpdate       time.Time `json:"last_update"`
	Stable           bool      `json:"stable"`
	// AIStatus: none|waiting|queued|drafting|draft_ready|signed|failed.
	AIStatus string `json:"ai_status"`
}

func studyDTO(r store.StudyRecord) studyItem {
	mods := r.Modalities
	if mods == nil {
		mods = []string{}
	}
	return studyItem{
		StudyUID: r.StudyUID, PatientID: r.PatientID, PatientName: r.PatientName,
		PatientBirthDate: r.PatientBirthDate, PatientSex: r.PatientSex,
		StudyDate: r.StudyDate, StudyTime: r.StudyTime, StudyDescription: r.StudyDescription,
		AccessionNumber: r.AccessionNumber, Modalities: mods,
		NumSeries: r.NumSeries, NumInstances: r.NumInstances, LastUpdate: r.LastUpdate, Stable: r.Stable,
	}
}

type seriesItem struct {
	SeriesUID         string `json:"series_uid"`
	StudyUID          string `json:"study_uid"`
	Modality          string `json:"modality"`
	SeriesNumber      int    `json:"series_number"`
	SeriesDescription string `json:"series_description"`
	BodyPart          string `json:"body_part"`
	NumInstances      int    `json:"num_instances"`
}

type instanceItem struct {
	SOPInstanceUID    string    `json:"sop_instance_uid"`
	SOPClassUID       string    `json:"sop_class_uid"`
	TransferSyntaxUID string    `json:"transfer_syntax_uid"`
	InstanceNumber    int       `json:"instance_number"`
	Rows              int       `json:"rows"`
	Columns           int       `json:"columns"`
	NumberOfFrames    int       `json:"number_of_frames"`
	Size              int64     `json:"size"`
	ReceivedAt        time.Time `json:"received_at"`
}

// listStudies: GET /api/v1/studies?patient_id&patient_name&date_from&
// date_to&modality&accession&limit&cursor.
func (s *Server) listStudies(c *fiber.Ctx) error {
	limit, err := parseLimit(c)
	if err != nil {
		return err
	}
	q := store.StudyQuery{
		PatientID:   c.Query("patient_id"),
		PatientName: c.Query("patient_name"),
		DateFrom:    c.Query("date_from"),
		DateTo:      c.Query("date_to"),
		Modality:    c.Query("modality"),
		Accession:   c.Query("accession"),
		Limit:       limit,
		Cursor:      c.Query("cursor"),
	}
	for name, v := range map[string]string{"date_from": q.DateFrom, "date_to": q.DateTo} {
		if v != "" && !isDate(v) {
			return badRequest(name + " must be YYYYMMDD")
		}
	}
	recs, next, err := s.st.FindStudies(q)
	if err != nil {
		return err
	}
	uids := make([]string, len(recs))
	for i, r := range recs {
		uids[i] = r.StudyUID
	}
	ai, err := s.st.AIStatus(uids...)
	if err != nil {
		return err
	}
	out := list[studyItem]{Items: make([]studyItem, 0, len(recs)), Next: next}
	for _, r := range recs {
		it := studyDTO(r)
		it.AIStatus = ai[r.StudyUID]
		out.Items = append(out.Items, it)
	}
	return c.JSON(out)
}

// getStudy: GET /api/v1/studies/{study_uid} → one study item.
func (s *Server) getStudy(c *fiber.Ctx) error {
	r, err := s.st.Study(c.Params("study_uid"))
	if err != nil {
		return err
	}
	ai, err := s.st.AIStatus(r.StudyUID)
	if err != nil {
		return err
	}
	it := studyDTO(r)
	it.AIStatus = ai[r.StudyUID]
	return c.JSON(it)
}

// listSeries: GET /api/v1/studies/{study_uid}/series (all series; next is
// always empty).
func (s *Server) listSeries(c *fiber.Ctx) error {
	recs, err := s.st.SeriesOf(c.Params("study_uid"))
	if err != nil {
		return err
	}
	out := list[seriesItem]{Items: make([]seriesItem, 0, len(recs))}
	for _, r := range recs {
		out.Items = append(out.Items, seriesItem{
			SeriesUID: r.SeriesUID, StudyUID: r.StudyUID, Modality: r.Modality, SeriesNumber: r.SeriesNumber,
			SeriesDescription: r.SeriesDescription, BodyPart: r.BodyPartExamined, NumInstances: r.NumInstances,
		})
	}
	return c.JSON(out)
}

// listInstances: GET /api/v1/series/{series_uid}/instances?limit&cursor.
func (s *Server) listInstances(c *fiber.Ctx) error {
	limit, err := parseLimit(c)
	if err != nil {
		return err
	}
	se, err := s.st.Series(c.Params("series_uid"))
	if err != nil {
		return err
	}
	c.Locals(localStudy, se.StudyUID)
	recs, next, err := s.st.InstancesOf(se.SeriesUID, limit, c.Query("cursor"))
	if err != nil {
		return err
	}
	out := list[instanceItem]{Items: make([]instanceItem, 0, len(recs)), Next: next}
	for _, r := range recs {
		out.Items = append(out.Items, instanceItem{
			SOPInstanceUID: r.SOPInstanceUID, SOPClassUID: r.SOPClassUID, TransferSyntaxUID: r.TransferSyntaxUID,
			InstanceNumber: r.InstanceNumber, Rows: r.Rows, Columns: r.Columns, NumberOfFrames: r.NumberOfFrames,
			Size: r.Size, ReceivedAt: r.ReceivedAt,
		})
	}
	return c.JSON(out)
}

func parseLimit(c *fiber.Ctx) (int, error) {
	v := c.Query("limit")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > store.MaxLimit {
		return 0, badRequest("limit must be 1.." + itoa(store.MaxLimit))
	}
	return n, nil
}

func isDate(v string) bool {
	if len(v) != 8 {
		return false
	}
	_, err := time.Parse("20060102", v)
	return err == nil
}

func itoa(n int) string { return strconv.Itoa(n) }
