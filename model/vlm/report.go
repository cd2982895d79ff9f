package vlm

import (
	"fmt"
	"slices"
	"strings"
)

// ReportPromptVersion names the report prompt ReportPrompt writes. Change
// it whenever the wording changes: drafts record it so that evaluation
// results can be traced to the prompt that produced them.
const ReportPromptVersion = "lingshu-report/v1"

// modalityName spells out a DICOM modality for the prompt.
func modalityName(m string) string {
	switch m = strings.ToUpper(strings.TrimSpace(m)); m {
	case "MR":
		return "MRI"
	case "CR", "DX", "DR":
		return "X-ray"
	case "MG":
		return "mammography"
	case "US":
		return "ultrasound"
	case "PT":
		return "PET"
	case "NM":
		return "nuclear medicine"
	case "XA":
		return "angiography"
	case "RF":
		return "fluoroscopy"
	}
	return m
}

// ReportPrompt is the question of prompt version ReportPromptVersion for
// a study of the given DICOM modalities (e.g. ["CR"]) and body part
// (BodyPartExamined, may be empty), shown as nImages key images. It asks
// for a draft with a FINDINGS and an IMPRESSION section. No patient
// attribute enters the prompt.
func ReportPrompt(modalities []string, bodyPart string, nImages int) string {
	var kinds []string
	for _, m := range modalities {
		if name := modalityName(m); name != "" && !slices.Contains(kinds, name) {
			kinds = append(kinds, name)
		}
	}
	study := "medical imaging study"
	if len(kinds) > 0 {
		study = strings.Join(kinds, " and ") + " study"
	}
	if bp := strings.ToLower(strings.TrimSpace(bodyPart)); bp != "" {
		study += " of the " + bp
	}
	images := "The image is a key image"
	if nImages > 1 {
		images = fmt.Sprintf("The %d images are key images", nImages)
	}
	return fmt.Sprintf("You are an experienced radiologist. %s from one %s. "+
		"Write a draft radiology report with exactly two sections.\n"+
		"FINDINGS: describe the relevant observations, normal and abnormal, with location and size where visible.\n"+
		"IMPRESSION: summarise the most important findings in one to three sentences.\n"+
		"Describe only what the images show; do not invent patient history.", images, study)
}
