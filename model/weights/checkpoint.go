package weights

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/lingshu-edge/lingshu/kernels"
)

// Checkpoint formats.
const (
	FormatSafetensors = "safetensors"
	FormatGGUF        = "gguf"
)

// TensorInfo describes one tensor of a checkpoint.
type TensorInfo struct {
	Name  string        // Hugging Face name, older Qwen2.5-VL layout
	DType kernels.DType // 0 when the stored type has no kernels equivalent (see Type)
	Type  string        // element type as stored: "BF16", "I64", "Q8_0", "Q4_K", ...
	Shape kernels.Shape // logical elements, outermost first (GGUF dims are reversed)
	Data  []byte        // raw bytes inside the read-only mapping; nil when the size of Type is unknown
	File  string        // base name of the file that holds it
}

// Checkpoint is an opened, memory-mapped model. It is safe for concurrent
// readers. Data slices of its tensors are valid until Close.
type Checkpoint struct {
	Format     string            // FormatSafetensors or FormatGGUF
	Path       string            // what was passed to Open
	Dir        string            // the model folder (for GGUF, the file's folder)
	ConfigJSON []byte            // config.json, or synthesized from GGUF metadata with HF keys
	Config     map[string]any    // ConfigJSON parsed, for inspection
	Metadata   map[string]string // safetensors __metadata__ of every file, merged
	GGUFMeta   map[string]any    // GGUF key/values (nil for safetensors); see gguf.go for value types
	// PreprocessorJSON is a preprocessor_config.json synthesized from the
	// clip metadata of a qwen2vl GGUF's mmproj companion (nil otherwise;
	// a Hugging Face folder has the file itself).
	PreprocessorJSON []byte

	files   []*mappedFile
	tensors map[string]TensorInfo
	names   []string

	hashMu    sync.Mutex
	hashCache *HashCache // nil: hash the files every time
	hash      string
}

// Open opens a checkpoint: a Hugging Face folder, a single .safetensors file
// (config.json read from its folder when present) or a .gguf file.
func Open(path string) (*Checkpoint, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("weights: open %s: %w", path, err)
	}
	var ck *Checkpoint
	switch {
	case st.IsDir():
		ck, err = openHFDir(path)
	case strings.HasSuffix(strings.ToLower(path), ".safetensors"):
		ck, err = openSafetensorsFile(path)
	default:
		ck, err = openGGUF(path)
	}
	if err != nil {
		return nil, err
	}
	ck.Path = path
	return ck, nil
}

// Tensor returns the tensor with the given Hugging Face name.
func (ck *Checkpoint) Tensor(name string) (TensorInfo, bool) {
	t, ok := ck.tensors[name]
	return t, ok
}

// Names returns every tensor name, sorted.
func (ck *Checkpoint) Names() []string { return append([]string(nil), ck.names...) }

// Files returns the paths of the weight files, in hashing order.
func (ck *Checkpoint) Files() []string {
	out := make([]string, len(ck.files))
	for i, f := range ck.files {
		out[i] = f.path
	}
	return out
}

// Close unmaps every file. Data slices obtained before must not be used
// after; the checkpoint then holds no tensors. Close is idempotent and must
// not run concurrently with other methods.
func (ck *Checkpoint) Close() error {
	var errs []error
	for _, f := range ck.files {
		errs = append(errs, f.close())
	}
	ck.tensors, ck.names = map[string]TensorInfo{}, nil
	return errors.Join(errs...)
}

// UseHashCache makes Hash take file hashes from c when the files are
// unchanged since they were last hashed.
func (ck *Checkpoint) UseHashCache(c *HashCache) {
	ck.hashMu.Lock()
	ck.hashCache = c
	ck.hashMu.Unlock()
}

// Hash returns the hex sha256 of the weights, computed once by streaming the
// files (the mapping is not touched). One file: the file's sha256, as
// sha256sum prints it. Several shards: the sha256 of the text that
// `sha256sum <shards sorted by name>` prints, i.e. of the lines
// "<hex>  <base name>\n".
func (ck *Checkpoint) Hash() (string, error) {
	ck.hashMu.Lock()
	defer ck.hashMu.Unlock()
	if ck.hash != "" {
		return ck.hash, nil
	}
	hashFile := fileSHA256
	if ck.hashCache != nil {
		hashFile = ck.hashCache.FileSHA256
	}
	if len(ck.files) == 1 {
		h, err := hashFile(ck.files[0].path)
		if err != nil {
			return "", err
		}
		ck.hash = h
		return h, nil
	}
	paths := ck.Files()
	sort.Slice(paths, func(i, j int) bool { return filepath.Base(paths[i]) < filepath.Base(paths[j]) })
	sum := sha256.New()
	for _, p := range paths {
		h, err := hashFile(p)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(sum, "%s  %s\n", h, filepath.Base(p))
	}
	ck.hash = hex.EncodeToString(sum.Sum(nil))
	return ck.hash, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("weights: hash %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.CopyBuffer(h, f, make([]byte, 1<<20)); err != nil {
		return "", fmt.Errorf("weights: hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// addTensor registers t under its normalised name; original is the name as
// stored, used in the duplicate error.
func (ck *Checkpoint) addTensor(t TensorInfo, original string) error {
	if prev, ok := ck.tensors[t.Name]; ok {
		return fmt.Errorf("weights: duplicate tensor %s (from %s in %s, and from %s)", t.Name, original, t.File, prev.File)
	}
	ck.tensors[t.Name] = t
	ck.names = append(ck.names, t.Name)
	return nil
}

func (ck *Checkpoint) finish() {
	sort.Strings(ck.names)
}

// NormalizeName maps the tensor names of the newer transformers layout of
// Qwen2.5-VL to the older one: model.language_model.X → model.X and
// model.visual.X → visual.X. Other names are returned unchanged.
func NormalizeName(name string) string {
	switch {
	case strings.HasPrefix(name, "model.language_model."):
		return "model." + strings.TrimPrefix(name, "model.language_model.")
	case strings.HasPrefix(name, "model.visual."):
		return "visual." + strings.TrimPrefix(name, "model.visual.")
	}
	return name
}
