package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lingshu-edge/lingshu/dicom"
	"github.com/lingshu-edge/lingshu/dicom/keyimage"
	"github.com/lingshu-edge/lingshu/dicom/pixel"
	"github.com/lingshu-edge/lingshu/model/vlm"
)

// reportOutput is one line of `report --json`: one object per study.
type reportOutput struct {
	StudyUID      string      `json:"study_uid"`
	Text          string      `json:"text"`
	IDs           []int       `json:"ids"`
	Stop          string      `json:"stop"`
	Images        []reportImg `json:"images"`
	PromptVersion string      `json:"prompt_version"`
	Prompt        string      `json:"prompt"`
	ModelHash     string      `json:"model_hash"`
	PromptTokens  int         `json:"prompt_tokens"`
	ImageTokens   int         `json:"image_tokens"`
	TimingsMS     timingsMS   `json:"timings_ms"`
	TokensPerS    rates       `json:"tokens_per_s"`
}

// reportImg is one key image of reportOutput.
type reportImg struct {
	SOPInstanceUID    string `json:"sop_instance_uid"`
	SeriesInstanceUID string `json:"series_instance_uid"`
	Modality          string `json:"modality"`
	Frame             int    `json:"frame"`
	File              string `json:"file"`
}

// instance is one DICOM image file found by collectInstances.
type instance struct {
	path string
	sum  *dicom.Summary
}

// keyImage is one image chosen for the model.
type keyImage struct {
	inst  instance
	frame int
}

// studyGroup is the images of one study, by series.
type studyGroup struct {
	uid    string
	series [][]instance // each sorted by instance number; series sorted by series number
}

// defaultMaxImages caps the key images of one study.
const defaultMaxImages = 4

// runReport implements `lingshu report --model PATH FILE_OR_DIR... [--json]`:
// it collects the DICOM images under the arguments (folders walked), groups
// them by study, picks key images (keyImages) and asks the model for a draft
// report with the versioned prompt vlm.ReportPrompt, one study after the
// other. The text streams to stdout, or --json prints one object per study
// per line with the images used, the prompt version and the model hash.
func runReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var v vlmFlags
	fl := flag.NewFlagSet("report", flag.ContinueOnError)
	fl.SetOutput(stderr)
	maxImages := fl.Int("max-images", defaultMaxImages, "key images per study at most `N`")
	addVLMFlags(fl, &v, 512)
	pos, err := parseInterleavedFlags(fl, args)
	if err != nil {
		return usageError{err.Error()}
	}
	if len(pos) == 0 || v.model == "" || *maxImages <= 0 {
		return usageError{"usage: lingshu report --model PATH FILE_OR_DIR... [--max-images N] [--max-tokens N] [--json]"}
	}
	if err := v.check("report"); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	insts, err := collectInstances(ctx, pos, log)
	if err != nil {
		return err
	}
	studies := groupStudies(insts)
	if len(studies) == 0 {
		return fmt.Errorf("report: no DICOM images under %s", strings.Join(pos, ", "))
	}
	start := time.Now()
	m, be, err := openVLM(v.model, v.mf, stderr)
	if err != nil {
		return err
	}
	defer be.Close()
	defer m.Close()
	load := ms(time.Since(start))
	t0 := time.Now()
	hash, err := m.Ckpt.Hash()
	if err != nil {
		return fmt.Errorf("report: model hash: %w", err)
	}
	hashMS := ms(time.Since(t0))
	for i, st := range studies {
		tm := timingsMS{Load: load, Hash: &hashMS}
		if i > 0 { // load and hash happened once, before the first study
			tm = timingsMS{}
		}
		if err := reportStudy(ctx, m, st, *maxImages, hash, &v, tm, len(studies) > 1, stdout, stderr); err != nil {
			return err
		}
	}
	return nil
}

