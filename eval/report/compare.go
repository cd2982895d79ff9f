package report

import (
	"github.com/lingshu-edge/lingshu/eval/datasets"
	"github.com/lingshu-edge/lingshu/eval/harness"
)

// Comparison is one metric of one dataset in run B against baseline run A,
// over the samples both runs answered (paired by dataset and sample id).
type Comparison struct {
	Dataset string     `json:"dataset"`
	Metric  string     `json:"metric"` // accuracy | rouge_l
	Paired  int        `json:"paired"`
	A       float64    `json:"a"`
	B       float64    `json:"b"`
	Diff    float64    `json:"diff"`      // B - A
	DiffCI  [2]float64 `json:"diff_ci95"` // paired bootstrap
	Test    string     `json:"test"`      // mcnemar-exact | sign-test
	P       float64    `json:"p"`
	OnlyA   int        `json:"only_a"` // accuracy: right in A only; rouge: A higher
	OnlyB   int        `json:"only_b"`
	// Regression: B is below A by more than the threshold.
	Regression  bool `json:"regression"`
	Significant bool `json:"significant"` // p < 0.05
}

// Compare pairs the samples of b with those of baseline a.
func Compare(a, b *Run, opt Options) []Comparison {
	type key struct{ ds, id string }
	index := map[key]harness.Result{}
	for _, r := range a.Results {
		index[key{r.Dataset, r.ID}] = r
	}
	type acc struct{ a, b []float64 }
	accs, rouges := map[string]*acc{}, map[string]*acc{}
	var order []string
	for _, rb := range b.Results {
		ra, ok := index[key{rb.Dataset, rb.ID}]
		if !ok || ra.Error != "" || rb.Error != "" {
			continue
		}
		m := accs
		var va, vb float64
		switch {
		case rb.Kind == datasets.Report && ra.Score.RougeL != nil && rb.Score.RougeL != nil:
			m, va, vb = rouges, *ra.Score.RougeL, *rb.Score.RougeL
		case ra.Score.Correct != nil && rb.Score.Correct != nil:
			va, vb = b2f(*ra.Score.Correct), b2f(*rb.Score.Correct)
		default:
			continue
		}
		if accs[rb.Dataset] == nil && rouges[rb.Dataset] == nil {
			order = append(order, rb.Dataset)
		}
		if m[rb.Dataset] == nil {
			m[rb.Dataset] = &acc{}
		}
		m[rb.Dataset].a = append(m[rb.Dataset].a, va)
		m[rb.Dataset].b = append(m[rb.Dataset].b, vb)
	}
	var out []Comparison
	for i, ds := range order {
		if x := accs[ds]; x != nil {
			out = append(out, compareOne(ds, "accuracy", x.a, x.b, opt, uint64(i)))
		}
		if x := rouges[ds]; x != nil {
			out = append(out, compareOne(ds, "rouge_l", x.a, x.b, opt, uint64(i)+100))
		}
	}
	return out
}

func compareOne(ds, metric string, a, b []float64, opt Options, salt uint64) Comparison {
	c := Comparison{Dataset: ds, Metric: metric, Paired: len(a), A: mean(a), B: mean(b)}
	c.Diff = c.B - c.A
	c.DiffCI = PairedBootstrapCI(a, b, opt.iters(), opt.Seed+salt)
	for i := range a {
		switch {
		case a[i] > b[i]:
			c.OnlyA++
		case b[i] > a[i]:
			c.OnlyB++
		}
	}
	if metric == "accuracy" {
		c.Test, c.P = "mcnemar-exact", McNemar(c.OnlyA, c.OnlyB)
	} else {
		c.Test, c.P = "sign-test", SignTest(c.OnlyB, c.OnlyA)
	}
	c.Regression = c.Diff < -opt.RegressionThreshold
	c.Significant = c.P < 0.05
	return c
}
