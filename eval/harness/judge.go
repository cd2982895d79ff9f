package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Judge decides whether an open answer means the same as the reference,
// as MedEvalKit's LLM judge does (get_compare_messages). Only local judges
// exist: the evaluated model itself, or an OpenAI-compatible endpoint the
// hospital runs; there is no default endpoint.
type Judge interface {
	Name() string
	// Complete answers one user turn, greedily.
	Complete(ctx context.Context, prompt string) (string, error)
}

// Verdict asks j whether response means the same as reference (MedEvalKit's
// compare prompt); raw is the judge's reply.
func Verdict(ctx context.Context, j Judge, question, reference, response string) (ok bool, raw string, err error) {
	raw, err = j.Complete(ctx, JudgePrompt(question, reference, response))
	if err != nil {
		return false, "", err
	}
	ok, err = ParseVerdict(raw)
	return ok, raw, err
}

// JudgePrompt is MedEvalKit's get_compare_messages prompt.
func JudgePrompt(question, reference, response string) string {
	return "\nYour task is to determine whether the user's answer is correct based on the provided questions and standard answers (for example, if the user expresses a similar meaning to the standard answer, or another interpretation of the standard answer, it is considered correct.)\n" +
		"The question is: " + question + "\n" +
		"The standard answer: " + reference + "\n" +
		"The user's answer: " + response + "\n" +
		"Please strictly follow the following format for output(0 represents correct, 1 represents incorrect):\n" +
		"<think>{your concise think step}</think>\n" +
		"<judge>{0/1}</judge>\n" +
		"for example:\n" +
		"<think>The standard answer is right, and the user's answer is right frontal lobe, they express the same meaning, so it is correct.</think>\n" +
		"<judge>0</judge>\n    "
}

// ParseVerdict reads <judge>0</judge> (correct) or <judge>1</judge>;
// anything else is an error, never a guess.
func ParseVerdict(text string) (bool, error) {
	i := strings.LastIndex(text, "<judge>")
	if i < 0 {
		return false, errors.New("harness: judge: no <judge> tag in the reply")
	}
	rest := text[i+len("<judge>"):]
	j := strings.Index(rest, "</judge>")
	if j < 0 {
		return false, errors.New("harness: judge: unterminated <judge> tag")
	}
	switch strings.TrimSpace(rest[:j]) {
	case "0":
		return true, nil
	case "1":
		return false, nil
	}
	return false, fmt.Errorf("harness: judge: verdict %q is neither 0 nor 1", strings.TrimSpace(rest[:j]))
}

// GeneratorJudge asks a loaded model (text only, greedy).
type GeneratorJudge struct {
	Gen   Generator
	Label string // e.g. "self:<model hash prefix>"
}

func (g GeneratorJudge) Name() string { return g.Label }

func (g GeneratorJudge) Complete(ctx context.Context, prompt string) (string, error) {
	out, err := g.Gen.Generate(ctx, nil, prompt)
	return out.Text, err
}

// OpenAIJudge calls POST {BaseURL}/chat/completions of an OpenAI-compatible
// server (vLLM, llama.cpp server, Ollama) on the hospital network.
type OpenAIJudge struct {
	BaseURL string // e.g. http://10.0.0.5:8000/v1
	Model   string
	APIKey  string // optional
	Client  *http.Client
}

// NewOpenAIJudge checks the URL: http or https with a host; no default.
func NewOpenAIJudge(baseURL, model, apiKey string) (*OpenAIJudge, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("harness: judge url %q: want http(s)://host[:port]/v1", baseURL)
	}
	if model == "" {
		return nil, errors.New("harness: judge: a model name is required")
	}
	return &OpenAIJudge{BaseURL: strings.TrimRight(baseURL, "/"), Model: model, APIKey: apiKey,
		Client: &http.Client{Timeout: 3 * time.Minute}}, nil
}

func (j *OpenAIJudge) Name() string { return "openai:" + j.Model + "@" + j.BaseURL }

func (j *OpenAIJudge) Complete(ctx context.Context, prompt string) (string, error) {
	body, _ := json.Marshal(map[string]any{
		"model":       j.Model,
		"messages":    []map[string]string{{"role": "user", "content": prompt}},
		"temperature": 0,
		"max_tokens":  1024,
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.BaseURL+"/chat/completions", bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("harness: judge: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if j.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+j.APIKey)
	}
	res, err := j.Client.Do(req)
	if err != nil {
		return "", fmt.Errorf("harness: judge: %w", err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if err != nil {
		return "", fmt.Errorf("harness: judge: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("harness: judge: %s: %.200s", res.Status, data)
	}
	var out struct {
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(data, &out); err != nil || len(out.Choices) == 0 {
		return "", fmt.Errorf("harness: judge: unexpected reply %.200s", data)
	}
	return out.Choices[0].Message.Content, nil
}
