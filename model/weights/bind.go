package weights

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/lingshu-edge/lingshu/kernels"
)

// Uploader is the part of a kernels backend the binder needs; every
// kernels.Backend satisfies it. data is read-only mapped memory that stays
// valid while the checkpoint is open: a CPU backend may alias it.
type Uploader interface {
	Upload(name string, dt kernels.DType, shape kernels.Shape, data []byte) (kernels.Tensor, error)
}

// Dims names the dimensions that shape tags refer to, e.g. {"hidden": 896}.
type Dims map[string]int

// DimProvider is implemented by a weight struct that brings dims into scope
// for its own subtree, typically the root model struct holding its Config.
// WeightDims is called on the struct as Bind reaches it (after any
// allocation), so only structs the caller built beforehand have useful state.
type DimProvider interface {
	WeightDims() Dims
}

// BindError lists every problem Bind found. Problems are sorted: missing
// tensors, then unused ones, then shape, dtype and declaration problems.
type BindError struct {
	Prefix   string
	Problems []string
}

func (e *BindError) Error() string {
	p := e.Prefix
	if p == "" {
		p = `""`
	}
	noun := "problems"
	if len(e.Problems) == 1 {
		noun = "problem"
	}
	return fmt.Sprintf("weights: bind %s: %d %s: %s", p, len(e.Problems), noun, strings.Join(e.Problems, "; "))
}

var tensorType = reflect.TypeFor[kernels.Tensor]()

// Bind fills the weight struct tree dst (a non-nil pointer to a struct) from
// the tensors of ck whose names start with prefix (joined with "."; "" for
// the root), uploading each through up.
//
// Struct tags:
//
//	weight:"name"           field ↔ tensor or subtree prefix+"."+name ("name" may contain dots: "mlp.0")
//	weight:"name,optional"  absent in the checkpoint → left nil (a struct pointer is then not allocated)
//	shape:"out,in"          leaf: expected shape, one expression per dimension
//	dtype:"F32,BF16"        leaf: allowed dtypes (default: any dtype the kernels package knows)
//	dims:"out=q_dim,in=hidden"  struct or slice field: dims for the child's shape tags
//
// Tagged fields may be kernels.Tensor (a leaf), a pointer to a struct (walked,
// allocated when nil), a slice of struct pointers or of kernels.Tensor sized
// by the caller (element i ↔ name.i; nil struct elements are allocated).
// Anonymous struct fields without a tag are walked in place; other untagged
// fields are ignored.
//
// Expected shapes: a shape expression is a product of terms joined by "*",
// each an integer or a dim name ("heads*head_dim", "3"). Names resolve in a
// scope that starts empty, takes the WeightDims of every DimProvider met on
// the way down, and the dims tag of the field being descended into, whose
// expressions are evaluated in the parent's scope. So one Linear type serves
// every projection:
//
//	type Linear struct {
//		W kernels.Tensor `weight:"weight" shape:"out,in"`
//		B kernels.Tensor `weight:"bias,optional" shape:"out"`
//	}
//	type Attention struct {
//		Q *Linear `weight:"q_proj" dims:"out=heads*head_dim,in=hidden"`
//		K *Linear `weight:"k_proj" dims:"out=kv_heads*head_dim,in=hidden"`
//	}
//
// with the root model returning {"hidden": …, "heads": …} from WeightDims.
// A leaf without a shape tag is not shape-checked.
//
// Bind uploads nothing unless the whole tree checks out. It then returns one
// *BindError listing every missing required tensor, every tensor under prefix
// that no field consumed, every shape or dtype mismatch and every bad
// declaration.
func Bind(ck *Checkpoint, prefix string, dst any, up Uploader) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("weights: bind %s: dst must be a non-nil pointer to a struct, got %T", prefix, dst)
	}
	if ck == nil || up == nil {
		return fmt.Errorf("weights: bind %s: nil checkpoint or uploader", prefix)
	}
	b := &binder{ck: ck, used: map[string]bool{}}
	b.walkStruct(rv, prefix, Dims{})
	for _, name := range b.under(prefix) {
		if !b.used[name] {
			b.problem(1, "unused %s", name)
		}
	}
	if len(b.problems) > 0 {
		sort.SliceStable(b.problems, func(i, j int) bool {
			if b.problems[i].rank != b.problems[j].rank {
				return b.problems[i].rank < b.problems[j].rank
			}
			return b.problems[i].text < b.problems[j].text
		})
		e := &BindError{Prefix: prefix}
		for _, p := range b.problems {
			e.Problems = append(e.Problems, p.text)
		}
		return e
	}
	for _, l := range b.plan {
		t, err := up.Upload(l.info.Name, l.info.DType, l.info.Shape, l.info.Data)
		if err != nil {
			return fmt.Errorf("weights: bind %s: upload %s: %w", prefix, l.info.Name, err)
		}
		if t == nil {
			return fmt.Errorf("weights: bind %s: upload %s: uploader returned a nil tensor", prefix, l.info.Name)
		}
		l.field.Set(reflect.ValueOf(t))
	}
	return nil
}

