// Package weights reads model checkpoints and binds their tensors to the
// weight structs of a model.
//
// Open accepts a Hugging Face folder (config.json plus model.safetensors, or
// sharded model-0000x-of-0000y.safetensors with model.safetensors.index.json)
// or a GGUF file (v2 or v3). Weight files are memory-mapped read-only and never
// copied onto the heap: TensorInfo.Data slices point into the mapping and stay
// valid until Checkpoint.Close.
//
// Tensor names are always exposed in the Hugging Face convention of the older
// Qwen2.5-VL layout: GGUF names go through one table (gguf_names.go), and the
// newer transformers layout (model.language_model.*, model.visual.*) is
// renamed to model.* and visual.*.
//
// Bind walks a tree of Go structs tagged with `weight:"name"` and uploads each
// tensor through an Uploader (any kernels backend). It fails loudly: one error
// lists every missing, unused, misshapen or mistyped tensor. See Bind for the
// tag grammar and how expected shapes are declared.
//
// ExportGGUF writes a checkpoint as GGUF v3 (Q8_0, F16, BF16 or F32
// weights, metadata as llama.cpp's convert_hf_to_gguf.py writes it) by
// streaming tensor by tensor through quant.Writer; a Qwen2.5-VL vision
// tower goes into a companion mmproj file (MMProjPath), which Open loads
// back with the main file. quant/doc.go documents the layout.
package weights
