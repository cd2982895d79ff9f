package harness

import (
	"context"
	"image"

	"github.com/lingshu-edge/lingshu/model"
	"github.com/lingshu-edge/lingshu/model/vlm"
)

// VLM answers with a loaded Qwen2.5-VL model in this process.
type VLM struct {
	M        *vlm.Model
	Settings Settings
}

// Generate asks the model: greedy unless Settings.Temperature > 0 (then
// seeded sampling); images laid out as MedEvalKit does (vlm.Messages).
func (g VLM) Generate(ctx context.Context, images []image.Image, prompt string) (Output, error) {
	opts := vlm.Options{MaxTokens: g.Settings.MaxTokens, Context: g.Settings.Context, MaxPixels: g.Settings.MaxPixels,
		Sampler: model.SamplerOptions{Temperature: g.Settings.Temperature, Seed: g.Settings.Seed}}
	res, err := g.M.Ask(ctx, images, prompt, opts)
	if err != nil {
		return Output{}, err
	}
	return Output{Text: res.Text, Tokens: len(res.IDs), PromptTokens: res.PromptTokens, Stop: res.Stop}, nil
}
