package jobs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"image"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/lingshu-edge/lingshu/daemon/infer"
	"github.com/lingshu-edge/lingshu/daemon/store"
	"github.com/lingshu-edge/lingshu/dicom/keyimage"
	"github.com/lingshu-edge/lingshu/dicom/pixel"
)

// maxStudyInstances bounds how many instance records a draft reads from
// the index for one study.
const maxStudyInstances = 20000

// studyImages lists the image instances of a study from the index, with
// the series' modality and body part, and the facts rules look at.
func (q *Queue) studyImages(studyUID string) ([]keyimage.Image, studyFacts, error) {
	var imgs []keyimage.Image
	var facts studyFacts
	series, err := q.st.SeriesOf(studyUID)
	if err != nil {
		return nil, facts, err
	}
	addFact := func(list *[]string, v string) {
		if v != "" && !slices.Contains(*list, v) {
			*list = append(*list, v)
		}
	}
	for _, se := range series {
		addFact(&facts.Modalities, se.Modality)
		addFact(&facts.BodyParts, se.BodyPartExamined)
		cursor := ""
		for {
			page, next, err := q.st.InstancesOf(se.SeriesUID, store.MaxLimit, cursor)
			if err != nil {
				return nil, facts, err
			}
			for _, in := range page {
				addFact(&facts.SenderAEs, in.SenderAE)
				if in.Rows == 0 || in.Columns == 0 {
					continue // no image (a report, a presentation state)
				}
				imgs = append(imgs, keyimage.Image{Ref: in.Path, SeriesInstanceUID: se.SeriesUID, SOPInstanceUID: in.SOPInstanceUID,
					Modality: se.Modality, BodyPart: se.BodyPartExamined, SeriesNumber: se.SeriesNumber,
					InstanceNumber: in.InstanceNumber, Frames: in.NumberOfFrames})
			}
			if next == "" || len(imgs) >= maxStudyInstances {
				break
			}
			cursor = next
		}
	}
	return imgs, facts, nil
}

// draft runs one draft job: key images from the index, rendered with
// their modality and VOI LUTs, the prompt for their modality and body
// part, the model at background priority, then the report and the job's
// completion in one store transaction.
func (q *Queue) draft(ctx context.Context, j store.Job) (store.Report, error) {
	start := time.Now()
	imgs, _, err := q.studyImages(j.StudyUID)
	if errors.Is(err, store.ErrNotFound) {
		return store.Report{}, permanent(fmt.Errorf("jobs: study %s: %w", j.StudyUID, err))
	}
	if err != nil {
		return store.Report{}, fmt.Errorf("jobs: study %s: %w", j.StudyUID, err)
	}
	keys := keyimage.Select(imgs, keyimage.Options{MaxImages: q.cfg.KeyImages, Slices: q.cfg.KeyImages})
	if len(keys) == 0 {
		return store.Report{}, permanent(fmt.Errorf("jobs: study %s has no image to draft from", j.StudyUID))
	}
	prov := &store.Provenance{MaxTokens: q.cfg.MaxTokens, Temperature: q.cfg.Temperature, Seed: q.cfg.Seed,
		MaxPixels: q.cfg.MaxPixels, JobID: j.ID, Trigger: j.Trigger, SOPInstanceUIDs: []string{}, Frames: []int{}}
	rendered := make([]image.Image, 0, len(keys))
	var modalities []string
	bodyPart := ""
	maxSize := max(q.cfg.RenderMaxSize, 0)
	for _, k := range keys {
		img, err := pixel.RenderFile(k.Ref, pixel.Options{Frame: k.Frame, MaxSize: maxSize})
		if err != nil {
			// A file that cannot be rendered now will not render later.
			return store.Report{}, permanent(fmt.Errorf("jobs: render %s frame %d: %w", k.SOPInstanceUID, k.Frame, err))
		}
		rendered = append(rendered, img)
		prov.SOPInstanceUIDs = append(prov.SOPInstanceUIDs, k.SOPInstanceUID)
		prov.Frames = append(prov.Frames, k.Frame)
		if k.Modality != "" && !slices.Contains(modalities, k.Modality) {
			modalities = append(modalities, k.Modality)
		}
		bodyPart = cmp.Or(bodyPart, k.BodyPart)
	}
	renderMS := msSince(start)
	prov.PromptVersion, prov.Prompt, err = q.cfg.buildPrompt(modalities, bodyPart, len(rendered))
	if err != nil {
		return store.Report{}, permanent(err)
	}
	res, err := q.eng.Do(ctx, infer.Request{Priority: infer.Background, Images: rendered, Question: prov.Prompt,
		MaxTokens: q.cfg.MaxTokens, Temperature: q.cfg.Temperature, Seed: q.cfg.Seed, MaxPixels: q.cfg.MaxPixels},
		func(infer.Token) error { return nil }) // the draft is stored whole; partial text is not shown
	var reqErr *infer.RequestError
	if errors.As(err, &reqErr) && reqErr.Code == infer.CodeContext {
		return store.Report{}, permanent(fmt.Errorf("jobs: infer: %w (lower drafts.key_images or drafts.max_pixels)", err))
	}
	if err != nil {
		return store.Report{}, fmt.Errorf("jobs: infer: %w", err)
	}
	prov.ModelHash, prov.ModelPath, prov.Backend = res.ModelHash, res.ModelPath, res.Backend
	prov.TimingsMS = map[string]float64{}
	maps.Copy(prov.TimingsMS, res.TimingsMS)
	prov.TimingsMS["render"] = renderMS
	prov.TimingsMS["job_total"] = msSince(start)
	return q.st.CompleteDraftJob(j.ID, store.Report{StudyUID: j.StudyUID, Kind: store.ReportAIDraft, Author: "ai",
		Text: res.Text, Provenance: prov})
}

func msSince(t time.Time) float64 {
	return math.Round(float64(time.Since(t).Microseconds())) / 1000
}
