// Package archtest fails when a package imports across a boundary that
// DESIGN.md forbids. It reads import lists with go/parser, so it needs no
// build and sees every GOOS/GOARCH file. Test files are exempt: a test may
// use a phantom study or a real store from anywhere.
package archtest

import (
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/lingshu-edge/lingshu"

// rule forbids packages under from (a repo-relative prefix) from importing
// paths for which forbidden returns a reason.
type rule struct {
	from      string
	forbidden func(imp string) string
}

func under(path, prefix string) bool { return path == prefix || strings.HasPrefix(path, prefix+"/") }

func local(imp string) (string, bool) {
	if imp == module {
		return "", true
	}
	if strings.HasPrefix(imp, module+"/") {
		return strings.TrimPrefix(imp, module+"/"), true
	}
	return "", false
}

func rules() []rule {
	return []rule{
		{"", func(imp string) string { // everyone
			if rel, ok := local(imp); ok && under(rel, "cmd") {
				return "nothing imports cmd"
			}
			if imp == "C" {
				return "no cgo in the default build"
			}
			return ""
		}},
		{"model", func(imp string) string {
			if rel, ok := local(imp); ok && under(rel, "dicom") {
				return "model never imports dicom (the bridge is image.Image)"
			}
			return ""
		}},
		{"kernels", func(imp string) string {
			if rel, ok := local(imp); ok && !under(rel, "kernels") && !under(rel, "quant") {
				return "kernels is a leaf (it may use quant for block formats)"
			}
			return ""
		}},
		{"dicom", func(imp string) string {
			if rel, ok := local(imp); ok && !under(rel, "dicom") {
				return "dicom is a leaf"
			}
			return ""
		}},
		{"eval", func(imp string) string {
			if rel, ok := local(imp); ok && under(rel, "train") {
				return "eval never imports train"
			}
			return ""
		}},
	}
}

// global rules that depend on the importer, not a prefix.
func checkGlobal(pkg, imp string) string {
	if rel, ok := local(imp); ok && under(rel, "daemon") && !under(pkg, "daemon") && !under(pkg, "cmd") {
		return "only cmd and daemon itself import daemon"
	}
	if imp == "go.etcd.io/bbolt" && pkg != "daemon/store" {
		return "daemon/store is the only bbolt importer"
	}
	return ""
}

func TestImportRules(t *testing.T) {
	root := repoRoot(t)
	imports := collectImports(t, root)
	var violations []string
	for pkg, imps := range imports {
		for _, imp := range imps {
			for _, r := range rules() {
				if (r.from == "" || under(pkg, r.from)) && r.forbidden(imp) != "" {
					violations = append(violations, fmt.Sprintf("%s imports %s: %s", pkg, imp, r.forbidden(imp)))
				}
			}
			if why := checkGlobal(pkg, imp); why != "" {
				violations = append(violations, fmt.Sprintf("%s imports %s: %s", pkg, imp, why))
			}
		}
	}
	sort.Strings(violations)
	for _, v := range violations {
		t.Error(v)
	}
	if len(imports) < 3 {
		t.Fatalf("found only %d packages under %s: the walk is broken", len(imports), root)
	}
}

// TestRules_CatchViolations keeps the rule table honest: each rule must
// fire on an example that breaks it.
func TestRules_CatchViolations(t *testing.T) {
	cases := []struct{ pkg, imp string }{
		{"model/qwen2", module + "/dicom/pixel"},
		{"kernels/cpu", module + "/model"},
		{"dicom/net", module + "/daemon/store"},
		{"eval", module + "/train"},
		{"daemon", module + "/cmd/lingshu"},
		{"model", "C"},
		{"quant", module + "/daemon/store"},
		{"daemon/api", "go.etcd.io/bbolt"},
	}
	for _, c := range cases {
		fired := checkGlobal(c.pkg, c.imp) != ""
		for _, r := range rules() {
			if (r.from == "" || under(c.pkg, r.from)) && r.forbidden(c.imp) != "" {
				fired = true
			}
		}
		if !fired {
			t.Errorf("%s importing %s should violate a rule", c.pkg, c.imp)
		}
	}
}

func repoRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// collectImports maps each repo-relative package directory to the imports
// of its non-test Go files.
func collectImports(t *testing.T, root string) map[string][]string {
	out := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return fmt.Errorf("parse %s: %w", path, err)
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		for _, spec := range f.Imports {
			imp, _ := strconv.Unquote(spec.Path.Value)
			out[rel] = append(out[rel], imp)
		}
		if _, ok := out[rel]; !ok {
			out[rel] = nil
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
