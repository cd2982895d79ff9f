package phantom

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Transfer syntax and SOP class UIDs this package writes.
const (
	ImplicitVRLittleEndian         = "1.2.840.10008.1.2"
	ExplicitVRLittleEndian         = "1.2.840.10008.1.2.1"
	DeflatedExplicitVRLittleEndian = "1.2.840.10008.1.2.1.99"
	JPEGBaseline8Bit               = "1.2.840.10008.1.2.4.50"

	CTImageStorage                        = "1.2.840.10008.5.1.4.1.1.2"
	CRImageStorage                        = "1.2.840.10008.5.1.4.1.1.1"
	DXImageStorageForPresentation         = "1.2.840.10008.5.1.4.1.1.1.1"
	MRImageStorage                        = "1.2.840.10008.5.1.4.1.1.4"
	MultiFrameGrayscaleWordSCImageStorage = "1.2.840.10008.5.1.4.1.1.7.3"
)

// Options says what to generate. The zero value of each field means its
// default; Generate needs OutDir, NewStudy ignores it.
type Options struct {
	OutDir   string
	Studies  int    // default 1
	Modality string // CT (default), CR, DX or MR
	Seed     uint64
	// TransferSyntax: "explicit" (default), "implicit", "deflate", "jpeg"
	// (CR and DX only), or one of the four UIDs above.
	TransferSyntax string
	// MultiFrame writes a CT or MR series as one Multi-frame Grayscale Word
	// Secondary Capture instance instead of one image per slice.
	MultiFrame bool
	Slices     int // CT default 40, MR default 24; ignored for CR and DX
}

// Instance is one generated SOP instance.
type Instance struct {
	SOPInstanceUID    string
	SOPClassUID       string
	TransferSyntaxUID string
	InstanceNumber    int
	FileName          string // base name inside the study folder
	// Dataset is the dataset without the file meta group, encoded in
	// TransferSyntaxUID (so deflated for the deflated transfer syntax):
	// what a C-STORE carries.
	Dataset []byte
	// File is the complete Part-10 file: preamble, meta group, Dataset.
	File []byte
}

// Study is one generated study in memory.
type Study struct {
	Index             int
	Dir               string // folder name under OutDir
	Modality          string
	StudyInstanceUID  string
	SeriesInstanceUID string
	Instances         []Instance
	Truth             *Truth
}

// Result summarises what Generate wrote.
type Result struct {
	OutDir  string
	Studies []StudyResult
	Files   int
	Bytes   int64
}

// StudyResult is one line of the index Generate writes (phantom_index.json).
type StudyResult struct {
	Dir              string   `json:"dir"`
	StudyInstanceUID string   `json:"study_instance_uid"`
	PatientID        string   `json:"patient_id"`
	Modality         string   `json:"modality"`
	Instances        int      `json:"instances"`
	Findings         []string `json:"findings"`
}

// normalize fills defaults and checks the combination of options.
func (o Options) normalize() (Options, error) {
	if o.Studies == 0 {
		o.Studies = 1
	}
	if o.Studies < 0 || o.Studies > 100000 {
		return o, fmt.Errorf("phantom: studies %d out of range 1..100000", o.Studies)
	}
	o.Modality = strings.ToUpper(strings.TrimSpace(o.Modality))
	if o.Modality == "" {
		o.Modality = "CT"
	}
	switch o.Modality {
	case "CT", "MR":
		if o.Slices == 0 {
			o.Slices = 40
			if o.Modality == "MR" {
				o.Slices = 24
			}
		}
		if o.Slices < 1 || o.Slices > 400 {
			return o, fmt.Errorf("phantom: slices %d out of range 1..400", o.Slices)
		}
	case "CR", "DX":
		if o.MultiFrame {
			return o, fmt.Errorf("phantom: multi-frame is offered for CT and MR only, not %s", o.Modality)
		}
		o.Slices = 1
	default:
		return o, fmt.Errorf("phantom: unknown modality %q (want CT, CR, DX or MR)", o.Modality)
	}
	switch strings.ToLower(strings.TrimSpace(o.TransferSyntax)) {
	case "", "explicit", ExplicitVRLittleEndian:
		o.TransferSyntax = ExplicitVRLittleEndian
	case "implicit", ImplicitVRLittleEndian:
		o.TransferSyntax = ImplicitVRLittleEndian
	case "deflate", "deflated", DeflatedExplicitVRLittleEndian:
		o.TransferSyntax = DeflatedExplicitVRLittleEndian
	case "jpeg", "jpeg-baseline", JPEGBaseline8Bit:
		if o.Modality != "CR" && o.Modality != "DX" {
			return o, fmt.Errorf("phantom: jpeg baseline (8-bit) is offered for CR and DX only, not %s", o.Modality)
		}
		o.TransferSyntax = JPEGBaseline8Bit
	default:
		return o, fmt.Errorf("phantom: unknown transfer syntax %q (want implicit, explicit, deflate or jpeg)", o.TransferSyntax)
	}
	return o, nil
}