type problem struct {
	rank int // 0 missing, 1 unused, 2 shape, 3 dtype, 4 declaration
	text string
}

type leaf struct {
	field reflect.Value
	info  TensorInfo
}

type binder struct {
	ck       *Checkpoint
	used     map[string]bool
	plan     []leaf
	problems []problem
}

func (b *binder) problem(rank int, format string, args ...any) {
	b.problems = append(b.problems, problem{rank, fmt.Sprintf(format, args...)})
}

// under returns the sorted checkpoint names equal to prefix or below prefix+".".
func (b *binder) under(prefix string) []string {
	if prefix == "" {
		return b.ck.names
	}
	var out []string
	p := prefix + "."
	for i := sort.SearchStrings(b.ck.names, prefix); i < len(b.ck.names); i++ {
		n := b.ck.names[i]
		if !strings.HasPrefix(n, prefix) {
			break
		}
		if n == prefix || strings.HasPrefix(n, p) {
			out = append(out, n)
		}
	}
	return out
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// walkStruct binds the fields of the struct that ptr points to.
func (b *binder) walkStruct(ptr reflect.Value, path string, scope Dims) {
	if dp, ok := ptr.Interface().(DimProvider); ok {
		scope = withDims(scope, dp.WeightDims())
	}
	v := ptr.Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag, tagged := sf.Tag.Lookup("weight")
		if !tagged {
			if sf.Anonymous && sf.IsExported() {
				b.walkEmbedded(v.Field(i), path, scope)
			}
			continue
		}
		name, optional, err := parseWeightTag(tag)
		where := t.Name() + "." + sf.Name
		if err == nil && !sf.IsExported() {
			err = errors.New("field is unexported")
		}
		if err != nil {
			b.problem(4, "field %s: %v", where, err)
			continue
		}
		full := join(path, name)
		child := scope
		if d, ok := sf.Tag.Lookup("dims"); ok {
			if child, err = scopedDims(scope, d); err != nil {
				b.problem(4, "dims tag of %s (%s): %v", full, where, err)
				continue
			}
		}
		b.bindField(v.Field(i), sf, full, optional, child)
	}
}

func (b *binder) walkEmbedded(f reflect.Value, path string, scope Dims) {
	switch {
	case f.Kind() == reflect.Struct && f.CanAddr():
		b.walkStruct(f.Addr(), path, scope)
	case f.Kind() == reflect.Pointer && f.Type().Elem().Kind() == reflect.Struct:
		if f.IsNil() {
			f.Set(reflect.New(f.Type().Elem()))
		}
		b.walkStruct(f, path, scope)
	}
}

// bindField dispatches on the field's type.
func (b *binder) bindField(f reflect.Value, sf reflect.StructField, full string, optional bool, scope Dims) {
	ft := f.Type()
	switch {
	case ft == tensorType:
		b.bindLeaf(f, sf, full, optional, scope)
	case ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Struct:
		b.bindStructPtr(f, full, optional, scope)
	case ft.Kind() == reflect.Slice && ft.Elem() == tensorType:
		for i := 0; i < f.Len(); i++ {
			b.bindLeaf(f.Index(i), sf, join(full, strconv.Itoa(i)), optional, scope)
		}
	case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Pointer && ft.Elem().Elem().Kind() == reflect.Struct:
		for i := 0; i < f.Len(); i++ {
			b.bindStructPtr(f.Index(i), join(full, strconv.Itoa(i)), optional, scope)
		}
	default:
		b.problem(4, "field %s for %s: type %s cannot hold weights", sf.Name, full, ft)
	}
}

