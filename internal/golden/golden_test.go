package golden

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRoot_EnvOverrides(t *testing.T) {
	t.Setenv(EnvVar, "/somewhere/else")
	if got := Root(); got != "/somewhere/else" {
		t.Fatalf("Root() = %q", got)
	}
}

func TestRoot_BesideRepository(t *testing.T) {
	t.Setenv(EnvVar, "")
	got, err := filepath.Abs(Root())
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	want, _ := filepath.Abs(filepath.Join(wd, "..", "..", "..", "shared", "golden"))
	if got != want {
		t.Fatalf("Root() = %q, want %q", got, want)
	}
}

func TestDir_SkipsWhenAbsent(t *testing.T) {
	t.Setenv(EnvVar, t.TempDir())
	skipped := true
	t.Run("absent", func(t *testing.T) {
		Dir(t, "no-such-model", "expected.json")
		skipped = false
	})
	if !skipped {
		t.Fatal("Dir did not skip for a missing folder")
	}
}
