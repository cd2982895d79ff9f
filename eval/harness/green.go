package harness

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"
)

// GREEN (Ostmeier et al., 2024, Stanford-AIMI/GREEN) scores a generated
// report by asking a judge model to list clinically significant errors of
// six kinds and the findings both reports share; the score is
// matched / (matched + significant errors), 0 when nothing matches. The
// metric was trained for GREEN-RadLlama2-7b; any local judge can be given
// the same prompt, and the manifest names the judge used.

// GREENPrompt is the GREEN evaluation prompt with the reference and the
// candidate report.
func GREENPrompt(reference, candidate string) string {
	const ind = "\n    "
	return "Objective: Evaluate the accuracy of a candidate radiology report in comparison to a reference radiology report composed by expert radiologists.\n" +
		ind + "Process Overview: You will be presented with:\n" +
		ind + "1. The criteria for making a judgment." + ind + "2. The reference radiology report." + ind + "3. The candidate radiology report." + ind + "4. The desired format for your assessment.\n" +
		ind + "1. Criteria for Judgment:\n" +
		ind + "For each candidate report, determine:\n" +
		ind + "The count of clinically significant errors." + ind + "The count of clinically insignificant errors.\n" +
		ind + "Errors can fall into one of these categories:\n" +
		ind + "a) False report of a finding in the candidate." +
		ind + "b) Missing a finding present in the reference." +
		ind + "c) Misidentification of a finding's anatomic location/position." +
		ind + "d) Misassessment of the severity of a finding." +
		ind + "e) Mentioning a comparison that isn't in the reference." +
		ind + "f) Omitting a comparison detailing a change from a prior study." +
		ind + "Note: Concentrate on the clinical findings rather than the report's writing style. Evaluate only the findings that appear in both reports.\n" +
		ind + "2. Reference Report:" + ind + reference + "\n" +
		ind + "3. Candidate Report:" + ind + candidate + "\n" +
		ind + "4. Reporting Your Assessment:\n" +
		ind + "Follow this specific format for your output, even if no errors are found:" +
		ind + "```" + ind + "[Explanation]:" + ind + "<Explanation>\n" +
		ind + "[Clinically Significant Errors]:" +
		ind + "(a) <Error Type>: <The number of errors>. <Error 1>; <Error 2>; ...; <Error n>" + ind + "...." +
		ind + "(f) <Error Type>: <The number of errors>. <Error 1>; <Error 2>; ...; <Error n>\n" +
		ind + "[Clinically Insignificant Errors]:" +
		ind + "(a) <Error Type>: <The number of errors>. <Error 1>; <Error 2>; ...; <Error n>" + ind + "...." +
		ind + "(f) <Error Type>: <The number of errors>. <Error 1>; <Error 2>; ...; <Error n>\n" +
		ind + "[Matched Findings]:" + ind + "<The number of matched findings>. <Finding 1>; <Finding 2>; ...; <Finding n>" + ind + "```\n"
}

var (
	greenSubRE   = regexp.MustCompile(`(?m)^\s*\(([a-f1-6])\)[^\n]*?:\s*(\d+)\.`)
	greenFirstRE = regexp.MustCompile(`\d+`)
)

// greenSection returns the text after "[name]:" up to the next blank line
// or the end, and whether the heading is there.
func greenSection(text, name string) (string, bool) {
	i := strings.Index(text, "["+name+"]:")
	if i < 0 {
		return "", false
	}
	rest := strings.TrimLeft(text[i+len(name)+3:], " \t\r\n")
	if j := strings.Index(rest, "\n\n"); j >= 0 {
		rest = rest[:j]
	}
	return rest, true
}

// ParseGREEN reads a judge's GREEN reply: the six significant-error counts
// and the matched-findings count. Unlike the reference code, a reply
// without both headings is an error, not a score of 1 or 0.
func ParseGREEN(reply string) (score float64, significant [6]int, matched int, err error) {
	sig, ok1 := greenSection(reply, "Clinically Significant Errors")
	mf, ok2 := greenSection(reply, "Matched Findings")
	if !ok1 || !ok2 {
		return 0, significant, 0, errors.New("harness: green: reply lacks [Clinically Significant Errors] or [Matched Findings]")
	}
	if m := greenFirstRE.FindString(mf); m != "" {
		matched, _ = strconv.Atoi(m)
	}
	total := 0
	for _, m := range greenSubRE.FindAllStringSubmatch(sig, -1) {
		k := strings.IndexByte("abcdef", m[1][0])
		if k < 0 {
			k = int(m[1][0] - '1')
		}
		n, _ := strconv.Atoi(m[2])
		if significant[k] == 0 {
			significant[k] = n
			total += n
		}
	}
	if matched == 0 {
		return 0, significant, 0, nil
	}
	return float64(matched) / float64(matched+total), significant, matched, nil
}

// GREEN asks j to grade candidate against reference.
func GREEN(ctx context.Context, j Judge, reference, candidate string) (float64, string, error) {
	raw, err := j.Complete(ctx, GREENPrompt(reference, candidate))
	if err != nil {
		return 0, "", err
	}
	s, _, _, err := ParseGREEN(raw)
	return s, raw, err
}