// reportStudy drafts the report of one study and prints it.
func reportStudy(ctx context.Context, m *vlm.Model, st studyGroup, maxImages int, hash string, v *vlmFlags,
	tm timingsMS, header bool, stdout, stderr io.Writer) error {
	start := time.Now()
	keys := keyImages(st, maxImages)
	imgs := make([]image.Image, len(keys))
	out := reportOutput{StudyUID: st.uid, PromptVersion: vlm.ReportPromptVersion, ModelHash: hash}
	var modalities []string
	bodyPart := ""
	for i, k := range keys {
		img, err := pixel.RenderFile(k.inst.path, pixel.Options{Frame: k.frame})
		if err != nil {
			return fmt.Errorf("report: study %s: image %s: %w", st.uid, k.inst.path, err)
		}
		imgs[i] = img
		s := k.inst.sum
		out.Images = append(out.Images, reportImg{SOPInstanceUID: s.SOPInstanceUID, SeriesInstanceUID: s.SeriesInstanceUID,
			Modality: s.Modality, Frame: k.frame, File: k.inst.path})
		modalities = append(modalities, s.Modality)
		bodyPart = cmp.Or(bodyPart, s.BodyPartExamined)
	}
	tm.Render = ms(time.Since(start))
	out.Prompt = vlm.ReportPrompt(modalities, bodyPart, len(imgs))
	if header && !v.asJSON {
		fmt.Fprintf(stdout, "== study %s (%d key images) ==\n", st.uid, len(imgs))
	}
	res, err := askStream(ctx, m, imgs, out.Prompt, v, stdout)
	fillTimings(&tm, res, start)
	tm.Total = math.Round((tm.Total+tm.Load+derefOr(tm.Hash))*1000) / 1000
	if v.stats {
		printVLMStats(stderr, tm, res)
	}
	if err != nil {
		return fmt.Errorf("report: study %s: %w", st.uid, err)
	}
	if !v.asJSON {
		return nil
	}
	out.Text, out.IDs, out.Stop = res.Text, nonNil(res.IDs), res.Stop
	out.PromptTokens, out.ImageTokens = res.PromptTokens, res.ImageTokens
	out.TimingsMS, out.TokensPerS = tm, tokenRates(res)
	return json.NewEncoder(stdout).Encode(out)
}

func derefOr(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

// collectInstances reads the summaries of the DICOM files named by paths,
// walking folders. A file named on the command line must be DICOM; files
// met in folders that are not DICOM (ground truth, indexes) are skipped,
// and DICOM files without pixel data (reports, presentation states) are
// skipped with a warning.
func collectInstances(ctx context.Context, paths []string, log *slog.Logger) ([]instance, error) {
	var out []instance
	add := func(path string, named bool) error {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		sum, err := readSummary(path)
		switch {
		case errors.Is(err, errNotDICOM) && !named:
			return nil
		case err != nil:
			if named {
				return fmt.Errorf("report: %w", err)
			}
			log.Warn("report: skipping unreadable DICOM file", "file", path, "err", err)
			return nil
		case sum.Rows == 0 || sum.Columns == 0:
			log.Warn("report: skipping DICOM file without an image", "file", path, "sop_class", dicom.UIDName(sum.SOPClassUID))
			return nil
		}
		out = append(out, instance{path: path, sum: sum})
		return nil
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		if !st.IsDir() {
			if err := add(p, true); err != nil {
				return nil, err
			}
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.Type().IsRegular() {
				return nil
			}
			return add(path, false)
		})
		if err != nil {
			return nil, fmt.Errorf("report: walk %s: %w", p, err)
		}
	}
	return out, nil
}

// errNotDICOM marks a file that is neither a Part-10 file nor a .dcm dataset.
var errNotDICOM = errors.New("not a DICOM file")

// summaryPrefix is how much of a file readSummary reads first: the
// attributes it needs precede the pixel data, so a header this long
// nearly always holds them.
const summaryPrefix = 256 << 10

