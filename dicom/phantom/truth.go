package phantom

import (
	"math"
)

// TruthSchema names the ground_truth.json layout documented in doc.go.
const TruthSchema = "lingshu.phantom.truth/v1"

// Truth is a study's ground truth, written as ground_truth.json.
type Truth struct {
	Schema              string   `json:"schema"`
	Generator           string   `json:"generator"`
	Seed                uint64   `json:"seed"`
	StudyIndex          int      `json:"study_index"`
	Modality            string   `json:"modality"`
	SOPClassUID         string   `json:"sop_class_uid"`
	TransferSyntaxUID   string   `json:"transfer_syntax_uid"`
	MultiFrame          bool     `json:"multiframe"`
	PatientID           string   `json:"patient_id"`
	PatientName         string   `json:"patient_name"`
	PatientSex          string   `json:"patient_sex"`
	PatientBirthDate    string   `json:"patient_birth_date"`
	PatientAge          string   `json:"patient_age"`
	StudyInstanceUID    string   `json:"study_instance_uid"`
	SeriesInstanceUID   string   `json:"series_instance_uid"`
	FrameOfReferenceUID string   `json:"frame_of_reference_uid,omitempty"`
	AccessionNumber     string   `json:"accession_number"`
	StudyDate           string   `json:"study_date"`
	StudyTime           string   `json:"study_time"`
	StudyDescription    string   `json:"study_description"`
	Geometry            Geometry `json:"geometry"`
	// KeyImage is the image that best shows the first finding (or the
	// middle image when normal); general VQA pairs refer to it, detail pairs
	// to their finding's own key image.
	KeyImage ImagePoint  `json:"key_image"`
	Images   []ImageInfo `json:"images"`
	Normal   bool        `json:"normal"`
	Findings []*Finding  `json:"findings"`
	Report   Report      `json:"report"`
	VQA      []VQA       `json:"vqa"`
}

// Geometry describes the pixel grid. For CT and MR, pixel (row, column) of
// an image lies at ImagePositionPatient + column·PixelSpacing[1]·X +
// row·PixelSpacing[0]·Y with X, Y the two direction cosines. For CR and DX
// PixelSpacingMM is at the patient plane (ImagerPixelSpacing divided by
// the magnification); x and z of the patient are given, y is not.
type Geometry struct {
	Rows                    int        `json:"rows"`
	Columns                 int        `json:"columns"`
	PixelSpacingMM          [2]float64 `json:"pixel_spacing_mm"`
	ImagerPixelSpacingMM    []float64  `json:"imager_pixel_spacing_mm,omitempty"`
	Magnification           float64    `json:"magnification,omitempty"`
	SliceThicknessMM        float64    `json:"slice_thickness_mm,omitempty"`
	ImageOrientationPatient []float64  `json:"image_orientation_patient,omitempty"`
	View                    string     `json:"view"` // axial, PA
	Frames                  int        `json:"frames"`
	WindowCenter            float64    `json:"window_center"`
	WindowWidth             float64    `json:"window_width"`
}

// ImageInfo is one image (or frame of the multi-frame instance).
type ImageInfo struct {
	File                 string    `json:"file"`
	SOPInstanceUID       string    `json:"sop_instance_uid"`
	InstanceNumber       int       `json:"instance_number"`
	Frame                int       `json:"frame"`
	ImagePositionPatient []float64 `json:"image_position_patient,omitempty"`
	SliceLocation        *float64  `json:"slice_location,omitempty"`
	FindingIDs           []string  `json:"finding_ids"`
}

// Report is the reference report in radiology style.
type Report struct {
	Findings   string `json:"findings"`
	Impression string `json:"impression"`
	Text       string `json:"text"` // "FINDINGS:\n…\n\nIMPRESSION:\n…"
}

// imageRef maps frame i of the series to its file, instance and frame.
func imageRef(insts []Instance, i int) ImagePoint {
	if len(insts) == 1 {
		return ImagePoint{File: insts[0].FileName, SOPInstanceUID: insts[0].SOPInstanceUID,
			InstanceNumber: insts[0].InstanceNumber, Frame: i + 1}
	}
	return ImagePoint{File: insts[i].FileName, SOPInstanceUID: insts[i].SOPInstanceUID,
		InstanceNumber: insts[i].InstanceNumber, Frame: 1}
}

