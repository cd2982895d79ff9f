package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/lingshu-edge/lingshu/daemon/store"
)

var jobStates = map[string]bool{
	"": true, store.JobQueued: true, store.JobRunning: true, store.JobDone: true,
	store.JobFailed: true, store.JobCancelled: true,
}

// listJobs: GET /api/v1/jobs?state&study_uid&limit&cursor → background
// jobs (draft reports), newest first.
func (s *Server) listJobs(c *fiber.Ctx) error {
	limit, err := parseLimit(c)
	if err != nil {
		return err
	}
	f := store.JobFilter{State: c.Query("state"), StudyUID: c.Query("study_uid")}
	if !jobStates[f.State] {
		return badRequest("state must be queued, running, done, failed or cancelled")
	}
	c.Locals(localStudy, f.StudyUID)
	jobs, next, err := s.st.ListJobs(f, limit, c.Query("cursor"))
	if err != nil {
		return err
	}
	if jobs == nil {
		jobs = []store.Job{}
	}
	return c.JSON(list[store.Job]{Items: jobs, Next: next})
}

// cancelJob: POST /api/v1/jobs/{id}/cancel (radiologist or admin) → the
// cancelled job; a running draft stops within a decode step and writes
// nothing. 409 when the job already ended, 503 without a draft queue.
func (s *Server) cancelJob(c *fiber.Ctx) error {
	if s.cfg.Drafts == nil {
		return errf(fiber.StatusServiceUnavailable, CodeNoModel, "no draft queue: the appliance runs without a model")
	}
	j, err := s.cfg.Drafts.CancelJob(c.UserContext(), c.Params("id"), session(c).User)
	if err != nil {
		return err
	}
	c.Locals(localStudy, j.StudyUID)
	return c.JSON(j)
}
