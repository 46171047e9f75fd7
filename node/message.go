package node

import (
	"fmt"
	"unicode/utf8"
)

// parseMessage validates one line as a Maelstrom message: a JSON object whose
// src and dest, if present, are strings, and whose body is an object with a
// string type.
func parseMessage(line []byte) (*Request, error) {
	if !utf8.Valid(line) {
		return nil, fmt.Errorf("not valid UTF-8")
	}
	top, err := parseObject(line, make([]Member, 0, 4))
	if err != nil {
		return nil, err
	}
	req := &Request{}
	var body []byte
	for _, m := range top {
		switch m.Key {
		case "src", "dest":
			s, ok := String(m.Value)
			if !ok {
				return nil, fmt.Errorf("%s is %s, not a string", m.Key, Kind(m.Value))
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
	if Kind(body) != "object" {
		return nil, fmt.Errorf("body is %s, not an object", Kind(body))
	}
	req.Body = body
	// The body was validated with the line; this only splits it.
	if req.Members, err = parseObject(body, make([]Member, 0, 8)); err != nil {
		return nil, err
	}
	raw, ok := req.Field("type")
	if !ok {
		return nil, fmt.Errorf("body has no type")
	}
	if req.Type, ok = String(raw); !ok {
		return nil, fmt.Errorf("body type is %s, not a string", Kind(raw))
	}
	if raw, ok := req.Field("msg_id"); ok {
		req.MsgID, req.HasMsgID = Int(raw)
	}
	return req, nil
}

// Object validates v as a JSON object and returns its members in order.
func Object(v []byte) ([]Member, error) {
	return parseObject(v, nil)
}

func isBlank(b []byte) bool {
	return skipSpace(b, 0) == len(b)
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
	if Kind(v) != "array" {
		return nil, fmt.Errorf("is %s, not an array of strings", Kind(v))
	}
	var out []string
	i := skipSpace(v, 1)
	if i < len(v) && v[i] == ']' {
		return out, nil
	}
	for i < len(v) {
		end, err := scanValue(v, i, 0)
		if err != nil {
			return nil, err
		}
		s, ok := String(v[i:end])
		if !ok {
			return nil, fmt.Errorf("has %s %s, not a string", Kind(v[i:end]), snippet(v[i:end]))
		}
		out = append(out, s)
		i = skipSpace(v, end)
		if i < len(v) && v[i] == ',' {
			i = skipSpace(v, i+1)
			continue
		}
		break
	}
	return out, nil
}
