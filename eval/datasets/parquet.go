package datasets

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // DecodeConfig of JPEG images embedded in Parquet files
	_ "image/png"  // DecodeConfig of PNG images embedded in Parquet files
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// Hugging Face's `datasets` library writes its Parquet files with pyarrow:
// every column is optional, strings are BYTE_ARRAY (UTF-8) leaves and an
// Image feature is a group {bytes: binary, path: string}. pqTable reads
// such a file row by row through github.com/parquet-go/parquet-go, looking
// columns up by name, so that a missing column or one of the wrong type is
// reported by name rather than as a conversion error.

// pqTable is one open Parquet file.
type pqTable struct {
	file string // path, for Problems
	f    *os.File
	pf   *parquet.File
}

// openParquet opens file and reads its footer (schema and row groups).
func openParquet(file string) (t *pqTable, err error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	pf, err := openParquetReader(f, st.Size())
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return &pqTable{file: file, f: f, pf: pf}, nil
}

// openParquetReader opens a Parquet file held by r; a malformed footer is
// an error, never a panic. The footer length is checked against the file
// size first: parquet-go allocates the length it reads before finding that
// the file is too short, so a damaged length could claim gigabytes.
func openParquetReader(r io.ReaderAt, size int64) (pf *parquet.File, err error) {
	var head, tail [8]byte
	if size < 12 {
		return nil, fmt.Errorf("not a Parquet file: %d bytes", size)
	}
	if _, err := r.ReadAt(head[:4], 0); err != nil {
		return nil, err
	}
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return nil, err
	}
	if string(head[:4]) != "PAR1" || string(tail[4:]) != "PAR1" {
		return nil, errors.New("not a Parquet file: no PAR1 magic at both ends")
	}
	if n := int64(binary.LittleEndian.Uint32(tail[:4])); n > size-12 {
		return nil, fmt.Errorf("not a readable Parquet file: footer of %d bytes in a file of %d", n, size)
	}
	defer func() {
		if p := recover(); p != nil {
			pf, err = nil, fmt.Errorf("not a readable Parquet file: %v", p)
		}
	}()
	pf, err = parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, fmt.Errorf("not a readable Parquet file: %w", err)
	}
	return pf, nil
}

func (t *pqTable) Close() error { return t.f.Close() }

// pqCol is a leaf column found by name: its index in a row.
type pqCol struct {
	index int
	ok    bool
}

// stringCol looks up a top-level string column (BYTE_ARRAY leaf); absent or
// of another type, it records a Problem when required and returns !ok.
func (t *pqTable) stringCol(ps *problems, name string, required bool) pqCol {
	leaf, ok := t.pf.Schema().Lookup(name)
	switch {
	case !ok && required:
		ps.add(t.file, 0, "", name, "column missing (has %s)", t.columnNames())
		return pqCol{}
	case !ok:
		return pqCol{}
	case leaf.MaxRepetitionLevel != 0 || leaf.Node.Type().Kind() != parquet.ByteArray:
		ps.add(t.file, 0, "", name, "want a string column, got %s", nodeType(leaf.Node))
		return pqCol{}
	}
	return pqCol{index: leaf.ColumnIndex, ok: true}
}

// imageCol looks up a Hugging Face Image column: a group with a binary
// "bytes" leaf.
func (t *pqTable) imageCol(ps *problems, name string, required bool) pqCol {
	leaf, ok := t.pf.Schema().Lookup(name, "bytes")
	if !ok {
		if _, plain := t.pf.Schema().Lookup(name); plain {
			ps.add(t.file, 0, "", name, "want an image column {bytes, path}, got a plain column")
		} else if required {
			ps.add(t.file, 0, "", name, "column missing (has %s)", t.columnNames())
		}
		return pqCol{}
	}
	if leaf.MaxRepetitionLevel != 0 || leaf.Node.Type().Kind() != parquet.ByteArray {
		ps.add(t.file, 0, "", name+".bytes", "want a binary column, got %s", nodeType(leaf.Node))
		return pqCol{}
	}
	return pqCol{index: leaf.ColumnIndex, ok: true}
}

func nodeType(n parquet.Node) string {
	if n.Leaf() {
		return n.Type().Kind().String()
	}
	return "a group"
}

