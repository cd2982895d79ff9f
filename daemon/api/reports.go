package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/lingshu-edge/lingshu/daemon/store"
)

// UnverifiedBanner heads every export of a report version nobody signed.
const UnverifiedBanner = "AI draft — not verified"

// maxReportText bounds the text of an edited version (bytes).
const maxReportText = 64 << 10

// localAction overrides the audit action of a handler that does more than
// one thing (POST .../reports: draft request or edit).
const localAction = "lingshu_audit_action"

// listReports: GET /api/v1/studies/{study_uid}/reports → every version,
// oldest first.
func (s *Server) listReports(c *fiber.Ctx) error {
	uid := c.Params("study_uid")
	if _, err := s.st.Study(uid); err != nil {
		return err
	}
	reps, err := s.st.ListReports(uid)
	if err != nil {
		return err
	}
	if reps == nil {
		reps = []store.Report{}
	}
	return c.JSON(list[store.Report]{Items: reps})
}

// getReport: GET /api/v1/studies/{study_uid}/reports/{version}.
func (s *Server) getReport(c *fiber.Ctx) error {
	r, err := s.report(c)
	if err != nil {
		return err
	}
	return c.JSON(r)
}

func (s *Server) report(c *fiber.Ctx) (store.Report, error) {
	v, err := strconv.Atoi(c.Params("version"))
	if err != nil || v < 1 {
		return store.Report{}, badRequest("version must be an integer >= 1")
	}
	return s.st.GetReport(c.Params("study_uid"), v)
}

type createReportRequest struct {
	Text    *string `json:"text"`
	BasedOn int     `json:"based_on"`
}

type draftQueued struct {
	Job store.Job `json:"job"`
}

// createReport: POST /api/v1/studies/{study_uid}/reports.
// Body {} (or none): queue an AI draft now → 202 {"job":Job}.
// Body {"text","based_on"}: add an edited version → 201 Report
// (radiologist or admin).
func (s *Server) createReport(c *fiber.Ctx) error {
	var req createReportRequest
	if body := bytes.TrimSpace(c.Body()); len(body) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			return badRequest(`body must be {} or JSON {"text":...,"based_on":...}`)
		}
	}
	uid := c.Params("study_uid")
	sess := session(c)
	if req.Text == nil {
		c.Locals(localAction, "report.draft_request")
		if req.BasedOn != 0 {
			return badRequest("based_on needs text")
		}
		if s.cfg.Drafts == nil {
			return errNoModel()
		}
		if _, err := s.st.Study(uid); err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		job, err := s.cfg.Drafts.RequestDraft(ctx, uid, sess.User)
		if err != nil {
			return err
		}
		return c.Status(http.StatusAccepted).JSON(draftQueued{Job: job})
	}

	c.Locals(localAction, "report.edit")
	if sess.Role != store.RoleRadiologist && sess.Role != store.RoleAdmin {
		return errf(http.StatusForbidden, CodeForbidden, "only radiologists and admins edit reports")
	}
	text := strings.TrimSpace(*req.Text)
	switch {
	case text == "":
		return badRequest("text must not be empty")
	case len(text) > maxReportText:
		return badRequest("text is longer than " + itoa(maxReportText) + " bytes")
	case req.BasedOn < 0:
		return badRequest("based_on must be a version >= 1")
	}
	if _, err := s.st.Study(uid); err != nil {
		return err
	}
	if req.BasedOn > 0 {
		if _, err := s.st.GetReport(uid, req.BasedOn); err != nil {
			return badRequest("based_on names no version of this report")
		}
	}
	r, err := s.st.AddReport(store.Report{
		StudyUID: uid, Kind: store.ReportEdited, Text: text, Author: sess.User, BasedOn: req.BasedOn,
	})
	if err != nil {
		return err
	}
	c.Locals(localDetail, "version="+itoa(r.Version))
	return c.Status(http.StatusCreated).JSON(r)
}

