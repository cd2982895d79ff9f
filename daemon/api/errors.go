package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/lingshu-edge/lingshu/daemon/infer"
	"github.com/lingshu-edge/lingshu/daemon/store"
	"github.com/lingshu-edge/lingshu/dicom/pixel"
)

// Error codes of {"error":{"code":...}}.
const (
	CodeBadRequest       = "bad_request"
	CodeUnauthorized     = "unauthorized"
	CodeForbidden        = "forbidden"
	CodeNotFound         = "not_found"
	CodeMethodNotAllowed = "method_not_allowed"
	CodeConflict         = "conflict"
	CodeTooLarge         = "too_large"
	CodeUnsupportedMedia = "unsupported_media_type"
	CodeUnprocessable    = "unprocessable"
	CodeTooManyRequests  = "too_many_requests"
	CodeUnavailable      = "unavailable"
	CodeInternal         = "internal"
	// CodeCSRF: a cookie-authenticated request that changes state
	// without the CSRF header (403).
	CodeCSRF = "csrf"
	// CodeNoModel: no inference engine or draft queue is configured, or
	// the engine has no model (503).
	CodeNoModel = "no_model"
	// CodeQueueFull: the inference queue is full (503 with Retry-After).
	CodeQueueFull = "queue_full"
	// CodeSigned: the report version is signed and cannot change (409).
	CodeSigned = "signed"
)

// apiError is an error with its HTTP status and code; handlers return it
// and the error handler writes it.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Message }

func errf(status int, code, msg string) *apiError {
	return &apiError{Status: status, Code: code, Message: msg}
}

func badRequest(msg string) *apiError { return errf(http.StatusBadRequest, CodeBadRequest, msg) }

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// classify maps any error to its API form. Unknown errors become a 500
// with a generic message (the detail goes to the log only).
func classify(err error) (*apiError, bool) {
	var ae *apiError
	var fe *fiber.Error
	var uts *pixel.UnsupportedTransferSyntaxError
	var reqErr *infer.RequestError
	switch {
	case errors.As(err, &ae):
		return ae, false
	case errors.As(err, &fe):
		return errf(fe.Code, codeForStatus(fe.Code), strings.ToLower(fe.Message)), false
	case errors.Is(err, store.ErrNotFound):
		return errf(http.StatusNotFound, CodeNotFound, "not found"), false
	case errors.Is(err, store.ErrBadCursor):
		return badRequest("bad cursor"), false
	case errors.Is(err, store.ErrBadCredentials):
		return errf(http.StatusUnauthorized, CodeUnauthorized, "bad user name or password"), false
	case errors.Is(err, store.ErrUserExists):
		return errf(http.StatusConflict, CodeConflict, "user exists"), false
	case errors.Is(err, store.ErrInvalidUser):
		return badRequest(err.Error()), false
	case errors.Is(err, store.ErrLastAdmin):
		return errf(http.StatusConflict, CodeConflict, "the last enabled admin cannot be disabled or demoted"), false
	case errors.Is(err, store.ErrClosed):
		return errf(http.StatusServiceUnavailable, CodeUnavailable, "store closed"), false
	case errors.Is(err, store.ErrInvalidReport), errors.Is(err, store.ErrInvalidJob), errors.Is(err, store.ErrInvalidAsk):
		return badRequest(err.Error()), false
	case errors.Is(err, store.ErrJobState):
		return errf(http.StatusConflict, CodeConflict, "job state does not allow this"), false
	case errors.Is(err, store.ErrSigned):
		return errf(http.StatusConflict, CodeSigned, "report version is signed and cannot change"), false
	case errors.Is(err, infer.ErrQueueFull):
		return errf(http.StatusServiceUnavailable, CodeQueueFull, "inference queue is full; try again later"), false
	case errors.Is(err, infer.ErrNoModel):
		return errf(http.StatusServiceUnavailable, CodeNoModel, "no model is loaded"), false
	case errors.Is(err, infer.ErrRunnerDied):
		return errf(http.StatusServiceUnavailable, CodeUnavailable, "inference runner failed; try again"), false
	case errors.Is(err, infer.ErrClosed):
		return errf(http.StatusServiceUnavailable, CodeUnavailable, "inference engine closed"), false
	case errors.As(err, &reqErr) && reqErr.Code == infer.CodeContext:
		return errf(http.StatusUnprocessableEntity, CodeTooLarge, strings.TrimPrefix(reqErr.Message, "vlm: ")), false
	case errors.As(err, &reqErr):
		return errf(http.StatusInternalServerError, CodeInternal, "the model failed on this request: "+reqErr.Message), true
	case errors.As(err, &uts):
		return errf(http.StatusUnsupportedMediaType, CodeUnsupportedMedia, uts.Error()), false
	case errors.Is(err, pixel.ErrUnsupported), errors.Is(err, pixel.ErrNoPixelData):
		return errf(http.StatusUnsupportedMediaType, CodeUnsupportedMedia, err.Error()), false
	case errors.Is(err, pixel.ErrFrameOutOfRange):
		return badRequest("frame out of range"), false
	case errors.Is(err, pixel.ErrTooLarge):
		return errf(http.StatusUnprocessableEntity, CodeTooLarge, "image too large to render"), false
	case errors.Is(err, pixel.ErrMalformed), errors.Is(err, pixel.ErrNotDICOM):
		return errf(http.StatusUnprocessableEntity, CodeUnprocessable, err.Error()), false
	}
	return errf(http.StatusInternalServerError, CodeInternal, "internal error"), true
}

func codeForStatus(status int) string {
	switch status {
	case http.StatusBadRequest:
		return CodeBadRequest
	case http.StatusUnauthorized:
		return CodeUnauthorized
	case http.StatusForbidden:
		return CodeForbidden
	case http.StatusNotFound:
		return CodeNotFound
	case http.StatusMethodNotAllowed:
		return CodeMethodNotAllowed
	case http.StatusConflict:
		return CodeConflict
	case http.StatusRequestEntityTooLarge:
		return CodeTooLarge
	case http.StatusUnsupportedMediaType:
		return CodeUnsupportedMedia
	case http.StatusUnprocessableEntity:
		return CodeUnprocessable
	case http.StatusTooManyRequests:
		return CodeTooManyRequests
	case http.StatusServiceUnavailable:
		return CodeUnavailable
	}
	if status >= 500 {
		return CodeInternal
	}
	return CodeBadRequest
}

// handleError is the one fiber ErrorHandler: every error becomes
// {"error":{"code","message"}} with its status.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	ae, internal := classify(err)
	if internal {
		s.log.Error("request failed", "method", c.Method(), "route", c.Route().Path, "err", err)
	}
	// Drop whatever a handler may have written before failing.
	c.Response().ResetBody()
	c.Response().Header.Del(fiber.HeaderContentDisposition)
	var body errorBody
	body.Error.Code, body.Error.Message = ae.Code, ae.Message
	return c.Status(ae.Status).JSON(body)
}