// NewStudy builds study number index (0-based) of opts in memory. The same
// options and index always give the same bytes.
func NewStudy(opts Options, index int) (*Study, error) {
	o, err := opts.normalize()
	if err != nil {
		return nil, err
	}
	if index < 0 {
		return nil, fmt.Errorf("phantom: negative study index %d", index)
	}
	return buildStudy(newScene(o, index))
}

// buildStudy renders and encodes a planned scene.
func buildStudy(sc *scene) (*Study, error) {
	o, index := sc.opts, sc.index
	var se *series
	switch o.Modality {
	case "CT":
		se = renderCT(sc)
	case "CR", "DX":
		se = renderXRay(sc)
	case "MR":
		se = renderMR(sc)
	}
	insts, err := buildInstances(sc, se)
	if err != nil {
		return nil, fmt.Errorf("phantom: study %d: %w", index, err)
	}
	st := &Study{
		Index:             index,
		Dir:               fmt.Sprintf("study_%04d_%s", index+1, sc.patient.ID),
		Modality:          o.Modality,
		StudyInstanceUID:  sc.studyUID,
		SeriesInstanceUID: sc.seriesUID,
		Instances:         insts,
	}
	st.Truth = buildTruth(sc, se, insts)
	return st, nil
}

// Generate writes opts.Studies studies under opts.OutDir: one folder per
// study holding its Part-10 files and ground_truth.json, and
// phantom_index.json listing the studies.
func Generate(opts Options) (*Result, error) {
	return GenerateContext(context.Background(), opts)
}

// GenerateContext is Generate that stops between studies when ctx ends.
func GenerateContext(ctx context.Context, opts Options) (*Result, error) {
	o, err := opts.normalize()
	if err != nil {
		return nil, err
	}
	if o.OutDir == "" {
		return nil, fmt.Errorf("phantom: no output folder")
	}
	res := &Result{OutDir: o.OutDir}
	for i := 0; i < o.Studies; i++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("phantom: stopped after %d studies: %w", i, err)
		}
		st, err := NewStudy(o, i)
		if err != nil {
			return nil, err
		}
		dir := filepath.Join(o.OutDir, st.Dir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("phantom: make study folder: %w", err)
		}
		for _, in := range st.Instances {
			if err := os.WriteFile(filepath.Join(dir, in.FileName), in.File, 0o644); err != nil {
				return nil, fmt.Errorf("phantom: write %s: %w", in.FileName, err)
			}
			res.Files++
			res.Bytes += int64(len(in.File))
		}
		tj, err := json.MarshalIndent(st.Truth, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("phantom: encode ground truth: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, "ground_truth.json"), append(tj, '\n'), 0o644); err != nil {
			return nil, fmt.Errorf("phantom: write ground truth: %w", err)
		}
		sr := StudyResult{Dir: st.Dir, StudyInstanceUID: st.StudyInstanceUID, PatientID: st.Truth.PatientID,
			Modality: st.Modality, Instances: len(st.Instances), Findings: []string{}}
		for _, f := range st.Truth.Findings {
			sr.Findings = append(sr.Findings, f.Type)
		}
		res.Studies = append(res.Studies, sr)
	}
	ij, err := json.MarshalIndent(res.Studies, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("phantom: encode index: %w", err)
	}
	if err := os.WriteFile(filepath.Join(o.OutDir, "phantom_index.json"), append(ij, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("phantom: write index: %w", err)
	}
	return res, nil
}