// signReport: POST .../reports/{version}/sign — radiologists only; a
// version already signed (or superseded) is 409.
func (s *Server) signReport(c *fiber.Ctx) error {
	sess := session(c)
	if sess.Role != store.RoleRadiologist {
		return errf(http.StatusForbidden, CodeForbidden, "only radiologists sign reports")
	}
	v, err := strconv.Atoi(c.Params("version"))
	if err != nil || v < 1 {
		return badRequest("version must be an integer >= 1")
	}
	r, err := s.st.SignReport(c.Params("study_uid"), v, sess.User)
	if err != nil {
		return err
	}
	return c.JSON(r)
}

// exportReport: GET .../reports/{version}/export?format=txt|pdf (txt by
// default) as an attachment. A version nobody signed carries the
// UnverifiedBanner.
func (s *Server) exportReport(c *fiber.Ctx) error {
	format := c.Query("format", "txt")
	if format != "txt" && format != "pdf" {
		return badRequest("format must be txt or pdf")
	}
	r, err := s.report(c)
	if err != nil {
		return err
	}
	st, err := s.st.Study(r.StudyUID)
	if err != nil {
		return err
	}
	c.Locals(localDetail, "format="+format+" version="+itoa(r.Version))
	name := fmt.Sprintf("report-%s-v%d.%s", sanitizeFilename(r.StudyUID), r.Version, format)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	head, body := reportLines(r, st)
	if format == "txt" {
		c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
		return c.SendString(strings.Join(head, "\n") + "\n\n" + body + "\n")
	}
	doc := &pdfDoc{
		Title:   fmt.Sprintf("Report %s v%d", r.StudyUID, r.Version),
		Footer:  fmt.Sprintf("Lingshu Edge · study %s · version %d", r.StudyUID, r.Version),
		Created: r.CreatedAt,
	}
	if unverified(r) {
		doc.Banner = UnverifiedBanner
	}
	doc.Lines = append(doc.Lines, pdfLine{Text: "Radiology report", Bold: true, Size: 14})
	for _, h := range head[1:] { // the banner line is drawn as the banner
		if h == "*** "+UnverifiedBanner+" ***" {
			continue
		}
		doc.Lines = append(doc.Lines, pdfLine{Text: h})
	}
	doc.Lines = append(doc.Lines, pdfLine{})
	for _, p := range strings.Split(body, "\n") {
		doc.Lines = append(doc.Lines, pdfLine{Text: p})
	}
	var buf bytes.Buffer
	if err := writePDF(&buf, doc); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	return c.Send(buf.Bytes())
}

// unverified: no one signed this version.
func unverified(r store.Report) bool { return r.SignedBy == "" }

// reportLines is the header of an export (one line each) and its body.
func reportLines(r store.Report, st store.StudyRecord) ([]string, string) {
	head := []string{"Radiology report"}
	if unverified(r) {
		head = append(head, "*** "+UnverifiedBanner+" ***")
	}
	patient := strings.TrimSpace(strings.ReplaceAll(st.PatientName, "^", " "))
	head = append(head,
		"Patient: "+patient+" (ID "+st.PatientID+")",
		"Study: "+strings.TrimSpace(st.StudyDate+" "+st.StudyDescription)+" · accession "+st.AccessionNumber,
		"Study UID: "+r.StudyUID,
		fmt.Sprintf("Version: %d (%s, %s)", r.Version, r.Kind, r.Status),
		"Author: "+r.Author+" · created "+r.CreatedAt.UTC().Format(time.RFC3339),
	)
	if r.BasedOn > 0 {
		head = append(head, fmt.Sprintf("Based on version %d", r.BasedOn))
	}
	if r.SignedBy != "" && r.SignedAt != nil {
		head = append(head, "Signed by "+r.SignedBy+" at "+r.SignedAt.UTC().Format(time.RFC3339))
	}
	if p := r.Provenance; p != nil {
		head = append(head, "Model: "+shortHash(p.ModelHash)+" · prompt "+p.PromptVersion)
	}
	return head, r.Text
}

func shortHash(h string) string {
	if len(h) > 16 {
		return h[:16]
	}
	return h
}
