package qwen25vl

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/lingshu-edge/lingshu/kernels/cpu"
	"github.com/lingshu-edge/lingshu/model/weights"
)

// goldenPrompt is one prompts[] entry of qwen25vl-tiny/expected.json.
type goldenPrompt struct {
	Name            string       `json:"name"`
	ImageFiles      []string     `json:"image_files"`
	IDsBefore       []int        `json:"ids_before_expansion"`
	IDs             []int        `json:"ids"`
	PositionIDs     [3][]int32   `json:"position_ids"`
	RopeDelta       int          `json:"rope_delta"`
	NextPosition    int          `json:"next_position"`
	LastTop20       [][2]float64 `json:"last_top20"`
	LastFixedLogits []float64    `json:"last_fixed_logits"`
	Greedy          struct {
		IDs   []int `json:"ids"`
		Steps []struct {
			Top5          [][2]float64 `json:"top5"`
			Top1MinusTop2 float64      `json:"top1_minus_top2"`
		} `json:"steps"`
	} `json:"greedy"`
}

type goldenPrompts struct {
	FixedIDs []int          `json:"fixed_ids"`
	Prompts  []goldenPrompt `json:"prompts"`
}

func TestGolden_Decoder(t *testing.T) {
	dir := goldenVLDir(t)
	var g goldenPrompts
	loadJSON(t, dir, &g)
	if len(g.Prompts) == 0 {
		t.Fatal("no prompts in expected.json")
	}
	pc, err := LoadPreprocessConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	ck, err := weights.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	be := cpu.New(2)
	defer be.Close()
	m, err := Load(ck, be)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range g.Prompts {
		t.Run(p.Name, func(t *testing.T) {
			var images []*Image
			var tokens []int
			var grids [][3]int
			for _, f := range p.ImageFiles {
				im := preprocessFile(t, dir, f, pc)
				images, tokens, grids = append(images, im), append(tokens, im.Tokens()), append(grids, im.Grid)
			}
			ids, err := ExpandImagePads(p.IDsBefore, m.ImageTokenID, tokens)
			if err != nil || !slices.Equal(ids, p.IDs) {
				t.Fatalf("expanded ids differ (%v)", err)
			}
			pos, delta, err := RopeIndex(ids, m.ImageTokenID, grids, 2)
			if err != nil {
				t.Fatal(err)
			}
			for a := range pos {
				if !slices.Equal(pos[a], p.PositionIDs[a]) {
					t.Errorf("position ids axis %d differ", a)
				}
			}
			if delta != p.RopeDelta || len(ids)+delta != p.NextPosition {
				t.Errorf("rope delta %d, want %d (next %d)", delta, p.RopeDelta, p.NextPosition)
			}
			s, err := m.NewSession(len(ids) + len(p.Greedy.IDs))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			lg, err := s.Prefill(ctx, ids, images)
			if err != nil {
				t.Fatal(err)
			}
			if s.NextPosition() != p.NextPosition {
				t.Errorf("next position %d, want %d", s.NextPosition(), p.NextPosition)
			}
			d := maxAbs{t: t, what: "last logits", tol: 1e-3}
			for i, id := range g.FixedIDs {
				d.check(id, lg[id], p.LastFixedLogits[i])
			}
			for _, e := range p.LastTop20 {
				d.check(int(e[0]), lg[int(e[0])], e[1])
			}
			t.Logf("last logits max |Δ| %.3g (50 fixed ids + top 20)", d.max)
			sd := maxAbs{t: t, what: "greedy step logits", tol: 1e-3}
			for j, want := range p.Greedy.IDs {
				for _, e := range p.Greedy.Steps[j].Top5 {
					sd.check(int(e[0]), lg[int(e[0])], e[1])
				}
				got := argmax(lg)
				if got != want {
					if p.Greedy.Steps[j].Top1MinusTop2 >= 2e-3 {
						t.Fatalf("greedy step %d: %d, want %d", j, got, want)
					}
					t.Logf("greedy step %d flipped on a margin of %g", j, p.Greedy.Steps[j].Top1MinusTop2)
				}
				if j+1 < len(p.Greedy.IDs) {
					if lg, err = s.Step(ctx, want); err != nil {
						t.Fatal(err)
					}
				}
			}
			t.Logf("greedy: %d ids identical; step top-5 logits max |Δ| %.3g", len(p.Greedy.IDs), sd.max)
		})
	}
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] || (math.IsNaN(float64(v[best])) && !math.IsNaN(float64(x))) {
			best = i
		}
	}
	return best
}

func TestRopeIndex(t *testing.T) {
	// text, a 4×6-patch image (2×3 merged), text.
	ids := []int{1, 2, 9, 9, 9, 9, 9, 9, 3}
	pos, delta, err := RopeIndex(ids, 9, [][3]int{{1, 4, 6}}, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := Positions{
		{0, 1, 2, 2, 2, 2, 2, 2, 5},
		{0, 1, 2, 2, 2, 3, 3, 3, 5},
		{0, 1, 2, 3, 4, 2, 3, 4, 5},
	}
	for a := range pos {
		if !slices.Equal(pos[a], want[a]) {
			t.Errorf("axis %d: %v, want %v", a, pos[a], want[a])
		}
	}
	if delta != 6-9 {
		t.Errorf("delta %d", delta)
	}
	if _, _, err := RopeIndex(ids[:5], 9, [][3]int{{1, 4, 6}}, 2); err == nil {
		t.Error("short image run accepted")
	}
	if _, _, err := RopeIndex(ids, 9, nil, 2); err == nil {
		t.Error("image without grid accepted")
	}
	got, err := ExpandImagePads([]int{1, 9, 2, 9}, 9, []int{2, 3})
	if err != nil || !slices.Equal(got, []int{1, 9, 9, 2, 9, 9, 9}) {
		t.Errorf("expand: %v %v", got, err)
	}
	if _, err := ExpandImagePads([]int{1, 9}, 9, []int{2, 3}); err == nil {
		t.Error("missing pad accepted")
	}
}
