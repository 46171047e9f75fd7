package node

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/backoff-node/backoff-node/internal/jsonwire"
)

// parseMessage validates one line as a Maelstrom message: a JSON object whose
// src and dest, if present, are strings, and whose body is an object with a
// string type.
func parseMessage(line []byte) (*Request, error) {
	if !utf8.Valid(line) {
		return nil, fmt.Errorf("not valid UTF-8")
	}
	top, err := jsonwire.ParseObject(line, make([]jsonwire.Member, 0, 4))
	if err != nil {
		return nil, err
	}
	req := &Request{}
	var body []byte
	for _, m := range top {
		switch m.Key {
		case "src", "dest":
			s, ok := jsonwire.String(m.Value)
			if !ok {
				return nil, fmt.Errorf("%s is %s, not a string", m.Key, jsonwire.Kind(m.Value))
			}
			if m.Key == "src" {
				req.Src = s
			} else {
				req.Dest = s
			}
		case "body":
			body = m.Value
		}
	}
	if req.Src == "" {
		return nil, fmt.Errorf("no src: nowhere to reply")
	}
	if body == nil {
		return nil, fmt.Errorf("no body")
	}
	if jsonwire.Kind(body) != "object" {
		return nil, fmt.Errorf("body is %s, not an object", jsonwire.Kind(body))
	}
	req.Body = body
	// The body was validated with the line; this only splits it.
	if req.Members, err = jsonwire.ParseObject(body, make([]jsonwire.Member, 0, 8)); err != nil {
		return nil, err
	}
	raw, ok := req.Field("type")
	if !ok {
		return nil, fmt.Errorf("body has no type")
	}
	if req.Type, ok = jsonwire.String(raw); !ok {
		return nil, fmt.Errorf("body type is %s, not a string", jsonwire.Kind(raw))
	}
	if raw, ok := req.Field("msg_id"); ok {
		req.MsgID, req.HasMsgID = jsonwire.Int(raw)
	}
	return req, nil
}

func isBlank(b []byte) bool {
	return jsonwire.SkipSpace(b, 0) == len(b)
}

// snippet shortens b for a log line.
func snippet(b []byte) string {
	const max = 200
	if len(b) <= max {
		return string(b)
	}
	return fmt.Sprintf("%s... (%d bytes)", b[:max], len(b))
}

// stringArray decodes an encoded JSON array of strings.
func stringArray(v []byte) ([]string, error) {
	var out []string
	if err := json.Unmarshal(v, &out); err != nil {
		return nil, fmt.Errorf("is %s, not an array of strings", snippet(v))
	}
	return out, nil
}
