package api

import (
	"fmt"
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/lingshu-edge/lingshu/daemon/store"
)

// Locals a handler sets so the audit record names what was read.
const (
	localStudy  = "lingshu_audit_study"
	localSOP    = "lingshu_audit_sop"
	localDetail = "lingshu_audit_detail" // appended to the record's detail
)

// audited wraps a patient-data handler: after it runs, an audit record
// (user, action, study, instance, client address, outcome) is committed
// before the response leaves. If the record cannot be written, a
// successful response is replaced by a 500: no unaudited reads.
func (s *Server) audited(action string, h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		herr := h(c)
		status := c.Response().StatusCode()
		if herr != nil {
			ae, _ := classify(herr)
			status = ae.Status
		}
		rec := store.AuditRecord{
			User:       session(c).User,
			Action:     firstNonEmpty(localString(c, localAction), action),
			StudyUID:   firstNonEmpty(localString(c, localStudy), c.Params("study_uid")),
			SOPUID:     firstNonEmpty(localString(c, localSOP), c.Params("sop_uid")),
			RemoteAddr: c.IP(),
			Detail:     auditDetail(c, status),
		}
		if err := s.st.Audit(rec); err != nil {
			s.log.Error("audit write failed", "action", action, "err", err)
			if herr == nil {
				return errf(http.StatusInternalServerError, CodeInternal, "audit log unavailable")
			}
		}
		return herr
	}
}

// auditDetail records the outcome and, for reads addressed by query, the
// query itself (who searched for which patient matters as much as who
// opened which study).
func auditDetail(c *fiber.Ctx, status int) string {
	d := fmt.Sprintf("status=%d", status)
	if series := c.Params("series_uid"); series != "" {
		d += " series=" + series
	}
	if q := string(c.Request().URI().QueryString()); q != "" {
		d += " query=" + q
	}
	if extra := localString(c, localDetail); extra != "" {
		d += " " + extra
	}
	return d
}

func localString(c *fiber.Ctx, key string) string {
	v, _ := c.Locals(key).(string)
	return v
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}
