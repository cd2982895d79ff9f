package datasets

import "strings"

// PromptVersion names the prompt wording below; it is part of every cache
// key, so a change here must bump it.
const PromptVersion = "medevalkit-2025.1"

// The prompt builders reproduce MedEvalKit's utils/question_formats.py
// wording character for character (leading newline and the trailing space
// after "Options:" included), because Lingshu's published numbers were
// measured with it.

// MultiChoicePrompt is get_multiple_choice_prompt: options are already
// labelled ("A. text") and joined one per line.
func MultiChoicePrompt(question string, options []string, reasoning bool, lang string) string {
	opts := strings.Join(options, "\n")
	if lang == "zh" {
		p := "\n问题： " + question + "\n选项： \n" + opts
		if reasoning {
			return p + "\n" + `请直接使用给定选项中的选项字母来回答该问题,并将答案包裹在"\boxed{}"里`
		}
		return p + "\n" + "请直接使用给定选项中的选项字母来回答该问题。"
	}
	p := "\nQuestion: " + question + "\nOptions: \n" + opts
	if reasoning {
		return p + "\n" + `Answer with the option's letter from the given choices and put the letter in one "\boxed{}".`
	}
	return p + "\n" + "Answer with the option's letter from the given choices directly."
}

// YesNoPrompt is get_judgement_prompt.
func YesNoPrompt(question string, reasoning bool, lang string) string {
	switch {
	case lang == "zh" && reasoning:
		return question + "\n" + "请输出'是'或'否'，并将答案放在一个'\\boxed{}'中。"
	case lang == "zh":
		return question + "\n" + "请输出'是'或'否'(不要有任何其它输出)。"
	case reasoning:
		return question + "\n" + `Please output "yes" or "no" and put the answer in one "\boxed{}".`
	}
	return question + "\n" + "Please output 'yes' or 'no'(no extra output)."
}

// ClosedPrompt is get_close_ended_prompt.
func ClosedPrompt(question string, reasoning bool, lang string) string {
	switch {
	case lang == "zh" && reasoning:
		return question + "\n" + "请用一个单词或者短语回答该问题，并将答案放在一个'\\boxed{}'中。"
	case lang == "zh":
		return question + "\n" + "请用一个单词或者短语回答该问题。"
	case reasoning:
		return question + "\n" + `Answer the question using a single word or phrase and put the answer in one "\boxed{}".`
	}
	return question + "\n" + "Answer the question using a single word or phrase."
}

// OpenPrompt is get_open_ended_prompt.
func OpenPrompt(question string, reasoning bool, lang string) string {
	switch {
	case lang == "zh" && reasoning:
		return question + "\n" + "请简要回答该问题，并将答案放在一个'\\boxed{}'中。"
	case lang == "zh":
		return question + "\n" + "请简要回答该问题。"
	case reasoning:
		return question + "\n" + `Please answer the question concisely and put the answer in one "\boxed{}".`
	}
	return question + "\n" + "Please answer the question concisely."
}

// ReportPrompt is get_report_generation_prompt.
const ReportPrompt = "You are a helpful assistant. Please generate a report for the given images, including both findings and impressions. Return the report in the following format: Findings: {} Impression: {}."

// isYesNo reports whether answer is "yes" or "no" (any case, trimmed).
func isYesNo(answer string) bool {
	a := strings.ToLower(strings.TrimSpace(answer))
	return a == "yes" || a == "no"
}

// vqaSample builds the sample of a VQA-RAD / PathVQA style pair: yes/no
// answers get the judgement prompt, everything else the open prompt
// (MedEvalKit's VQA_RAD.py and PATH_VQA.py).
func vqaSample(id, question, answer string, opt Options) Sample {
	s := Sample{ID: id, Question: question, Answer: answer, Lang: "en"}
	if isYesNo(answer) {
		s.Kind, s.Answer, s.Prompt = YesNo, strings.ToLower(strings.TrimSpace(answer)), YesNoPrompt(question, opt.Reasoning, "en")
	} else {
		s.Kind, s.Prompt = Open, OpenPrompt(question, opt.Reasoning, "en")
	}
	return s
}

// mcSample builds a multiple-choice sample from labelled options.
func mcSample(id, question string, options []string, answer string, opt Options) Sample {
	return Sample{ID: id, Kind: MultiChoice, Question: question, Options: options, Answer: answer, Lang: "en",
		Prompt: MultiChoicePrompt(question, options, opt.Reasoning, "en")}
}
