package harness

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestOpenAIJudge_AgainstLocalServer(t *testing.T) {
	var got struct {
		Model    string `json:"model"`
		Messages []struct{ Role, Content string }
		Temp     float64 `json:"temperature"`
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "Bearer k" {
			http.Error(w, "bad request line", http.StatusBadRequest)
			return
		}
		json.NewDecoder(r.Body).Decode(&got)
		w.Write([]byte(`{"choices":[{"message":{"role":"assistant","content":"<think>same</think>\n<judge>0</judge>"}}]}`))
	}))
	defer srv.Close()
	j, err := NewOpenAIJudge(srv.URL+"/v1/", "judge-7b", "k")
	if err != nil {
		t.Fatal(err)
	}
	ok, raw, err := Verdict(context.Background(), j, "Where?", "left lobe", "the left")
	if err != nil || !ok || !strings.Contains(raw, "<judge>0</judge>") {
		t.Fatalf("verdict %v %q %v", ok, raw, err)
	}
	if got.Model != "judge-7b" || got.Temp != 0 || len(got.Messages) != 1 ||
		!strings.Contains(got.Messages[0].Content, "The standard answer: left lobe\nThe user's answer: the left\n") {
		t.Errorf("request %+v", got)
	}
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "overloaded", 503) })
	if _, _, err := Verdict(context.Background(), j, "q", "a", "b"); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("error %v", err)
	}
}

func TestParseGREEN(t *testing.T) {
	reply := "[Explanation]:\nThe candidate misses the effusion.\n\n[Clinically Significant Errors]:\n(a) False report of a finding in the candidate: 0.\n(b) Missing a finding present in the reference: 1. Right pleural effusion.\n(c) Misidentification of a finding's anatomic location/position: 0.\n(d) Misassessment of the severity of a finding: 1. Nodule size.\n(e) Mentioning a comparison that isn't in the reference: 0.\n(f) Omitting a comparison detailing a change from a prior study: 0.\n\n[Clinically Insignificant Errors]:\n(a) False report of a finding in the candidate: 3. x; y; z.\n\n[Matched Findings]:\n2. Nodule; normal heart.\n"
	s, sig, matched, err := ParseGREEN(reply)
	if err != nil || matched != 2 || sig != [6]int{0, 1, 0, 1, 0, 0} || s != 0.5 {
		t.Fatalf("ParseGREEN: %v %v %d %v", s, sig, matched, err)
	}
	if s, _, _, err := ParseGREEN("[Clinically Significant Errors]:\n(1) x: 4.\n\n[Matched Findings]:\n0.\n"); err != nil || s != 0 {
		t.Errorf("no matched findings: %v %v", s, err)
	}
	if _, _, _, err := ParseGREEN("The report looks fine."); err == nil {
		t.Error("a reply without the GREEN headings was scored")
	}
	if p := GREENPrompt("REF", "CAND"); !strings.Contains(p, "2. Reference Report:\n    REF\n") || !strings.Contains(p, "3. Candidate Report:\n    CAND\n") {
		t.Errorf("prompt layout:\n%s", p)
	}
}
