package tokenizer

import (
	"fmt"
	"strconv"
	"strings"
)

// PartType says what a message part holds.
type PartType int

// Part types.
const (
	PartText PartType = iota
	PartImage
	PartVideo
)

// Part is one piece of a message: text, or the placeholder of an image or a
// video whose embeddings the model inserts later.
type Part struct {
	Type PartType
	Text string // PartText only
}

// TextPart, ImagePart and VideoPart build parts.
func TextPart(s string) Part { return Part{Type: PartText, Text: s} }

// ImagePart is an image placeholder.
func ImagePart() Part { return Part{Type: PartImage} }

// VideoPart is a video placeholder.
func VideoPart() Part { return Part{Type: PartVideo} }

// Message is one chat turn. Role is "system", "user" or "assistant".
type Message struct {
	Role    string
	Content []Part
}

// TextMessage is a message holding one text part.
func TextMessage(role, text string) Message {
	return Message{Role: role, Content: []Part{TextPart(text)}}
}

// DefaultSystemPrompt is what the Qwen2.5-VL template inserts when the first
// message is not a system message.
const DefaultSystemPrompt = "You are a helpful assistant."

// ChatOptions change RenderChatWith and EncodeChat.
type ChatOptions struct {
	AddGenerationPrompt bool // end with "<|im_start|>assistant\n"
	// AddVisionID writes "Picture N: " / "Video N: " before each image /
	// video (the template's add_vision_id).
	AddVisionID bool
}

// Template tokens of ChatML / Qwen2.5-VL.
const (
	tokIMStart     = "<|im_start|>"
	tokIMEnd       = "<|im_end|>"
	tokVisionStart = "<|vision_start|>"
	tokVisionEnd   = "<|vision_end|>"
	tokImagePad    = "<|image_pad|>"
	tokVideoPad    = "<|video_pad|>"
)

// chatSeg is a piece of rendered chat: template special token or text.
type chatSeg struct {
	text    string
	special bool
}

// RenderChat renders messages with the Qwen2.5-VL ChatML template, exactly
// as its Jinja source does: a default system turn when the first message is
// not a system message, "<|im_start|>{role}\n{content}<|im_end|>\n" per
// message, an image part as "<|vision_start|><|image_pad|><|vision_end|>",
// and "<|im_start|>assistant\n" when addGenerationPrompt is set.
func RenderChat(msgs []Message, addGenerationPrompt bool) string {
	return RenderChatWith(msgs, ChatOptions{AddGenerationPrompt: addGenerationPrompt})
}

// RenderChatWith is RenderChat with options.
func RenderChatWith(msgs []Message, opt ChatOptions) string {
	var sb strings.Builder
	for _, s := range renderChat(msgs, opt) {
		sb.WriteString(s.text)
	}
	return sb.String()
}

func renderChat(msgs []Message, opt ChatOptions) []chatSeg {
	var segs []chatSeg
	sp := func(tok string) { segs = append(segs, chatSeg{tok, true}) }
	tx := func(s string) {
		if s != "" {
			segs = append(segs, chatSeg{s, false})
		}
	}
	images, videos := 0, 0
	for i, m := range msgs {
		if i == 0 && m.Role != "system" {
			sp(tokIMStart)
			tx("system\n" + DefaultSystemPrompt)
			sp(tokIMEnd)
			tx("\n")
		}
		sp(tokIMStart)
		tx(m.Role + "\n")
		for _, p := range m.Content {
			switch p.Type {
			case PartImage:
				images++
				if opt.AddVisionID {
					tx("Picture " + strconv.Itoa(images) + ": ")
				}
				sp(tokVisionStart)
				sp(tokImagePad)
				sp(tokVisionEnd)
			case PartVideo:
				videos++
				if opt.AddVisionID {
					tx("Video " + strconv.Itoa(videos) + ": ")
				}
				sp(tokVisionStart)
				sp(tokVideoPad)
				sp(tokVisionEnd)
			default:
				tx(p.Text)
			}
		}
		sp(tokIMEnd)
		tx("\n")
	}
	if opt.AddGenerationPrompt {
		sp(tokIMStart)
		tx("assistant\n")
	}
	return segs
}

// EncodeChat renders msgs and tokenizes the result. The template's special
// tokens become their ids; message text is encoded with parseSpecial false,
// so a "<|im_end|>" typed inside a message stays text and cannot forge a
// turn. For text without special-token strings the ids equal
// Encode(RenderChatWith(msgs, opt), true), the Hugging Face result.
func (t *Tokenizer) EncodeChat(msgs []Message, opt ChatOptions) ([]int, error) {
	var ids []int
	var text strings.Builder
	flush := func() {
		if text.Len() > 0 {
			ids = append(ids, t.Encode(text.String(), false)...)
			text.Reset()
		}
	}
	for _, s := range renderChat(msgs, opt) {
		if !s.special {
			text.WriteString(s.text)
			continue
		}
		id, ok := t.isAdded[s.text]
		if !ok {
			return nil, fmt.Errorf("tokenizer: chat template token %q is not an added token of this tokenizer", s.text)
		}
		flush()
		ids = append(ids, id)
	}
	flush()
	return ids, nil
}