func buildTruth(sc *scene, se *series, insts []Instance) *Truth {
	p := sc.patient
	t := &Truth{
		Schema: TruthSchema, Generator: "lingshu phantom " + ImplementationVersionName,
		Seed: sc.opts.Seed, StudyIndex: sc.index, Modality: se.modality,
		SOPClassUID: insts[0].SOPClassUID, TransferSyntaxUID: insts[0].TransferSyntaxUID,
		MultiFrame: sc.opts.MultiFrame, PatientID: p.ID, PatientName: p.Name, PatientSex: p.Sex,
		PatientBirthDate: p.BirthDate, PatientAge: p.Age, StudyInstanceUID: sc.studyUID,
		SeriesInstanceUID: sc.seriesUID, AccessionNumber: sc.accession, StudyDate: sc.studyDate,
		StudyTime: sc.studyTime, StudyDescription: studyDescription(se.modality),
		Normal: len(se.findings) == 0, Findings: se.findings,
		Geometry: Geometry{Rows: se.rows, Columns: se.cols, PixelSpacingMM: se.spacing,
			Frames: len(se.frames), WindowCenter: se.window[0], WindowWidth: se.window[1]},
	}
	if t.Findings == nil {
		t.Findings = []*Finding{}
	}
	xray := se.modality == "CR" || se.modality == "DX"
	if xray {
		t.Geometry.View = "PA"
		t.Geometry.ImagerPixelSpacingMM = se.spacing[:]
		t.Geometry.Magnification = se.mag
		t.Geometry.PixelSpacingMM = [2]float64{se.spacing[0] / se.mag, se.spacing[1] / se.mag}
	} else {
		t.FrameOfReferenceUID = sc.forUID
		t.Geometry.View = "axial"
		t.Geometry.SliceThicknessMM = se.thickness
		t.Geometry.ImageOrientationPatient = se.orient[:]
	}
	for i, fr := range se.frames {
		ref := imageRef(insts, i)
		info := ImageInfo{File: ref.File, SOPInstanceUID: ref.SOPInstanceUID, InstanceNumber: ref.InstanceNumber,
			Frame: ref.Frame, FindingIDs: []string{}}
		if !xray {
			loc := fr.loc
			info.ImagePositionPatient = fr.pos[:]
			info.SliceLocation = &loc
		}
		for fi, f := range se.findings {
			if se.hits[i][fi].n > 0 {
				info.FindingIDs = append(info.FindingIDs, f.ID)
			}
		}
		t.Images = append(t.Images, info)
	}
	key := len(se.frames) / 2
	for fi, f := range se.findings {
		best := -1
		f.Images = []ImagePoint{}
		for i := range se.frames {
			h := se.hits[i][fi]
			if h.n == 0 {
				continue
			}
			pt := imageRef(insts, i)
			pt.Row, pt.Column = round2(h.sumR/float64(h.n)), round2(h.sumC/float64(h.n))
			f.Images = append(f.Images, pt)
			if best < 0 || h.n > se.hits[best][fi].n {
				best = i
			}
		}
		if best < 0 {
			continue
		}
		h := se.hits[best][fi]
		f.Center = imageRef(insts, best)
		f.Center.Row, f.Center.Column = round2(h.sumR/float64(h.n)), round2(h.sumC/float64(h.n))
		f.BBoxPixels = [4]float64{float64(h.minR), float64(h.minC), float64(h.maxR), float64(h.maxC)}
		if f.Type == "nodule" || f.Type == "mass" || f.Type == "brain_mass" {
			f.RadiusPixels = round2(math.Sqrt(float64(h.n) / math.Pi))
		}
		if fi == 0 {
			key = best
		}
		f.CenterPatientMM = patientPoint(se, best, f)
	}
	t.KeyImage = imageRef(insts, key)
	t.Report = buildReport(se.modality, se.findings)
	t.VQA = buildVQA(se.modality, se.findings, t.KeyImage)
	return t
}

// patientPoint returns the finding centre in patient coordinates: the exact
// planned centre for round findings, else the centroid on the key image.
func patientPoint(se *series, frameIdx int, f *Finding) [3]*float64 {
	ptr := func(v float64) *float64 { v = round2(v); return &v }
	xray := se.modality == "CR" || se.modality == "DX"
	if xray {
		ps := se.spacing[0] / se.mag
		x := (f.Center.Column - float64(se.cols-1)/2) * ps
		z := xrayTopZ - f.Center.Row*ps
		return [3]*float64{ptr(x), nil, ptr(z)}
	}
	if f.Type == "nodule" || f.Type == "mass" || f.Type == "brain_mass" || f.Type == "rib_fracture" {
		return [3]*float64{ptr(f.center[0]), ptr(f.center[1]), ptr(f.center[2])}
	}
	pos := se.frames[frameIdx].pos
	return [3]*float64{ptr(pos[0] + f.Center.Column*se.spacing[1]), ptr(pos[1] + f.Center.Row*se.spacing[0]), ptr(pos[2])}
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
