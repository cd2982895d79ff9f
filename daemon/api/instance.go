package api

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/lingshu-edge/lingshu/daemon/store"
	"github.com/lingshu-edge/lingshu/dicom"
	"github.com/lingshu-edge/lingshu/dicom/pixel"
)

// instance looks up the instance of the request and notes its study for
// the audit record.
func (s *Server) instance(c *fiber.Ctx) (store.InstanceRecord, error) {
	rec, err := s.st.Instance(c.Params("sop_uid"))
	if err != nil {
		return rec, err
	}
	c.Locals(localStudy, rec.StudyUID)
	return rec, nil
}

// openInstance opens the instance file; a file missing from disk is a
// 410 (the index knows it, the disk lost it).
func openInstance(rec store.InstanceRecord) (*os.File, int64, error) {
	f, err := os.Open(rec.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, errf(http.StatusGone, "gone", "instance file is missing from storage")
	}
	if err != nil {
		return nil, 0, fmt.Errorf("api: open instance %s: %w", rec.SOPInstanceUID, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("api: stat instance %s: %w", rec.SOPInstanceUID, err)
	}
	return f, st.Size(), nil
}

// getInstanceJSON: GET /api/v1/instances/{sop_uid} → DICOM JSON model;
// bulk values (pixel data) are BulkDataURIs to the /file route.
func (s *Server) getInstanceJSON(c *fiber.Ctx) error {
	rec, err := s.instance(c)
	if err != nil {
		return err
	}
	f, size, err := openInstance(rec)
	if err != nil {
		return err
	}
	defer f.Close()
	fileURI := "/api/v1/instances/" + url.PathEscape(rec.SOPInstanceUID) + "/file"
	js, err := dicom.ToJSON(f, size, dicom.JSONOptions{
		BulkDataURI: func(dicom.BulkDataRef) string { return fileURI },
	})
	if err != nil {
		return errf(http.StatusUnprocessableEntity, CodeUnprocessable, "stored instance cannot be read as DICOM")
	}
	c.Set(fiber.HeaderContentType, "application/dicom+json")
	return c.Send(js)
}

// getInstanceFile: GET /api/v1/instances/{sop_uid}/file → the Part-10 file.
func (s *Server) getInstanceFile(c *fiber.Ctx) error {
	rec, err := s.instance(c)
	if err != nil {
		return err
	}
	f, size, err := openInstance(rec)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/dicom")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+sanitizeFilename(rec.SOPInstanceUID)+`.dcm"`)
	return c.SendStream(f, int(size)) // fasthttp closes f after sending
}

// getRendered: GET /api/v1/instances/{sop_uid}/rendered?window&level&
// frame&size → PNG of one frame.
func (s *Server) getRendered(c *fiber.Ctx) error {
	opt, err := s.renderOptions(c)
	if err != nil {
		return err
	}
	rec, err := s.instance(c)
	if err != nil {
		return err
	}
	if _, err := os.Stat(rec.Path); errors.Is(err, fs.ErrNotExist) {
		return errf(http.StatusGone, "gone", "instance file is missing from storage")
	}
	select {
	case s.renders <- struct{}{}:
		defer func() { <-s.renders }()
	case <-c.Context().Done():
		return errf(http.StatusServiceUnavailable, CodeUnavailable, "request cancelled")
	}
	img, err := pixel.RenderFile(rec.Path, opt)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return fmt.Errorf("api: encode png: %w", err)
	}
	c.Set(fiber.HeaderContentType, "image/png")
	return c.Send(buf.Bytes())
}

func (s *Server) renderOptions(c *fiber.Ctx) (pixel.Options, error) {
	var opt pixel.Options
	w, l := c.Query("window"), c.Query("level")
	if (w == "") != (l == "") {
		return opt, badRequest("window and level go together")
	}
	if w != "" {
		var err1, err2 error
		opt.Window, err1 = strconv.ParseFloat(w, 64)
		opt.Level, err2 = strconv.ParseFloat(l, 64)
		if err1 != nil || err2 != nil || !(opt.Window > 0) || opt.Window > 1e7 || opt.Level != opt.Level || opt.Level > 1e7 || opt.Level < -1e7 {
			return opt, badRequest("window must be a number > 0 and level a number")
		}
		opt.HasWindow = true
	}
	if v := c.Query("frame"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return opt, badRequest("frame must be an integer >= 0")
		}
		opt.Frame = n
	}
	if v := c.Query("size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > s.cfg.MaxRenderSize {
			return opt, badRequest("size must be 1.." + itoa(s.cfg.MaxRenderSize))
		}
		opt.MaxSize = n
	}
	return opt, nil
}

func sanitizeFilename(s string) string {
	b := []byte(s)
	for i, ch := range b {
		if !(ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch == '.' || ch == '-' || ch == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}
