// Command lingshu is the one binary of the Lingshu Edge appliance: the
// daemon (`serve`), the model tools and the offline tools, chosen by a
// subcommand. Each subcommand lives in its own file and only turns flags into
// calls on the packages that do the work.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// runFunc runs one subcommand with the arguments that follow its name.
type runFunc func(ctx context.Context, args []string, stdout, stderr io.Writer) error

type command struct {
	name    string // one or two words: "serve", "model tokenize"
	usage   string
	summary string
	run     runFunc
}

// commands is the table of subcommands, in the order `lingshu help` lists them.
func commands() []command {
	return []command{
		{"serve", "serve [--config FILE] [--data DIR] [--dicom-addr HOST:PORT] [--http-addr HOST:PORT] [--ae-title AE] [--model PATH] [--backend auto|cpu|cuda]",
			"run the appliance: DICOM receiver, store, REST API and web UI, model runner and draft reports", runServe},
		{"store verify", "store verify [--data DIR] [--expect LIST] [--json]",
			"check offline that every indexed instance is readable (and listed sources stored unchanged)", runStoreVerify},
		{"phantom", "phantom --out DIR [--studies N] [--modality CT|CR|DX|MR] [--seed S] [--slices N] [--transfer-syntax implicit|explicit|deflate|jpeg] [--multiframe]",
			"write synthetic studies with known findings and ground truth", runPhantom},
		{"model inspect", "model inspect PATH [--json]", "architecture, dtypes, sizes and hash of a model", runModelInspect},
		{"model tokenize", "model tokenize PATH TEXT [--no-parse-special] [--json]", "token ids of TEXT", runModelTokenize},
		{"model logits", "model logits PATH --prompt TEXT [--top K] [--ids I,J,...] [--json]",
			"next-token logits after a prompt", runModelLogits},
		{"generate", "generate --model PATH --prompt TEXT|--chat TEXT [--max-tokens N] [--temperature T] [--seed S] [--json]",
			"generate text", runGenerate},
		{"ask", "ask --model PATH --image FILE [--image FILE...] QUESTION [--max-tokens N] [--temperature T] [--seed S] [--ctx N] [--max-pixels N] [--json] [--stats]",
			"ask the vision-language model about images (.dcm, .png, .jpg)", runAsk},
		{"report", "report --model PATH FILE_OR_DIR... [--max-images N] [--max-tokens N] [--json] [--stats]",
			"draft a radiology report for each DICOM study found (key images, versioned prompt)", runReport},
		{"runner", "runner --model PATH [--backend B]", "inference child process of serve (JSON lines on stdin/stdout; not for interactive use)", runRunner},
		{"quant", quantUsage, "convert a model to GGUF (Q8_0, F16, BF16), or compare a quantized model with its reference", runQuant},
		{"dev random-model", "dev random-model --shape NAME --out DIR [--seed S] [--tokenizer-from DIR|none]",
			"write a random checkpoint in exact Hugging Face layout (tests, benchmarks)", runDevRandomModel},
		{"eval metrics", "eval metrics --pairs FILE.jsonl [--json]",
			"BLEU-1..4, ROUGE-L, METEOR, CIDEr (as MedEvalKit) and CheXpert-label F1 of generated reports against references", runEvalMetrics},
		{"eval run", "eval run --model PATH --dataset NAME=PATH... [--limit N] [--out DIR]", "evaluate a model on benchmarks from their native files (cached, resumable)", runEvalRun},
		{"eval report", "eval report RUN... [--out report.html] [--regression-threshold F]", "HTML and JSON report of eval runs; compare runs with paired tests", runEvalReport},
		{"service", serviceUsage, "install, control or run the OS service (systemd unit, Windows service)", runService},
		{"doctor", doctorUsage, "check this host and the configuration: ok/warn/fail with a fix each", runDoctor},
		{"version", "version", "print the version", runVersion},
	}
}

// usageError marks a command line that could not be understood; main exits 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err == nil {
		return
	}
	fmt.Fprintln(os.Stderr, "lingshu:", err)
	var ue usageError
	if errors.As(err, &ue) {
		os.Exit(2)
	}
	os.Exit(1)
}

// dispatch finds the subcommand whose words start args (the longest match
// wins) and runs it with the remaining arguments.
func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printHelp(stdout)
		if len(args) == 0 {
			return usageError{"no command given"}
		}
		return nil
	}
	var best *command
	bestWords := 0
	cmds := commands()
	for i := range cmds {
		words := strings.Fields(cmds[i].name)
		if len(words) <= len(args) && len(words) > bestWords && equalWords(words, args[:len(words)]) {
			best, bestWords = &cmds[i], len(words)
		}
	}
	if best == nil {
		printHelp(stderr)
		return usageError{fmt.Sprintf("unknown command %q", strings.Join(args[:min(2, len(args))], " "))}
	}
	return best.run(ctx, args[bestWords:], stdout, stderr)
}

func equalWords(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "Lingshu Edge — on-prem medical imaging AI appliance")
	fmt.Fprintln(w, "\nUsage:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  lingshu %s\n        %s\n", c.usage, c.summary)
	}
}
