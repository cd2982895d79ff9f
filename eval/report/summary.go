package report

import (
	"fmt"
	"maps"
	"path/filepath"
	"sort"
	"strings"

	"github.com/lingshu-edge/lingshu/eval/datasets"
	"github.com/lingshu-edge/lingshu/eval/harness"
	"github.com/lingshu-edge/lingshu/eval/metrics"
	"github.com/lingshu-edge/lingshu/eval/scoring"
)

// Run is one evaluation run read back from its folder.
type Run struct {
	Dir      string            `json:"dir"`
	Manifest *harness.Manifest `json:"manifest"`
	Results  []harness.Result  `json:"-"`
	Datasets []DatasetSummary  `json:"datasets"`
	// AnswerMS sums the generation time of every answer in the results,
	// cached ones included (their time when they were computed): the cost
	// of the whole evaluation across interrupted and resumed invocations.
	AnswerMS float64 `json:"answer_ms"`
}

// Load reads dir/manifest.json and dir/results.jsonl and summarises them.
func Load(dir string, opt Options) (*Run, error) {
	m, err := harness.ReadManifest(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	rs, err := harness.ReadResults(filepath.Join(dir, "results.jsonl"))
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	r := &Run{Dir: dir, Manifest: m, Results: rs}
	for _, x := range rs {
		r.AnswerMS += x.MS
	}
	r.Datasets = Summarize(rs, m, opt)
	return r, nil
}

// Options of the statistics.
type Options struct {
	Seed                uint64  // bootstrap seed
	Iters               int     // bootstrap resamples (default 1000)
	RegressionThreshold float64 // flag B below A by more than this (absolute, 0.02 = 2 points)
}

func (o Options) iters() int {
	if o.Iters <= 0 {
		return 1000
	}
	return o.Iters
}

// Acc is an accuracy with its bootstrap interval.
type Acc struct {
	N       int        `json:"n"`
	Correct int        `json:"correct"`
	Acc     float64    `json:"acc"`
	CI      [2]float64 `json:"ci95"`
	// Compat is MedEvalKit's rule (judge_multi_choice, judge_judgement,
	// judge_close_end_vqa, open exact match), for comparing with papers.
	Compat float64 `json:"acc_medevalkit"`
}

// Group is the accuracy of one value of a tag.
type Group struct {
	Value string  `json:"value"`
	N     int     `json:"n"`
	Acc   float64 `json:"acc"`
}

// Confusion counts reference answers (rows) against what was read from the
// responses (columns) for yes/no or multiple-choice questions.
type Confusion struct {
	Kind   string   `json:"kind"`
	Labels []string `json:"labels"`  // row labels (reference)
	Cols   []string `json:"columns"` // column labels (read): labels + unreadable
	Counts [][]int  `json:"counts"`
}

// OpenScores average the open-answer overlap scores.
type OpenScores struct {
	N      int     `json:"n"`
	EM     float64 `json:"exact_match"`
	F1     float64 `json:"token_f1"`
	BLEU1  float64 `json:"bleu1"`
	RougeL float64 `json:"rouge_l"`
	Judged int     `json:"judged"`
	// JudgeErrors: replies the judge gave that could not be read; those
	// answers keep their exact-match verdict.
	JudgeErrors int `json:"judge_errors"`
}

// ReportScores are the report-generation metrics of a dataset.
type ReportScores struct {
	Metrics    metrics.Report    `json:"metrics"`
	RougeLCI   [2]float64        `json:"rouge_l_ci95"`
	Words      []int             `json:"words"`     // generated report lengths
	RefWords   []int             `json:"ref_words"` // reference lengths
	ModelBased map[string]string `json:"model_based"`
	// GREEN is the mean GREEN score over the GREENN reports a judge graded.
	GREEN  *float64 `json:"green,omitempty"`
	GREENN int      `json:"green_n"`
}

// DatasetSummary is everything the report shows for one dataset.
type DatasetSummary struct {
	Name       string             `json:"name"`
	N          int                `json:"n"`
	Failed     int                `json:"failed"`
	Score      float64            `json:"score"`  // accuracy over questions, or ROUGE-L for reports
	Metric     string             `json:"metric"` // "accuracy" | "rouge_l"
	Accuracy   *Acc               `json:"accuracy,omitempty"`
	ByKind     map[string]Acc     `json:"by_kind,omitempty"`
	ByTag      map[string][]Group `json:"by_tag,omitempty"`
	Confusions []Confusion        `json:"confusions,omitempty"`
	Open       *OpenScores        `json:"open,omitempty"`
	Report     *ReportScores      `json:"report,omitempty"`
	Examples   []Example          `json:"examples,omitempty"`
}

// Example is one sample shown in the report, so a reader sees what the
// model actually wrote.
type Example struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	Question string `json:"question"`
	Answer   string `json:"answer"`
	Response string `json:"response"`
	Verdict  string `json:"verdict"` // right | wrong | failed | "" (reports)
}