// columnNames lists the top-level columns, for "column missing" messages.
func (t *pqTable) columnNames() string {
	var names []string
	for _, f := range t.pf.Schema().Fields() {
		names = append(names, f.Name())
	}
	return strings.Join(names, ", ")
}

// pqRow is one row: its leaf values by column index (no repeated columns
// are read, so there is one value per leaf).
type pqRow []parquet.Value

// str returns a string column's value; null (or an unknown column) is "",
// false.
func (r pqRow) str(c pqCol) (string, bool) {
	if !c.ok || c.index >= len(r) || r[c.index].IsNull() {
		return "", false
	}
	return string(r[c.index].ByteArray()), true
}

// bytes returns a copy of a binary column's value; nil when null.
func (r pqRow) bytes(c pqCol) []byte {
	if !c.ok || c.index >= len(r) || r[c.index].IsNull() {
		return nil
	}
	return bytes.Clone(r[c.index].ByteArray())
}

// each calls fn with every row, numbered from 0. A page that fails to
// decode stops the read with an error naming the row; a panic in the
// decoder on a malformed file is turned into that error.
func (t *pqTable) each(fn func(i int, r pqRow)) (err error) {
	i := 0
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: row %d: malformed Parquet data: %v", t.file, i, p)
		}
	}()
	rd := parquet.NewReader(t.pf)
	defer rd.Close()
	buf := make([]parquet.Row, 1)
	for ; ; i++ {
		n, err := rd.ReadRows(buf)
		if n == 1 {
			row := make(pqRow, len(t.pf.Schema().Columns()))
			for _, v := range buf[0] {
				if c := v.Column(); c >= 0 && c < len(row) {
					row[c] = v
				}
			}
			fn(i, row)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: row %d: %w", t.file, i, err)
		}
		if n == 0 {
			return fmt.Errorf("%s: row %d: reader made no progress", t.file, i)
		}
	}
}

// parquetFiles lists dir's files named prefix*.parquet, sorted (shards of
// one split: validation-00000-of-00002.parquet, …).
func parquetFiles(dir, prefix string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, prefix+"*.parquet"))
	if err != nil {
		return nil, err
	}
	return files, nil // Glob sorts
}

// imageFormat checks that data is a PNG or JPEG image (the formats the
// harness decodes) and returns its file extension.
func imageFormat(data []byte) (string, error) {
	if len(data) == 0 {
		return "", errors.New("no image bytes")
	}
	_, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("not a PNG or JPEG image: %v", err)
	}
	switch format {
	case "png":
		return ".png", nil
	case "jpeg":
		return ".jpg", nil
	}
	return "", fmt.Errorf("image format %s (want PNG or JPEG)", format)
}

// ImageDirEnv names the environment variable that sets where images
// embedded in Parquet files are extracted (DIR/dataset-images); the default
// is the user cache directory (os.UserCacheDir()/lingshu/dataset-images).
const ImageDirEnv = "LINGSHU_CACHE_DIR"

// imageStore extracts embedded images to content-addressed files, so that
// every Sample's ImageRef stays a plain file path (the harness, the run
// manifest and `lingshu ask` need nothing new) and an image that changes
// gets a new path, and so a new cache key.
type imageStore struct{ dir string }

func newImageStore() (imageStore, error) {
	root := os.Getenv(ImageDirEnv)
	if root == "" {
		c, err := os.UserCacheDir()
		if err != nil {
			c = os.TempDir()
		}
		root = filepath.Join(c, "lingshu")
	}
	dir := filepath.Join(root, "dataset-images")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return imageStore{}, fmt.Errorf("image cache: %w", err)
	}
	return imageStore{dir: dir}, nil
}

// put writes data as <dir>/<sha256[:2]>/<sha256><ext> unless a file of
// that name and size is already there, and returns the path. The file is
// written under a temporary name and renamed, so a reader never sees a
// partial image.
func (s imageStore) put(data []byte, ext string) (string, error) {
	sum := sha256.Sum256(data)
	name := hex.EncodeToString(sum[:])
	p := filepath.Join(s.dir, name[:2], name+ext)
	if st, err := os.Stat(p); err == nil && st.Size() == int64(len(data)) {
		return p, nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", fmt.Errorf("image cache: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), name+".*.tmp")
	if err != nil {
		return "", fmt.Errorf("image cache: %w", err)
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("image cache: %w", err)
	}
	if err := os.Rename(f.Name(), p); err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("image cache: %w", err)
	}
	return p, nil
}
