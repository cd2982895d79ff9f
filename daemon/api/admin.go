package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/lingshu-edge/lingshu/daemon/store"
)

// listAudit: GET /api/v1/audit?user&action&study_uid&from&to&limit&cursor
// (admin), newest first; from/to are RFC 3339.
func (s *Server) listAudit(c *fiber.Ctx) error {
	limit, err := parseLimit(c)
	if err != nil {
		return err
	}
	f := store.AuditFilter{User: c.Query("user"), Action: c.Query("action"), StudyUID: c.Query("study_uid")}
	for name, dst := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		if v := c.Query(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return badRequest(name + " must be an RFC 3339 time")
			}
			*dst = t
		}
	}
	recs, next, err := s.st.QueryAudit(f, limit, c.Query("cursor"))
	if err != nil {
		return err
	}
	return c.JSON(list[store.AuditRecord]{Items: recs, Next: next})
}

// listUsers: GET /api/v1/users (admin).
func (s *Server) listUsers(c *fiber.Ctx) error {
	users, err := s.st.Users()
	if err != nil {
		return err
	}
	return c.JSON(list[store.User]{Items: users})
}

type createUserRequest struct {
	Name     string `json:"name"`
	Password string `json:"password"`
	Role     string `json:"role"`
}

// createUser: POST /api/v1/users {"name","password","role"} (admin) → 201.
func (s *Server) createUser(c *fiber.Ctx) error {
	var req createUserRequest
	if err := c.BodyParser(&req); err != nil {
		return badRequest("body must be JSON {\"name\":...,\"password\":...,\"role\":...}")
	}
	if len(req.Password) < 8 {
		return badRequest("password must have at least 8 characters")
	}
	u, err := s.st.CreateUser(req.Name, req.Password, req.Role)
	if err != nil {
		return err
	}
	if err := s.st.Audit(store.AuditRecord{User: session(c).User, Action: "user.create", RemoteAddr: c.IP(),
		Detail: "name=" + u.Name + " role=" + u.Role}); err != nil {
		s.log.Error("audit user create", "err", err)
	}
	return c.Status(http.StatusCreated).JSON(u)
}

// updateUser: PATCH /api/v1/users/{name} {"role"?, "password"?,
// "disabled"?} (admin) → the account. Disabling ends the user's sessions
// at once (the store checks the account on every request).
func (s *Server) updateUser(c *fiber.Ctx) error {
	var req store.UserUpdate
	if err := c.BodyParser(&req); err != nil {
		return badRequest("body must be JSON {\"role\"?, \"password\"?, \"disabled\"?}")
	}
	if req.Role == nil && req.Password == nil && req.Disabled == nil {
		return badRequest("nothing to change: give role, password or disabled")
	}
	if req.Password != nil && len(*req.Password) < 8 {
		return badRequest("password must have at least 8 characters")
	}
	name := c.Params("name")
	if req.Disabled != nil && *req.Disabled && name == session(c).User {
		return errf(http.StatusConflict, CodeConflict, "you cannot disable your own account")
	}
	u, err := s.st.UpdateUser(name, req)
	if err != nil {
		return err
	}
	detail := fmt.Sprintf("name=%s role=%s disabled=%t password_changed=%t", u.Name, u.Role, u.Disabled, req.Password != nil)
	if err := s.st.Audit(store.AuditRecord{User: session(c).User, Action: "user.update", RemoteAddr: c.IP(), Detail: detail}); err != nil {
		s.log.Error("audit user update", "err", err)
	}
	return c.JSON(u)
}
