package metrics

// Phrase lists of the rule-based CheXpert-style labeler (CheXpertLabels).
// They are this project's own lists, written from the published
// description of the CheXpert labeler (Irvin et al. 2019) and common
// chest-radiograph reporting language; every phrase is lower case, words
// separated by single spaces (hyphens and slashes split words, so
// "ground-glass" is written "ground glass" and "r/o" is "r o").

// The 14 CheXpert observations, in the order of the CheXpert paper.
const (
	NoFinding                 = "No Finding"
	EnlargedCardiomediastinum = "Enlarged Cardiomediastinum"
	Cardiomegaly              = "Cardiomegaly"
	LungLesion                = "Lung Lesion"
	LungOpacity               = "Lung Opacity"
	Edema                     = "Edema"
	Consolidation             = "Consolidation"
	Pneumonia                 = "Pneumonia"
	Atelectasis               = "Atelectasis"
	Pneumothorax              = "Pneumothorax"
	PleuralEffusion           = "Pleural Effusion"
	PleuralOther              = "Pleural Other"
	Fracture                  = "Fracture"
	SupportDevices            = "Support Devices"
	chexpertObservationsCount = 14
)

// CheXpertObservations lists the 14 observations in the CheXpert order.
func CheXpertObservations() []string {
	return []string{NoFinding, EnlargedCardiomediastinum, Cardiomegaly, LungLesion, LungOpacity, Edema,
		Consolidation, Pneumonia, Atelectasis, Pneumothorax, PleuralEffusion, PleuralOther, Fracture, SupportDevices}
}

// CheXpert5Observations lists the five observations most report-generation
// papers single out (the CheXpert competition tasks).
func CheXpert5Observations() []string {
	return []string{Atelectasis, Cardiomegaly, Consolidation, Edema, PleuralEffusion}
}

// mentionKind tells how a matched phrase is classified.
type mentionKind uint8

const (
	// specific phrases name the finding itself ("cardiomegaly").
	specific mentionKind = iota
	// sized phrases name an anatomic structure ("heart size"); they are a
	// mention only when their clause says the structure is enlarged
	// (positive), normal (negative) or borderline (uncertain).
	sized
	// blocker phrases consume words that would otherwise be misread
	// ("pericardial effusion", "mass effect"); they label nothing.
	blocker
)

type phraseEntry struct {
	obs  string
	kind mentionKind
	text string
}

func phrasesOf(obs string, kind mentionKind, texts ...string) []phraseEntry {
	out := make([]phraseEntry, len(texts))
	for i, t := range texts {
		out[i] = phraseEntry{obs: obs, kind: kind, text: t}
	}
	return out
}

