package harness

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// A Message is one line of the protocol, checked and split.
type Message struct {
	Src, Dest string
	// Body is the body as it came, encoded.
	Body json.RawMessage
	// Type is the body's type.
	Type string
	// MsgID and InReplyTo are the body's ids; the Has fields say whether
	// they were present.
	MsgID, InReplyTo       int64
	HasMsgID, HasInReplyTo bool

	line []byte // the line as written, without its newline
}

// Line returns the message as it was written, without the newline.
func (m *Message) Line() []byte { return m.line }

// Decode decodes the body into v, numbers as json.Number when v is an any.
func (m *Message) Decode(v any) error {
	d := json.NewDecoder(bytes.NewReader(m.Body))
	d.UseNumber()
	return d.Decode(v)
}

// Fields returns the body as a map, numbers as json.Number; nil if the body
// does not decode (it always does for a checked message).
func (m *Message) Fields() map[string]any {
	var f map[string]any
	if m.Decode(&f) != nil {
		return nil
	}
	return f
}

func (m *Message) String() string { return string(m.line) }

// ParseLine checks one line as Maelstrom's network checks what a node
// writes: a JSON object whose only keys are src, dest and body; src and dest
// non-empty strings; body an object with a string type, and integer msg_id
// and in_reply_to where present.
func ParseLine(line []byte) (*Message, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(line, &top); err != nil {
		return nil, fmt.Errorf("not a JSON object: %v", err)
	}
	if top == nil {
		return nil, fmt.Errorf("not a JSON object: null")
	}
	m := &Message{line: line}
	for k, v := range top {
		switch k {
		case "src", "dest":
			var s string
			if err := json.Unmarshal(v, &s); err != nil || s == "" {
				return nil, fmt.Errorf("%s is %s, want a non-empty string", k, v)
			}
			if k == "src" {
				m.Src = s
			} else {
				m.Dest = s
			}
		case "body":
			m.Body = v
		default:
			return nil, fmt.Errorf("extra top-level key %q", k)
		}
	}
	switch {
	case m.Src == "":
		return nil, fmt.Errorf("no src")
	case m.Dest == "":
		return nil, fmt.Errorf("no dest")
	case m.Body == nil:
		return nil, fmt.Errorf("no body")
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(m.Body, &body); err != nil || body == nil {
		return nil, fmt.Errorf("body is not an object: %s", m.Body)
	}
	raw, ok := body["type"]
	if !ok || json.Unmarshal(raw, &m.Type) != nil {
		return nil, fmt.Errorf("body has no string type")
	}
	var err error
	if m.MsgID, m.HasMsgID, err = intMember(body, "msg_id"); err != nil {
		return nil, err
	}
	if m.InReplyTo, m.HasInReplyTo, err = intMember(body, "in_reply_to"); err != nil {
		return nil, err
	}
	return m, nil
}

func intMember(body map[string]json.RawMessage, key string) (int64, bool, error) {
	raw, ok := body[key]
	if !ok {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("%s is %s, want an integer", key, raw)
	}
	return n, true, nil
}

// encode writes a message line the way a client would.
func encode(src, dest string, body map[string]any) ([]byte, error) {
	return json.Marshal(struct {
		Src  string         `json:"src"`
		Dest string         `json:"dest"`
		Body map[string]any `json:"body"`
	}{src, dest, body})
}
