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