// mentionPhrases returns all mention and blocker phrases.
func mentionPhrases() []phraseEntry {
	var p []phraseEntry
	add := func(e []phraseEntry) { p = append(p, e...) }
	add(phrasesOf(EnlargedCardiomediastinum, specific,
		"enlarged cardiomediastinum", "widened mediastinum", "mediastinal widening", "widening of the mediastinum",
		"mediastinal enlargement", "enlarged mediastinum", "enlargement of the mediastinum",
		"enlarged cardiomediastinal silhouette", "widened cardiomediastinal silhouette"))
	add(phrasesOf(EnlargedCardiomediastinum, sized,
		"cardiomediastinal silhouette", "cardiomediastinal silhouettes", "cardiomediastinal contour",
		"cardiomediastinal contours", "cardiomediastinal size", "mediastinal contour", "mediastinal contours",
		"mediastinal silhouette", "mediastinum", "hilar and mediastinal contours", "mediastinal and hilar contours",
		"cardiomediastinal", "mediastinal"))
	add(phrasesOf(Cardiomegaly, specific,
		"cardiomegaly", "cardiac enlargement", "enlarged heart", "enlargement of the heart",
		"enlarged cardiac silhouette", "enlargement of the cardiac silhouette", "enlarged heart size"))
	add(phrasesOf(Cardiomegaly, sized,
		"heart size", "heart", "cardiac silhouette", "cardiac size", "cardiac contour", "cardiac contours",
		"cardiac shadow", "heart silhouette", "cardiac"))
	add(phrasesOf(LungLesion, specific,
		"mass", "masses", "nodule", "nodules", "nodular opacity", "nodular opacities", "nodular density",
		"nodular densities", "pulmonary nodule", "pulmonary nodules", "lung nodule", "lung mass", "lesion",
		"lesions", "tumor", "tumors", "tumour", "neoplasm", "neoplasms", "carcinoma", "malignancy", "cancer",
		"metastasis", "metastases", "metastatic disease", "cavitary lesion", "cavitation", "cavity"))
	add(phrasesOf(LungOpacity, specific,
		"opacity", "opacities", "opacification", "opacifications", "opacified", "infiltrate", "infiltrates",
		"infiltration", "infiltrative", "airspace disease", "air space disease", "airspace process",
		"air space process", "airspace opacity", "airspace opacities", "haziness", "hazy", "ground glass",
		"reticular", "reticulonodular", "interstitial markings", "interstitial marking", "interstitial opacity",
		"interstitial opacities", "interstitial disease", "interstitial abnormality", "density", "densities",
		"increased density", "parenchymal abnormality", "scarring", "scar", "fibrosis", "fibrotic"))
	add(phrasesOf(Edema, specific,
		"edema", "oedema", "pulmonary edema", "interstitial edema", "alveolar edema", "vascular congestion",
		"pulmonary vascular congestion", "congestion", "vascular engorgement", "engorgement", "heart failure",
		"chf", "congestive heart failure", "fluid overload", "volume overload", "cephalization",
		"kerley b lines", "kerley lines", "kerley b", "vascular redistribution", "septal lines", "septal thickening"))
	add(phrasesOf(Consolidation, specific,
		"consolidation", "consolidations", "consolidative", "consolidated", "airspace consolidation",
		"air space consolidation", "consolidative opacity", "consolidative opacities"))
	add(phrasesOf(Pneumonia, specific,
		"pneumonia", "pneumonias", "bronchopneumonia", "pneumonic", "infection", "infections",
		"infectious process", "infectious", "pneumonitis"))
	add(phrasesOf(Atelectasis, specific,
		"atelectasis", "atelectases", "atelectatic", "atelectatic change", "atelectatic changes", "collapse",
		"collapsed", "subsegmental atelectasis", "plate like atelectasis", "platelike atelectasis",
		"linear atelectasis", "discoid atelectasis", "volume loss"))
	add(phrasesOf(Pneumothorax, specific,
		"pneumothorax", "pneumothoraces", "pneumothoraxes", "ptx", "hydropneumothorax"))
	add(phrasesOf(PleuralEffusion, specific,
		"pleural effusion", "pleural effusions", "effusion", "effusions", "pleural fluid", "hydrothorax",
		"fluid in the pleural space", "blunting of the costophrenic angle", "blunting of the costophrenic angles",
		"costophrenic angle blunting", "blunted costophrenic angle", "blunted costophrenic angles",
		"blunting of the left costophrenic angle", "blunting of the right costophrenic angle",
		"blunting of the costophrenic sulcus", "layering fluid"))
	add(phrasesOf(PleuralOther, specific,
		"pleural thickening", "pleural plaque", "pleural plaques", "pleural calcification",
		"pleural calcifications", "pleural scarring", "pleural scar", "pleural parenchymal scarring",
		"pleuroparenchymal scarring", "pleural parenchymal scar", "fibrothorax", "pleural abnormality",
		"apical pleural thickening", "apical cap", "apical caps", "pleural based opacity"))
	add(phrasesOf(Fracture, specific,
		"fracture", "fractures", "fractured", "rib fracture", "rib fractures", "compression fracture",
		"compression deformity", "fracture deformity"))
	add(phrasesOf(SupportDevices, specific,
		"tube", "tubes", "endotracheal tube", "et tube", "ett", "tracheostomy", "tracheostomy tube",
		"nasogastric tube", "ng tube", "og tube", "orogastric tube", "enteric tube", "feeding tube",
		"dobhoff", "chest tube", "chest tubes", "pleural drain", "drain", "drains", "line", "lines",
		"central line", "central venous catheter", "catheter", "catheters", "picc", "picc line", "port",
		"port a cath", "portacath", "swan ganz", "swan ganz catheter", "pulmonary artery catheter",
		"pacemaker", "pacer", "pacemaker leads", "pacer leads", "leads", "lead", "icd", "defibrillator",
		"aicd", "stent", "stents", "prosthetic valve", "valve replacement", "sternotomy wires",
		"sternal wires", "wire", "wires", "clip", "clips", "surgical clips", "device", "devices",
		"hardware", "cardiac monitor", "loop recorder", "impella", "iabp", "balloon pump",
		"intra aortic balloon pump", "coil", "coils", "sheath", "electrode", "electrodes"))
	// Blockers: words that look like a mention but are not one.
	add(phrasesOf("", blocker,
		"pericardial effusion", "pericardial effusions", "joint effusion", "mass effect",
		"soft tissue edema", "subcutaneous edema", "soft tissue mass", "osseous lesion", "osseous lesions",
		"bony lesion", "bony lesions", "lytic lesion", "lytic lesions", "sclerotic lesion", "sclerotic lesions",
		"skin lesion", "vertebral collapse", "vertebral body collapse", "pleural line", "pleural lines",
		"midline", "cardiac apex",
		"urinary tract infection", "bone density", "bone densities", "density of the bones",
		"port of entry", "aortic valve calcification", "valve calcification", "mitral annular calcification",
		"breast density", "breast tissue density", "nipple shadow", "nipple shadows"))
	return p
}

