package phantom

import (
	"fmt"
	"strings"
)

// describe is the one-line radiology description of a finding.
func describe(modality string, f *Finding) string {
	xray := modality == "CR" || modality == "DX"
	switch f.Type {
	case "nodule":
		s := fmt.Sprintf("%s mm %s nodule in the %s", formatDS(f.SizeMM), f.Density, f.Lobe)
		if xray {
			s = fmt.Sprintf("%s mm %s nodular opacity projecting over the %s %s zone", formatDS(f.SizeMM),
				map[string]string{"solid": "rounded", "calcified": "densely calcified"}[f.Density], f.Side, zone(f.Lobe))
		}
		return s
	case "mass":
		if xray {
			return fmt.Sprintf("%s mm rounded mass in the %s %s zone", formatDS(f.SizeMM), f.Side, zone(f.Lobe))
		}
		return fmt.Sprintf("%s mm lobulated solid mass in the %s", formatDS(f.SizeMM), f.Lobe)
	case "pleural_effusion":
		if xray {
			return fmt.Sprintf("%s %s pleural effusion with blunting of the costophrenic angle", f.Extent, f.Side)
		}
		return fmt.Sprintf("%s %s pleural effusion, layering dependently (maximal depth %s mm)", f.Extent, f.Side, formatDS(f.SizeMM))
	case "pneumothorax":
		if xray {
			return fmt.Sprintf("%s %s apical pneumothorax with a visible visceral pleural line", f.Extent, f.Side)
		}
		return fmt.Sprintf("%s %s anterior pneumothorax (maximal depth %s mm)", f.Extent, f.Side, formatDS(f.SizeMM))
	case "rib_fracture":
		return fmt.Sprintf("acute fracture of the %s %s rib, %s aspect, minimally displaced", f.Side, ordinal(f.Rib), f.Location)
	case "brain_mass":
		return fmt.Sprintf("%s mm T2 hyperintense mass in the %s %s with surrounding vasogenic edema", formatDS(f.SizeMM), f.Side, f.Lobe)
	}
	return f.Type
}

// zone maps a lobe to the radiographic lung zone used on chest films.
func zone(lobe string) string {
	switch {
	case strings.Contains(lobe, "upper"):
		return "upper"
	case strings.Contains(lobe, "middle"):
		return "mid"
	}
	return "lower"
}

func ordinal(n int) string {
	switch n {
	case 1:
		return "1st"
	case 2:
		return "2nd"
	case 3:
		return "3rd"
	}
	return fmt.Sprintf("%dth", n)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func article(s string) string {
	if strings.HasPrefix(s, "8") || strings.HasPrefix(s, "11") || strings.HasPrefix(s, "18") {
		return "An " + s
	}
	return "A " + s
}

func buildReport(modality string, fs []*Finding) Report {
	var lungs, pleura, bones, brain []string
	for _, f := range fs {
		d := describe(modality, f)
		switch f.Type {
		case "nodule", "mass":
			lungs = append(lungs, article(d)+".")
		case "pleural_effusion", "pneumothorax":
			pleura = append(pleura, capitalize(d)+".")
		case "rib_fracture":
			bones = append(bones, capitalize(d)+".")
		case "brain_mass":
			brain = append(brain, article(d)+".")
		}
	}
	var findings []string
	switch modality {
	case "MR":
		if len(brain) == 0 {
			findings = append(findings, "The brain parenchyma is normal in signal intensity. No mass, haemorrhage or infarct.")
		} else {
			findings = append(findings, strings.Join(brain, " ")+" Mild local mass effect without midline shift.")
		}
		findings = append(findings, "The ventricles and sulci are normal in size for age. No extra-axial collection.",
			"The calvarium and scalp are unremarkable.")
	case "CT":
		l := "Lungs: No pulmonary nodule or mass. No consolidation."
		if len(lungs) > 0 {
			l = "Lungs: " + strings.Join(lungs, " ") + " No consolidation."
		}
		findings = append(findings, l)
		pl := "Pleura: No pleural effusion or pneumothorax."
		if len(pleura) > 0 {
			pl = "Pleura: " + strings.Join(pleura, " ")
		}
		findings = append(findings, pl,
			"Mediastinum: Heart size is normal. No pericardial effusion. No mediastinal or hilar lymphadenopathy.")
		b := "Bones: No acute osseous abnormality."
		if len(bones) > 0 {
			b = "Bones: " + strings.Join(bones, " ")
		}
		findings = append(findings, b)
	default:
		findings = append(findings, "PA view of the chest. The heart size is normal. The mediastinal contours are unremarkable.")
		l := "The lungs are clear."
		if len(lungs) > 0 {
			l = strings.Join(lungs, " ") + " The lungs are otherwise clear."
		}
		findings = append(findings, l)
		pl := "No pleural effusion or pneumothorax."
		if len(pleura) > 0 {
			pl = strings.Join(pleura, " ")
		}
		findings = append(findings, pl)
		b := "No acute osseous abnormality."
		if len(bones) > 0 {
			b = strings.Join(bones, " ")
		}
		findings = append(findings, b)
	}
	var imp []string
	for i, f := range fs {
		imp = append(imp, fmt.Sprintf("%d. %s.", i+1, capitalize(describe(modality, f))))
	}
	if len(imp) == 0 {
		if modality == "MR" {
			imp = []string{"No acute intracranial abnormality."}
		} else {
			imp = []string{"No acute cardiopulmonary abnormality."}
		}
	}
	r := Report{Findings: strings.Join(findings, "\n"), Impression: strings.Join(imp, "\n")}
	r.Text = "FINDINGS:\n" + r.Findings + "\n\nIMPRESSION:\n" + r.Impression
	return r
}