// maxExamples samples are shown per dataset; long texts are cut.
const maxExamples, maxExampleText = 6, 300

func cut(s string) string {
	r := []rune(s)
	if len(r) > maxExampleText {
		return string(r[:maxExampleText]) + "…"
	}
	return s
}

func example(r harness.Result) Example {
	e := Example{ID: r.ID, Kind: string(r.Kind), Question: cut(r.Question), Answer: cut(r.Answer), Response: cut(r.Response)}
	switch {
	case r.Error != "":
		e.Verdict, e.Response = "failed", cut(r.Error)
	case r.Score.Correct != nil && *r.Score.Correct:
		e.Verdict = "right"
	case r.Score.Correct != nil:
		e.Verdict = "wrong"
	}
	return e
}

// Summarize groups results by dataset, in the manifest's order.
func Summarize(rs []harness.Result, m *harness.Manifest, opt Options) []DatasetSummary {
	by := map[string][]harness.Result{}
	var order []string
	for _, d := range m.Datasets {
		order = append(order, d.Name)
	}
	for _, r := range rs {
		if _, ok := by[r.Dataset]; !ok && !contains(order, r.Dataset) {
			order = append(order, r.Dataset)
		}
		by[r.Dataset] = append(by[r.Dataset], r)
	}
	var out []DatasetSummary
	for i, name := range order {
		if len(by[name]) == 0 {
			continue
		}
		out = append(out, summarizeDataset(name, by[name], m, opt, uint64(i)))
	}
	return out
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func summarizeDataset(name string, rs []harness.Result, m *harness.Manifest, opt Options, salt uint64) DatasetSummary {
	d := DatasetSummary{Name: name, N: len(rs)}
	var correct, compat []float64
	kinds := map[string][2][]float64{}
	tagAcc := map[string]map[string][]float64{}
	var open OpenScores
	var pairs []metrics.Pair
	var rep ReportScores
	var rouge, green []float64
	greenErrors := 0
	conf := map[string]*confusionPairs{}
	for i, r := range rs {
		if i < maxExamples {
			d.Examples = append(d.Examples, example(r))
		}
		if r.Error != "" {
			d.Failed++
		}
		s := r.Score
		if r.Kind == datasets.Report {
			if r.Error == "" {
				pairs = append(pairs, metrics.Pair{Hypothesis: r.Response, References: []string{r.Answer}})
				rep.Words, rep.RefWords = append(rep.Words, s.Words), append(rep.RefWords, s.RefWords)
				if s.RougeL != nil {
					rouge = append(rouge, *s.RougeL)
				}
				if s.GREEN != nil {
					green = append(green, *s.GREEN)
				} else if strings.HasPrefix(s.Judge, "error") {
					greenErrors++
				}
			}
			continue
		}
		ok := s.Correct != nil && *s.Correct // a failed sample counts as wrong
		okc := s.CorrectCompat != nil && *s.CorrectCompat
		correct, compat = append(correct, b2f(ok)), append(compat, b2f(okc))
		k := kinds[string(r.Kind)]
		kinds[string(r.Kind)] = [2][]float64{append(k[0], b2f(ok)), append(k[1], b2f(okc))}
		for tk, tv := range r.Tags {
			if tagAcc[tk] == nil {
				tagAcc[tk] = map[string][]float64{}
			}
			tagAcc[tk][tv] = append(tagAcc[tk][tv], b2f(ok))
		}
		if r.Kind == datasets.Open && r.Error == "" {
			open.N++
			open.EM += b2f(s.EM != nil && *s.EM)
			open.F1 += deref(s.F1)
			open.BLEU1 += deref(s.BLEU1)
			open.RougeL += deref(s.RougeL)
			switch {
			case s.Judge == "correct" || s.Judge == "incorrect":
				open.Judged++
			case s.Judge != "":
				open.JudgeErrors++
			}
		}
		addConfusion(conf, r)
	}
	if len(correct) > 0 {
		a := accOf(correct, compat, opt, salt)
		d.Accuracy, d.Score, d.Metric = &a, a.Acc, "accuracy"
		d.ByKind = map[string]Acc{}
		for k, v := range kinds {
			d.ByKind[k] = accOf(v[0], v[1], opt, salt+1)
		}
		d.ByTag = groups(tagAcc)
	}
	if open.N > 0 {
		n := float64(open.N)
		open.EM, open.F1, open.BLEU1, open.RougeL = open.EM/n, open.F1/n, open.BLEU1/n, open.RougeL/n
		d.Open = &open
	}
	for _, k := range []string{"yesno", "mc", "closed"} {
		if c := conf[k]; c != nil {
			d.Confusions = append(d.Confusions, c.matrix(k))
		}
	}
	if len(pairs) > 0 {
		if mr, err := metrics.Evaluate(pairs); err == nil {
			rep.Metrics = mr
		}
		rep.RougeLCI = BootstrapCI(rouge, opt.iters(), opt.Seed+salt)
		rep.ModelBased = maps.Clone(m.ReportMetrics)
		switch {
		case greenErrors > 0 && len(green) == 0:
			rep.ModelBased["GREEN"] = fmt.Sprintf("not computed: none of the %d judge replies could be read (%s)", greenErrors, rep.ModelBased["GREEN"])
		case greenErrors > 0:
			rep.ModelBased["GREEN"] = fmt.Sprintf("%s; %d of %d judge replies could not be read and are left out",
				rep.ModelBased["GREEN"], greenErrors, len(pairs))
		}
		if len(green) > 0 {
			g := mean(green)
			rep.GREEN, rep.GREENN = &g, len(green)
		}
		d.Report = &rep
		if d.Accuracy == nil {
			d.Score, d.Metric = rep.Metrics.RougeL, "rouge_l"
		}
	}
	return d
}

func deref(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

func accOf(c, compat []float64, opt Options, salt uint64) Acc {
	a := Acc{N: len(c), Acc: mean(c), Compat: mean(compat), CI: BootstrapCI(c, opt.iters(), opt.Seed+salt)}
	for _, x := range c {
		a.Correct += int(x)
	}
	return a
}

func groups(tagAcc map[string]map[string][]float64) map[string][]Group {
	out := map[string][]Group{}
	for tk, vals := range tagAcc {
		if len(vals) < 2 { // a tag with one value breaks nothing down
			continue
		}
		var gs []Group
		for v, xs := range vals {
			gs = append(gs, Group{Value: v, N: len(xs), Acc: mean(xs)})
		}
		sort.Slice(gs, func(i, j int) bool { return gs[i].N > gs[j].N || (gs[i].N == gs[j].N && gs[i].Value < gs[j].Value) })
		out[tk] = gs
	}
	return out
}

// confusionPairs collects (reference, read) pairs of yes/no and
// multiple-choice questions and the widest option list seen.
type confusionPairs struct {
	labels []string
	pairs  [][2]string
}

func addConfusion(conf map[string]*confusionPairs, r harness.Result) {
	var labels []string
	switch r.Kind {
	case datasets.YesNo:
		labels = []string{"yes", "no"}
	case datasets.MultiChoice:
		for i := range r.Options {
			labels = append(labels, string(rune('A'+i)))
		}
	case datasets.Closed: // labels: the distinct reference answers, up to maxClosedLabels
	default:
		return
	}
	c := conf[string(r.Kind)]
	if c == nil {
		c = &confusionPairs{}
		conf[string(r.Kind)] = c
	}
	answer := r.Answer
	if r.Kind == datasets.Closed {
		answer = scoring.NormalizeAnswer(r.Answer)
		if index(c.labels, answer) < 0 && len(c.labels) < maxClosedLabels {
			c.labels = append(c.labels, answer)
		}
	} else if len(labels) > len(c.labels) {
		c.labels = labels
	}
	c.pairs = append(c.pairs, [2]string{answer, r.Score.Extracted})
}

// maxClosedLabels bounds the rows of a closed-answer confusion matrix.
const maxClosedLabels = 8

// matrix counts references (rows) against reads (columns, the labels then
// "other" for anything unreadable or ambiguous).
func (c *confusionPairs) matrix(kind string) Confusion {
	m := Confusion{Kind: kind, Labels: c.labels, Cols: append(append([]string{}, c.labels...), "other")}
	m.Counts = make([][]int, len(c.labels))
	for i := range m.Counts {
		m.Counts[i] = make([]int, len(m.Cols))
	}
	for _, p := range c.pairs {
		row, col := index(c.labels, p[0]), index(c.labels, p[1])
		if row < 0 {
			continue
		}
		if col < 0 {
			col = len(m.Cols) - 1
		}
		m.Counts[row][col]++
	}
	return m
}

func index(xs []string, s string) int {
	for i, x := range xs {
		if x == s {
			return i
		}
	}
	return -1
}