func (b *binder) bindStructPtr(f reflect.Value, full string, optional bool, scope Dims) {
	if f.IsNil() {
		if optional && len(b.under(full)) == 0 {
			return
		}
		f.Set(reflect.New(f.Type().Elem()))
	}
	b.walkStruct(f, full, scope)
}

func (b *binder) bindLeaf(f reflect.Value, sf reflect.StructField, full string, optional bool, scope Dims) {
	info, ok := b.ck.Tensor(full)
	if !ok {
		if !optional {
			b.problem(0, "missing %s", full)
		}
		return
	}
	b.used[full] = true
	bad := false
	if expr, ok := sf.Tag.Lookup("shape"); ok {
		want, err := evalShape(expr, scope)
		switch {
		case err != nil:
			b.problem(4, "shape tag of %s: %v", full, err)
			bad = true
		case !want.Equal(info.Shape):
			b.problem(2, "shape of %s is %v, want %v", full, info.Shape, want)
			bad = true
		}
	}
	switch allowed, hasTag := sf.Tag.Lookup("dtype"); {
	case info.DType == 0 || info.Data == nil:
		b.problem(3, "dtype of %s is %s, unsupported tensor type", full, info.Type)
		bad = true
	case hasTag && !dtypeAllowed(info.DType, allowed):
		b.problem(3, "dtype of %s is %s, want %s", full, info.DType, allowed)
		bad = true
	}
	if !bad {
		b.plan = append(b.plan, leaf{field: f, info: info})
	}
}

func dtypeAllowed(dt kernels.DType, list string) bool {
	for _, s := range strings.Split(list, ",") {
		if strings.TrimSpace(s) == dt.String() {
			return true
		}
	}
	return false
}

func parseWeightTag(tag string) (name string, optional bool, err error) {
	parts := strings.Split(tag, ",")
	name = parts[0]
	if name == "" {
		return "", false, errors.New("empty weight tag name")
	}
	for _, opt := range parts[1:] {
		if opt != "optional" {
			return "", false, fmt.Errorf("unknown weight tag option %q", opt)
		}
		optional = true
	}
	return name, optional, nil
}

func withDims(scope, add Dims) Dims {
	out := make(Dims, len(scope)+len(add))
	for k, v := range scope {
		out[k] = v
	}
	for k, v := range add {
		out[k] = v
	}
	return out
}

// scopedDims evaluates a dims tag ("out=q_dim,in=hidden") in scope and returns
// scope extended with the results.
func scopedDims(scope Dims, tag string) (Dims, error) {
	add := Dims{}
	for _, kv := range strings.Split(tag, ",") {
		k, expr, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("want name=expr, got %q", kv)
		}
		v, err := evalDim(expr, scope)
		if err != nil {
			return nil, err
		}
		add[k] = v
	}
	return withDims(scope, add), nil
}

func evalShape(expr string, scope Dims) (kernels.Shape, error) {
	if strings.TrimSpace(expr) == "" {
		return kernels.Shape{}, nil // a scalar
	}
	parts := strings.Split(expr, ",")
	s := make(kernels.Shape, len(parts))
	for i, p := range parts {
		v, err := evalDim(p, scope)
		if err != nil {
			return nil, err
		}
		s[i] = v
	}
	return s, nil
}

// evalDim evaluates a product of integers and dim names.
func evalDim(expr string, scope Dims) (int, error) {
	v := 1
	for _, term := range strings.Split(expr, "*") {
		term = strings.TrimSpace(term)
		if n, err := strconv.Atoi(term); err == nil {
			v *= n
			continue
		}
		n, ok := scope[term]
		if !ok {
			return 0, fmt.Errorf("unknown dim %q", term)
		}
		v *= n
	}
	return v, nil
}
