package phantom

import (
	"fmt"
	"strconv"
)

// VQA is one question–answer pair about one image, with the fields of
// VQA-RAD (qid, image_name, image_organ, answer_type, question_type) and of
// SLAKE (modality, location, content_type, q_lang).
type VQA struct {
	QID          int    `json:"qid"`
	ImageName    string `json:"image_name"`  // file in the study folder
	Frame        int    `json:"frame"`       // 1-based frame of that file
	ImageOrgan   string `json:"image_organ"` // VQA-RAD: CHEST, HEAD
	Modality     string `json:"modality"`    // SLAKE: CT, MRI, X-Ray
	Location     string `json:"location"`    // SLAKE: Chest, Lung, Brain
	Question     string `json:"question"`
	Answer       string `json:"answer"`
	AnswerType   string `json:"answer_type"`   // CLOSED or OPEN
	QuestionType string `json:"question_type"` // VQA-RAD: PRES, POS, SIZE, COUNT, ABN, MODALITY, PLANE, ORGAN, ATTRIB
	ContentType  string `json:"content_type"`  // SLAKE: Abnormality, Position, Size, Quantity, Modality, Plane, Organ
	QLang        string `json:"q_lang"`
	FindingID    string `json:"finding_id,omitempty"`
}

// contentType maps a VQA-RAD question type to SLAKE's content type.
func contentType(qt string) string {
	switch qt {
	case "PRES", "ABN", "ATTRIB":
		return "Abnormality"
	case "POS":
		return "Position"
	case "SIZE":
		return "Size"
	case "COUNT":
		return "Quantity"
	case "MODALITY":
		return "Modality"
	case "PLANE":
		return "Plane"
	case "ORGAN":
		return "Organ"
	}
	return "Other"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// visibleOn reports whether f is drawn on the given image and frame.
func visibleOn(f *Finding, at ImagePoint) bool {
	for _, p := range f.Images {
		if p.File == at.File && p.Frame == at.Frame {
			return true
		}
	}
	return false
}

// largest returns the largest finding of a type visible on the image at
// (any image when at is zero), or nil.
func largest(fs []*Finding, t string, at ImagePoint) *Finding {
	var best *Finding
	for _, f := range fs {
		if f.Type == t && (at.File == "" || visibleOn(f, at)) && (best == nil || f.SizeMM > best.SizeMM) {
			best = f
		}
	}
	return best
}

// buildVQA asks about single images, as VQA-RAD and SLAKE do. General and
// presence questions are about the study's key image and answered from
// what is drawn on it; detail questions about a finding are asked on that
// finding's own key image.
func buildVQA(modality string, fs []*Finding, key ImagePoint) []VQA {
	organ, slakeMod, loc, modName := "CHEST", "CT", "Lung", "CT"
	switch modality {
	case "MR":
		organ, slakeMod, loc, modName = "HEAD", "MRI", "Brain", "MRI"
	case "CR", "DX":
		slakeMod, loc, modName = "X-Ray", "Chest", "X-ray"
	}
	var out []VQA
	add := func(at ImagePoint, q, a, ansType, qt string, f *Finding) {
		v := VQA{QID: len(out) + 1, ImageName: at.File, Frame: at.Frame, ImageOrgan: organ, Modality: slakeMod,
			Location: loc, Question: q, Answer: a, AnswerType: ansType, QuestionType: qt, ContentType: contentType(qt), QLang: "en"}
		if f != nil {
			v.FindingID = f.ID
		}
		out = append(out, v)
	}
	k := key
	add(k, "What imaging modality was used?", modName, "OPEN", "MODALITY", nil)
	switch modality {
	case "MR":
		add(k, "Is this an MRI?", "yes", "CLOSED", "MODALITY", nil)
		add(k, "Is this a T2 weighted image?", "yes", "CLOSED", "MODALITY", nil)
		add(k, "In which plane is this image taken?", "axial", "OPEN", "PLANE", nil)
		add(k, "Which organ is shown in this image?", "brain", "OPEN", "ORGAN", nil)
	case "CT":
		add(k, "Is this a CT scan?", "yes", "CLOSED", "MODALITY", nil)
		add(k, "In which plane is this image taken?", "axial", "OPEN", "PLANE", nil)
		add(k, "Which part of the body does this image show?", "chest", "OPEN", "ORGAN", nil)
	default:
		add(k, "Is this a chest X-ray?", "yes", "CLOSED", "MODALITY", nil)
		add(k, "Is this a PA or an AP view?", "PA", "CLOSED", "PLANE", nil)
		add(k, "Which part of the body does this image show?", "chest", "OPEN", "ORGAN", nil)
	}
	onKey := 0
	for _, f := range fs {
		if visibleOn(f, k) {
			onKey++
		}
	}
	add(k, "Is this image normal?", yesNo(onKey == 0), "CLOSED", "ABN", nil)
	if modality == "MR" {
		m := largest(fs, "brain_mass", k)
		add(k, "Is there a mass in the brain?", yesNo(m != nil), "CLOSED", "PRES", m)
		add(k, "Are the ventricles enlarged?", "no", "CLOSED", "ABN", nil)
		if m = largest(fs, "brain_mass", ImagePoint{}); m != nil {
			at := m.Center
			add(at, "Which side of the brain is the lesion on?", m.Side, "CLOSED", "POS", m)
			add(at, "In which lobe is the lesion located?", m.Lobe, "CLOSED", "POS", m)
			add(at, "What is the size of the lesion?", formatDS(m.SizeMM)+" mm", "OPEN", "SIZE", m)
			add(at, "Is there surrounding edema?", "yes", "CLOSED", "ATTRIB", m)
			add(at, "What is the abnormality in this image?", "brain mass", "OPEN", "ABN", m)
		}
		return out
	}
	presence := []struct{ typ, q string }{
		{"nodule", "Is there a nodule in the lungs?"}, {"mass", "Is there a lung mass?"},
		{"pleural_effusion", "Is there a pleural effusion?"}, {"pneumothorax", "Is there a pneumothorax?"},
		{"rib_fracture", "Is there a rib fracture?"},
	}
	for _, p := range presence {
		f := largest(fs, p.typ, k)
		add(k, p.q, yesNo(f != nil), "CLOSED", "PRES", f)
	}
	if nod := largest(fs, "nodule", ImagePoint{}); nod != nil {
		at := nod.Center
		n := 0
		for _, f := range fs {
			if f.Type == "nodule" && visibleOn(f, at) {
				n++
			}
		}
		if n == 1 {
			add(at, "Which lung contains the nodule?", nod.Side+" lung", "CLOSED", "POS", nod)
			if modality == "CT" {
				add(at, "In which lobe is the nodule located?", nod.Lobe, "CLOSED", "POS", nod)
			}
		}
		add(at, "How many nodules are there?", strconv.Itoa(n), "CLOSED", "COUNT", nil)
		q := "What is the size of the nodule?"
		if n > 1 {
			q = "What is the size of the largest nodule?"
		}
		add(at, q, formatDS(nod.SizeMM)+" mm", "OPEN", "SIZE", nod)
		add(at, "Describe the nodule.", describe(modality, nod), "OPEN", "ATTRIB", nod)
	}
	if mass := largest(fs, "mass", ImagePoint{}); mass != nil {
		add(mass.Center, "Which side is the mass on?", mass.Side, "CLOSED", "POS", mass)
		add(mass.Center, "What is the size of the mass?", formatDS(mass.SizeMM)+" mm", "OPEN", "SIZE", mass)
	}
	if eff := largest(fs, "pleural_effusion", ImagePoint{}); eff != nil {
		add(eff.Center, "Which side is the pleural effusion on?", eff.Side, "CLOSED", "POS", eff)
		add(eff.Center, "How large is the pleural effusion?", eff.Extent, "OPEN", "SIZE", eff)
	}
	if ptx := largest(fs, "pneumothorax", ImagePoint{}); ptx != nil {
		add(ptx.Center, "Which side is the pneumothorax on?", ptx.Side, "CLOSED", "POS", ptx)
	}
	if fx := largest(fs, "rib_fracture", ImagePoint{}); fx != nil {
		add(fx.Center, "Which rib is fractured?", fmt.Sprintf("%s %s rib", fx.Side, ordinal(fx.Rib)), "OPEN", "POS", fx)
	}
	if len(fs) > 0 {
		add(fs[0].Center, "What is the most prominent abnormality?", describe(modality, fs[0]), "OPEN", "ABN", fs[0])
	}
	return out
}
