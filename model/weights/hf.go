package weights

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Standard file names of a Hugging Face model folder.
const (
	ConfigFile       = "config.json"
	SafetensorsFile  = "model.safetensors"
	SafetensorsIndex = "model.safetensors.index.json"
)

// maxConfigBytes bounds config.json and the shard index.
const maxConfigBytes = 64 << 20

// openHFDir opens a Hugging Face folder.
func openHFDir(dir string) (*Checkpoint, error) {
	cfg, err := readSmallFile(filepath.Join(dir, ConfigFile))
	if err != nil {
		return nil, fmt.Errorf("weights: open %s: %w", dir, err)
	}
	ck := newSafetensorsCheckpoint(dir)
	if err := ck.setConfig(cfg); err != nil {
		return nil, fmt.Errorf("weights: open %s: %w", dir, err)
	}
	index, err := readSmallFile(filepath.Join(dir, SafetensorsIndex))
	switch {
	case err == nil:
		err = ck.loadSharded(dir, index)
	case errors.Is(err, fs.ErrNotExist):
		err = ck.loadSingle(dir)
	}
	if err != nil {
		ck.Close()
		return nil, fmt.Errorf("weights: open %s: %w", dir, err)
	}
	ck.finish()
	return ck, nil
}

// openSafetensorsFile opens one .safetensors file; config.json of its folder
// is read when present.
func openSafetensorsFile(path string) (*Checkpoint, error) {
	dir := filepath.Dir(path)
	ck := newSafetensorsCheckpoint(dir)
	cfg, err := readSmallFile(filepath.Join(dir, ConfigFile))
	if err == nil {
		err = ck.setConfig(cfg)
	} else if errors.Is(err, fs.ErrNotExist) {
		err = nil
	}
	if err == nil {
		_, err = ck.loadFile(path)
	}
	if err != nil {
		ck.Close()
		return nil, fmt.Errorf("weights: open %s: %w", path, err)
	}
	ck.finish()
	return ck, nil
}

func newSafetensorsCheckpoint(dir string) *Checkpoint {
	return &Checkpoint{Format: FormatSafetensors, Dir: dir, tensors: map[string]TensorInfo{}}
}

func (ck *Checkpoint) setConfig(cfg []byte) error {
	var m map[string]any
	if err := json.Unmarshal(cfg, &m); err != nil {
		return fmt.Errorf("%s: %w", ConfigFile, err)
	}
	ck.ConfigJSON, ck.Config = cfg, m
	return nil
}

func (ck *Checkpoint) loadSingle(dir string) error {
	path := filepath.Join(dir, SafetensorsFile)
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if shards, _ := filepath.Glob(filepath.Join(dir, "model-*-of-*.safetensors")); len(shards) > 0 {
				return fmt.Errorf("found %d shard files but no %s", len(shards), SafetensorsIndex)
			}
			return fmt.Errorf("no %s or %s", SafetensorsFile, SafetensorsIndex)
		}
		return err
	}
	_, err := ck.loadFile(path)
	return err
}

// loadFile maps one safetensors file and registers its tensors under
// normalised names. It returns the stored names.
func (ck *Checkpoint) loadFile(path string) ([]string, error) {
	mf, err := openMapped(path)
	if err != nil {
		return nil, err
	}
	ck.files = append(ck.files, mf)
	infos, meta, err := parseSafetensors(mf.data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	if len(meta) > 0 && ck.Metadata == nil {
		ck.Metadata = map[string]string{}
	}
	for k, v := range meta {
		ck.Metadata[k] = v
	}
	stored := make([]string, len(infos))
	base := filepath.Base(path)
	for i, t := range infos {
		stored[i] = t.Name
		t.File = base
		t.Name = NormalizeName(t.Name)
		if err := ck.addTensor(t, stored[i]); err != nil {
			return nil, err
		}
	}
	return stored, nil
}

// shardIndex is model.safetensors.index.json.
type shardIndex struct {
	Metadata  map[string]any    `json:"metadata"`
	WeightMap map[string]string `json:"weight_map"`
}

func (ck *Checkpoint) loadSharded(dir string, raw []byte) error {
	var idx shardIndex
	if err := json.Unmarshal(raw, &idx); err != nil {
		return fmt.Errorf("%s: %w", SafetensorsIndex, err)
	}
	if len(idx.WeightMap) == 0 {
		return fmt.Errorf("%s: empty weight_map", SafetensorsIndex)
	}
	byShard := map[string]map[string]bool{}
	for name, shard := range idx.WeightMap {
		if shard != filepath.Base(shard) || !strings.HasSuffix(shard, ".safetensors") || strings.ContainsAny(shard, `/\`) {
			return fmt.Errorf("%s: tensor %s: bad shard name %q", SafetensorsIndex, name, shard)
		}
		if byShard[shard] == nil {
			byShard[shard] = map[string]bool{}
		}
		byShard[shard][name] = true
	}
	shards := make([]string, 0, len(byShard))
	for s := range byShard {
		shards = append(shards, s)
	}
	sort.Strings(shards)
	for _, shard := range shards {
		path := filepath.Join(dir, shard)
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("missing shard %s listed in %s: %w", shard, SafetensorsIndex, err)
		}
		stored, err := ck.loadFile(path)
		if err != nil {
			return err
		}
		listed := byShard[shard]
		var extra []string
		for _, n := range stored {
			if !listed[n] {
				extra = append(extra, n)
			}
			delete(listed, n)
		}
		if len(listed) > 0 {
			return fmt.Errorf("%s: %d tensors listed in %s are absent: %s", shard, len(listed), SafetensorsIndex, firstNames(listed))
		}
		if len(extra) > 0 {
			return fmt.Errorf("%s: %d tensors are not listed in %s: %s", shard, len(extra), SafetensorsIndex, strings.Join(extra, ", "))
		}
	}
	return nil
}

func firstNames(set map[string]bool) string {
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) > 10 {
		names = append(names[:10], "...")
	}
	return strings.Join(names, ", ")
}

// readSmallFile reads a JSON side file, refusing anything above maxConfigBytes.
func readSmallFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > maxConfigBytes {
		return nil, fmt.Errorf("%s: %d bytes exceeds the %d-byte limit", filepath.Base(path), st.Size(), maxConfigBytes)
	}
	b := make([]byte, st.Size())
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return b, nil
}
