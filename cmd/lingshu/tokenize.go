package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/lingshu-edge/lingshu/model/tokenizer"
	"github.com/lingshu-edge/lingshu/model/weights"
)

// runModelTokenize implements `lingshu model tokenize PATH TEXT [--json]
// [--no-parse-special]`: the token ids of TEXT with the tokenizer of PATH (a
// Hugging Face model folder, its tokenizer.json, or a .gguf file), on one
// line, or as {"ids": [...]} with --json. Flags may follow the positional
// arguments; "--" ends flags (for a TEXT that starts with "-").
func runModelTokenize(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("model tokenize", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, `print {"ids": [...]}`)
	noSpecial := fs.Bool("no-parse-special", false, "tokenize special tokens such as <|im_start|> written in TEXT as plain text")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: lingshu model tokenize PATH TEXT [--json] [--no-parse-special]")
		fs.PrintDefaults()
	}
	pos, err := parseInterleavedFlags(fs, args)
	if err != nil {
		return usageError{fmt.Sprintf("model tokenize: %v", err)}
	}
	if len(pos) != 2 {
		fs.Usage()
		return usageError{"model tokenize: want PATH (model folder, tokenizer.json or .gguf file) and TEXT"}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	tok, err := loadTokenizer(pos[0])
	if err != nil {
		return fmt.Errorf("model tokenize: %w", err)
	}
	ids := tok.Encode(pos[1], !*noSpecial)
	if *asJSON {
		if ids == nil {
			ids = []int{}
		}
		return json.NewEncoder(stdout).Encode(struct {
			IDs []int `json:"ids"`
		}{ids})
	}
	strs := make([]string, len(ids))
	for i, id := range ids {
		strs[i] = strconv.Itoa(id)
	}
	_, err = fmt.Fprintln(stdout, strings.Join(strs, " "))
	return err
}

// loadTokenizer loads the tokenizer of a model folder, of a tokenizer.json
// path (its folder's config files are read too) or of a GGUF file.
func loadTokenizer(path string) (*tokenizer.Tokenizer, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return tokenizer.LoadDir(path)
	}
	if filepath.Base(path) == "tokenizer.json" {
		return tokenizer.LoadDir(filepath.Dir(path))
	}
	ck, err := weights.Open(path)
	if err != nil {
		return nil, err
	}
	defer ck.Close()
	if ck.Format != weights.FormatGGUF {
		return tokenizer.LoadDir(ck.Dir)
	}
	return tokenizer.FromGGUFMeta(ck.GGUFMeta)
}
