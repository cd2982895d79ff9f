// Package quant holds the block formats Lingshu stores weights in (Q8_0,
// F16, BF16, plus F32), their reference quantizers and dequantizers, the
// streaming GGUF v3 writer, and the statistics `lingshu quant check`
// reports. It imports nothing of Lingshu: kernels may use it for block
// formats and on-the-fly activation quantization (QuantizeRowQ8_0), and
// model/weights uses it to export checkpoints (weights.ExportGGUF).
//
// # Formats
//
// Type numbers are ggml's enum ggml_type, so a Type is written into GGUF
// tensor infos as is. Q8_0 is ggml's block_q8_0: per 32 values an fp16
// scale d then 32 int8 q, value = d·q, 34 bytes (BlockQ8_0, size pinned by
// a test). QuantizeRowQ8_0 matches ggml's quantize_row_q8_0_ref bit for bit
// on finite input (d = amax/127 rounded to fp16 nearest-even, q =
// roundf(x/d) half away from zero, computed with the unrounded d); the
// golden test checks whole files against llama-quantize's output.
// F32ToF16 and F32ToBF16 round to nearest, ties to even.
//
// # Non-finite values
//
//   - F16: ±Inf stays ±Inf, finite values past 65504 (from 65520 after
//     rounding) become ±Inf, NaN becomes sign|0x7e00.
//   - BF16: as ggml, NaN keeps sign and top payload bits and is made quiet
//     (| 0x40); values rounding past the largest bfloat16 become ±Inf.
//   - Q8_0: a block holding any NaN or ±Inf is stored with scale NaN
//     (0x7e00) and all q = 0, so the whole block dequantizes to NaN and
//     neighbouring blocks are untouched (ggml leaves this case
//     implementation-defined). A finite block whose amax/127 exceeds 65504
//     gets an Inf scale, as in ggml; one whose scale underflows fp16 decodes
//     to zeros.
//
// # GGUF files
//
// Writer streams a file: header, metadata and tensor infos with offsets
// computed up front, then each tensor's data, padded to general.alignment
// (32 unless the metadata sets it). weights.ExportGGUF writes the metadata
// llama.cpp's convert_hf_to_gguf.py writes for Qwen2 — general.architecture,
// general.name, qwen2.{context_length, embedding_length, block_count,
// feed_forward_length, attention.head_count, attention.head_count_kv,
// rope.freq_base, attention.layer_norm_rms_epsilon}, tokenizer.ggml.{model
// "gpt2", pre "qwen2", tokens, token_type, merges, eos_token_id,
// padding_token_id, bos_token_id, add_bos_token}, tokenizer.chat_template,
// general.quantization_version and general.file_type — and for the golden
// qwen2-tiny model its Q8_0 and F16 files equal llama.cpp's byte for byte.
// Norms, biases and 1-D tensors stay F32; 2-D weights, the token embedding
// included, take the target type (F16 when a Q8_0 row is not a multiple of
// 32).
//
// # Qwen2.5-VL: main file plus mmproj
//
// A Qwen2.5-VL checkpoint is split as llama.cpp does: the text decoder into
// the main file with general.architecture "qwen2vl" (the qwen2 keys under
// the qwen2vl. prefix plus qwen2vl.rope.dimension_sections, the M-RoPE
// sections padded with zeros to four int32), and the vision tower into a
// companion "mmproj-<main file name>" beside it (weights.MMProjPath), in
// the layout of llama.cpp's clip/mtmd with projector qwen2.5vl_merger.
// weights.Open of the main file loads the companion too.
//
// mmproj metadata keys (types as written):
//
//	general.architecture                   string  "clip"
//	general.type                           string  "mmproj"
//	general.name                           string
//	general.file_type                      u32
//	general.quantization_version           u32     2
//	clip.has_vision_encoder                bool    true
//	clip.projector_type                    string  "qwen2.5vl_merger"
//	clip.use_silu                          bool    true (SwiGLU MLP with SiLU)
//	clip.vision.projection_dim             u32     text hidden size (merger output)
//	clip.vision.image_size                 u32     560 (converter default; unused by Qwen)
//	clip.vision.patch_size                 u32     14
//	clip.vision.embedding_length           u32     vision hidden size
//	clip.vision.feed_forward_length        u32     vision MLP size
//	clip.vision.block_count                u32     depth
//	clip.vision.attention.head_count       u32
//	clip.vision.attention.layer_norm_epsilon f32   text rms_norm_eps (as the converter)
//	clip.vision.image_mean, image_std      [f32 x3] from preprocessor_config.json
//	clip.vision.n_wa_pattern               u32     fullatt_block_indexes[0]+1: block i
//	                                               attends fully when (i+1) % n == 0
//	clip.vision.window_size                u32     window_size (llama.cpp assumes 112
//	                                               when absent)
//	clip.vision.spatial_merge_size         u32     2
//	clip.vision.image_min_pixels, image_max_pixels u32  from preprocessor_config.json
//
// The last four are llama.cpp keys (gguf-py constants) that its converter
// does not write for Qwen2.5-VL; they make the file self-sufficient.
//
// mmproj tensors (HF name → GGUF name; N the block):
//
//	visual.patch_embed.proj.weight (C,3,2,P,P) → v.patch_embd.weight   (C,3,P,P) temporal slice 0
//	                                           v.patch_embd.weight.1 (C,3,P,P) temporal slice 1
//	                                           (F16 in an F16 file, F32 otherwise)
//	visual.blocks.N.norm1.weight            → v.blk.N.ln1.weight
//	visual.blocks.N.norm2.weight            → v.blk.N.ln2.weight
//	visual.blocks.N.attn.qkv.{weight,bias}  → v.blk.N.attn_q / attn_k / attn_v (rows split in thirds)
//	visual.blocks.N.attn.proj.*             → v.blk.N.attn_out.*
//	visual.blocks.N.mlp.gate_proj.*         → v.blk.N.ffn_gate.*
//	visual.blocks.N.mlp.up_proj.*           → v.blk.N.ffn_up.*
//	visual.blocks.N.mlp.down_proj.*         → v.blk.N.ffn_down.*
//	visual.merger.ln_q.weight               → v.post_ln.weight
//	visual.merger.mlp.0.*                   → mm.0.*
//	visual.merger.mlp.2.*                   → mm.2.*
//
// Reading the pair back, q/k/v are fused again and the two temporal slices
// stacked, on the heap (every other tensor stays memory-mapped), and a
// config.json with vision_config, rope_scaling and the vision token ids,
// plus a preprocessor_config.json (Checkpoint.PreprocessorJSON), are
// synthesized from the metadata.
package quant