// Cue lists. Matching is on whole words within the same clause.
var (
	// Negation cues that precede the mention.
	preNegation = []string{
		"no", "not", "without", "negative for", "free of", "clear of", "absence of", "resolution of",
		"removal of", "neither", "nor", "never", "rather than", "lack of", "no evidence of", "no signs of",
		"no sign of", "interval removal of",
	}
	// Phrases that contain a negation word but do not negate what follows.
	pseudoNegation = []string{
		"no change", "no significant change", "no interval change", "no substantial change",
		"no appreciable change", "no significant interval change", "no increase", "no decrease",
		"not changed", "not significantly changed", "not only", "no further", "not appreciably changed",
		"no marked change", "not been changed", "no definite change",
	}
	// Negation cues that follow the mention (in the same comma-free span).
	postNegation = []string{
		"is not seen", "are not seen", "not seen", "not identified", "not appreciated", "not present",
		"not visualized", "not demonstrated", "not evident", "not detected", "not visible", "not noted",
		"is absent", "are absent", "absent", "has resolved", "have resolved", "resolved", "is no longer",
		"are no longer", "no longer", "has been removed", "have been removed", "been removed", "removed",
		"were removed", "was removed", "not enlarged", "is gone", "have cleared", "has cleared", "cleared",
		"been withdrawn", "withdrawn",
	}
	// Uncertainty cues checked before negation ("cannot be excluded"
	// contains a negation word but means uncertain).
	uncertainBeforeNegation = []string{
		"cannot exclude", "can not exclude", "cannot be excluded", "can not be excluded", "not be excluded",
		"not excluded", "not entirely excluded", "cannot rule out", "can not rule out", "cannot be ruled out",
		"can not be ruled out", "not be ruled out", "not ruled out", "difficult to exclude", "not definitely excluded",
		"not completely excluded", "not be entirely excluded", "no definite evidence against",
	}
	// Uncertainty cues that precede the mention.
	preUncertainty = []string{
		"possible", "possibly", "probable", "probably", "likely", "may", "might", "could", "questionable",
		"question of", "suspicious", "suspected", "suspect", "suspicion", "concern", "concerning",
		"suggest", "suggests", "suggestive", "suggesting", "versus", "vs", "differential", "rule out",
		"r o", "evaluate for", "assess for", "to exclude", "presumed", "presumably", "equivocal",
		"indeterminate", "uncertain", "borderline", "potential", "perhaps", "cannot distinguish",
		"difficult to distinguish", "not distinguishable",
	}
	// Uncertainty cues that follow the mention.
	postUncertainty = []string{
		"is possible", "are possible", "is likely", "are likely", "is suspected", "suspected",
		"versus", "vs", "could be", "may be", "might be", "is not excluded", "cannot be excluded",
		"can not be excluded", "not excluded", "cannot be ruled out", "not ruled out", "is questioned",
		"questionable", "is a consideration", "is considered", "considered", "not entirely excluded",
		"is difficult to exclude", "in the differential",
	}
	// Clause breakers: a cue does not reach over these words.
	clauseBreakers = []string{
		"but", "however", "although", "though", "whereas", "except", "which", "otherwise", "while",
		"aside from", "apart from", "with the exception of", "other than",
	}
	// Size words for sized mentions.
	sizeEnlarged = []string{
		"enlarged", "enlargement", "enlarging", "large", "larger", "increased", "increase", "widened",
		"widening", "wide", "prominent", "prominence", "cardiomegaly", "dilated", "dilation",
	}
	sizeNormal = []string{
		"normal", "unremarkable", "within normal limits", "not enlarged", "normal in size", "not widened",
		"wnl", "small", "not increased",
	}
	sizeBorderline = []string{
		"borderline", "top normal", "top of normal", "upper limits of normal", "upper limit of normal",
		"high normal", "upper normal", "upper range of normal", "at the upper limits", "mildly prominent", "top normal size",
		"possibly enlarged", "possibly mildly enlarged",
	}
)
