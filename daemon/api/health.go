package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/lingshu-edge/lingshu/daemon/store"
)

type healthResponse struct {
	Status        string       `json:"status"`
	Version       string       `json:"version"`
	UptimeSeconds int64        `json:"uptime_s"`
	Counts        store.Counts `json:"counts"`
}

// health: GET /api/v1/health, public, no patient data: status, version,
// uptime and index counts. A store that cannot answer gives 503.
func (s *Server) health(c *fiber.Ctx) error {
	counts, err := s.st.Counts()
	if err != nil {
		s.log.Warn("health: store unavailable", "err", err)
		return errf(fiber.StatusServiceUnavailable, CodeUnavailable, "store unavailable")
	}
	return c.JSON(healthResponse{Status: "ok", Version: s.cfg.Version, UptimeSeconds: s.uptime(), Counts: counts})
}

func (s *Server) uptime() int64 { return int64(s.cfg.Now().Sub(s.started).Seconds()) }