// readSummary parses the indexing attributes of the DICOM file at path,
// reading only its first summaryPrefix bytes unless the header is longer.
func readSummary(path string) (*dicom.Summary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	head := make([]byte, min(st.Size(), summaryPrefix))
	if _, err := io.ReadFull(f, head); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	hasMagic := len(head) >= 132 && bytes.Equal(head[128:132], []byte("DICM"))
	if !hasMagic && !strings.EqualFold(filepath.Ext(path), ".dcm") {
		return nil, fmt.Errorf("%s: %w", path, errNotDICOM)
	}
	parse := func(data []byte) (*dicom.Summary, error) {
		meta, off, err := dicom.ReadMeta(data)
		if err != nil && !errors.Is(err, dicom.ErrNoMeta) {
			return nil, err
		}
		return dicom.ParseSummary(data[off:], meta.TransferSyntaxUID)
	}
	sum, err := parse(head)
	if err != nil && st.Size() > int64(len(head)) { // a header past the prefix: read it all
		all, rerr := os.ReadFile(path)
		if rerr != nil {
			return nil, fmt.Errorf("read %s: %w", path, rerr)
		}
		sum, err = parse(all)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return sum, nil
}

// groupStudies groups instances by StudyInstanceUID (studies in UID
// order), then by SeriesInstanceUID (series by SeriesNumber, then UID),
// instances by InstanceNumber, then SOP Instance UID.
func groupStudies(insts []instance) []studyGroup {
	byStudy := map[string]map[string][]instance{}
	for _, in := range insts {
		s := in.sum
		if byStudy[s.StudyInstanceUID] == nil {
			byStudy[s.StudyInstanceUID] = map[string][]instance{}
		}
		byStudy[s.StudyInstanceUID][s.SeriesInstanceUID] = append(byStudy[s.StudyInstanceUID][s.SeriesInstanceUID], in)
	}
	var out []studyGroup
	for uid, series := range byStudy {
		g := studyGroup{uid: uid}
		for _, list := range series {
			slices.SortFunc(list, func(a, b instance) int {
				return cmp.Or(numCmp(a.sum.InstanceNumber, b.sum.InstanceNumber), cmp.Compare(a.sum.SOPInstanceUID, b.sum.SOPInstanceUID),
					cmp.Compare(a.path, b.path))
			})
			g.series = append(g.series, list)
		}
		slices.SortFunc(g.series, func(a, b []instance) int {
			return cmp.Or(numCmp(a[0].sum.SeriesNumber, b[0].sum.SeriesNumber), cmp.Compare(a[0].sum.SeriesInstanceUID, b[0].sum.SeriesInstanceUID))
		})
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b studyGroup) int { return cmp.Compare(a.uid, b.uid) })
	return out
}

// numCmp orders integer strings numerically; a missing or non-numeric
// value sorts after every number.
func numCmp(a, b string) int {
	x, errA := strconv.Atoi(strings.TrimSpace(a))
	y, errB := strconv.Atoi(strings.TrimSpace(b))
	switch {
	case errA != nil && errB != nil:
		return 0
	case errA != nil:
		return 1
	case errB != nil:
		return -1
	}
	return cmp.Compare(x, y)
}

// keyImages picks the images the model sees for a study with
// keyimage.Select, at most limit in all: every view of a projection series
// (CR, DX, MG…), the middle slice of every cross-sectional series (CT,
// MR…; the middle frame of a single multi-frame volume). The CLI keeps
// every series, since a folder given by hand holds what the user chose;
// the daemon's drafts use the main series only.
func keyImages(st studyGroup, limit int) []keyImage {
	var all []instance
	var imgs []keyimage.Image
	for _, series := range st.series {
		for _, in := range series {
			s := in.sum
			imgs = append(imgs, keyimage.Image{Ref: strconv.Itoa(len(all)), SeriesInstanceUID: s.SeriesInstanceUID,
				SOPInstanceUID: s.SOPInstanceUID, Modality: s.Modality, BodyPart: s.BodyPartExamined,
				SeriesNumber: numberOrLast(s.SeriesNumber), InstanceNumber: numberOrLast(s.InstanceNumber), Frames: s.NumberOfFrames})
			all = append(all, in)
		}
	}
	var out []keyImage
	for _, k := range keyimage.Select(imgs, keyimage.Options{MaxImages: limit, Slices: 1, AllSeries: true}) {
		i, _ := strconv.Atoi(k.Ref)
		out = append(out, keyImage{inst: all[i], frame: k.Frame})
	}
	return out
}

// numberOrLast parses an IS value; a missing or bad one sorts last.
func numberOrLast(v string) int {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return math.MaxInt
	}
	return n
}
