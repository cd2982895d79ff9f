package api

import (
	"github.com/lingshu-edge/lingshu/daemon/infer"
	"github.com/lingshu-edge/lingshu/daemon/jobs"
)

// The daemon passes these to Config.Infer and Config.Drafts.
var (
	_ Inferer        = (*infer.Engine)(nil)
	_ DraftRequester = (*jobs.Queue)(nil)
)
