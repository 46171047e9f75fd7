package node

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/backoff-node/backoff-node/internal/jsonwire"
)

// parseScratch holds the reader's reusable member slices: the top level is
// read and dropped, the body's is copied out at its exact length.
type parseScratch struct {
	top, body []jsonwire.Member
}

// parseMessage validates one line as a Maelstrom message into req (its
// members in small if they fit): a JSON
// object whose src and dest, if present, are strings, and whose body is an
// object with a string type.
func (ps *parseScratch) parseMessage(req *Request, line []byte, small []jsonwire.Member) error {
	// UTF-8 is checked in strings, the only place JSON allows non-ASCII.
	top, bodyMembers, err := jsonwire.ParseObjectIn(line, ps.top[:0], "body", ps.body[:0])
	// The scratch must not keep this line's memory alive once it is
	// handled: clear what it points to when done with it.
	defer func() {
		clear(top)
		clear(bodyMembers)
		ps.top, ps.body = top[:0], bodyMembers[:0]
	}()
	if err != nil {
		return err
	}
	var body []byte
	for _, m := range top {
		switch m.Key {
		case "src", "dest":
			s, ok := jsonwire.String(m.Value)
			if !ok {
				return fmt.Errorf("%s is %s, not a string", m.Key, jsonwire.KindOf(m.Value))
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
		return fmt.Errorf("no src: nowhere to reply")
	}
	if body == nil {
		return fmt.Errorf("no body")
	}
	if jsonwire.KindOf(body) != jsonwire.ObjectKind {
		return fmt.Errorf("body is %s, not an object", jsonwire.KindOf(body))
	}
	req.Body = body
	if len(bodyMembers) <= len(small) {
		req.Members = small[:copy(small, bodyMembers)]
	} else {
		req.Members = slices.Clone(bodyMembers)
	}
	raw, ok := req.Field("type")
	if !ok {
		return fmt.Errorf("body has no type")
	}
	if req.Type, ok = jsonwire.String(raw); !ok {
		return fmt.Errorf("body type is %s, not a string", jsonwire.KindOf(raw))
	}
	if raw, ok := req.Field("msg_id"); ok {
		req.MsgID, req.HasMsgID = jsonwire.Int(raw)
	}
	return nil
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
