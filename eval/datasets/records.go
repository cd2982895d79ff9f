package datasets

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// maxLine bounds one JSONL line (a long question with its context).
const maxLine = 32 << 20

// rec is one decoded JSON record and where it came from, so that field
// accessors can report precisely what is missing or malformed.
type rec struct {
	m    map[string]any
	file string
	line int
	id   string // "record 3" or "line 3" until an id is known
	ps   *problems
}

// str returns a required string field (numbers are accepted and printed
// as written); a missing, empty or non-scalar value is a problem.
func (r *rec) str(field string) (string, bool) {
	v, ok := r.m[field]
	if !ok || v == nil {
		r.ps.add(r.file, r.line, r.id, field, "missing")
		return "", false
	}
	s, ok := scalar(v)
	if !ok {
		r.ps.add(r.file, r.line, r.id, field, "want a string, got %s", jsonType(v))
		return "", false
	}
	if strings.TrimSpace(s) == "" {
		r.ps.add(r.file, r.line, r.id, field, "empty")
		return "", false
	}
	return s, true
}

// opt returns an optional scalar field, "" when absent.
func (r *rec) opt(field string) string {
	s, _ := scalar(r.m[field])
	return s
}

// strList returns a required list of strings; a single string is a list
// of one.
func (r *rec) strList(field string) ([]string, bool) {
	v, ok := r.m[field]
	if !ok || v == nil {
		r.ps.add(r.file, r.line, r.id, field, "missing")
		return nil, false
	}
	if s, ok := v.(string); ok {
		return []string{s}, true
	}
	arr, ok := v.([]any)
	if !ok {
		r.ps.add(r.file, r.line, r.id, field, "want a list of strings, got %s", jsonType(v))
		return nil, false
	}
	out := make([]string, 0, len(arr))
	for i, x := range arr {
		s, ok := scalar(x)
		if !ok {
			r.ps.add(r.file, r.line, r.id, fmt.Sprintf("%s[%d]", field, i), "want a string, got %s", jsonType(x))
			return nil, false
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		r.ps.add(r.file, r.line, r.id, field, "empty list")
		return nil, false
	}
	return out, true
}

// scalar prints a JSON string, number or bool.
func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	}
	return "", false
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number, float64, int64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// decodeJSON decodes one JSON value with numbers kept as json.Number.
func decodeJSON(data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return fmt.Errorf("data after the JSON value at byte %d", d.InputOffset())
	}
	return nil
}

// readJSONArray reads file as a JSON list of objects and calls fn with
// each, its id set to "record N" (0-based, as the list index).
func readJSONArray(file string, ps *problems, fn func(r *rec)) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	return parseJSONArray(data, file, ps, fn)
}

// parseJSONArray is readJSONArray on bytes already read.
func parseJSONArray(data []byte, file string, ps *problems, fn func(r *rec)) error {
	var list []any
	if err := decodeJSON(data, &list); err != nil {
		return fmt.Errorf("%s: not a JSON list: %w", file, err)
	}
	for i, v := range list {
		m, ok := v.(map[string]any)
		if !ok {
			ps.add(file, 0, fmt.Sprintf("record %d", i), "", "want an object, got %s", jsonType(v))
			continue
		}
		fn(&rec{m: m, file: file, id: fmt.Sprintf("record %d", i), ps: ps})
	}
	return nil
}

// readJSONL reads file as JSON lines (blank lines skipped) and calls fn
// with each object.
func readJSONL(file string, ps *problems, fn func(r *rec)) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	return scanJSONL(f, file, ps, fn)
}

func scanJSONL(rd io.Reader, file string, ps *problems, fn func(r *rec)) error {
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	for line := 1; sc.Scan(); line++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		var m map[string]any
		if err := decodeJSON(text, &m); err != nil {
			ps.add(file, line, "", "", "not a JSON object: %v", err)
			continue
		}
		if m == nil {
			ps.add(file, line, "", "", "not a JSON object: null")
			continue
		}
		fn(&rec{m: m, file: file, line: line, ps: ps})
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return nil
}
