package jsonwire

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"
)

// The differential fuzzers: jsonwire against encoding/json, on whatever
// bytes the fuzzer makes. Their seeds (below, and testdata/fuzz) run under
// go test; `go test -fuzz FuzzParseObject ./internal/jsonwire` (or
// FuzzAppendValue) runs one for longer.

// fuzzSeeds are inputs at the edges of the grammar and of Python's style.
var fuzzSeeds = []string{
	`{}`, ` {"a":1} `, `{"a":{"b":[1,2.5e-3,-0,true,false,null,"s\n"]}}`, `{"a":1,"b":2,"a":3}`,
	`{"k":"\ud83d\ude42"}`, `{"\ud800":["\udfff",{"k":"\u00E9"}]}`, "{\"k\x7f\":\"a\x7fb\"}",
	`{"a":"x\/y\u0041\u005C"}`, `{"a":1E400,"b":-1.5e+3}`, `{"a":[]}`, `{"a":{}}`, "{\"é\":\"🙂\"}",
	`[1,2]`, `"s"`, `{"a":01}`, `{"a":1,}`, `{"a":"\u12"}`, "{\"a\":\"\xff\"}", "{\"a\":\"\x01\"}",
	`{"a":1} {}`, `{"a":` + string(bytes.Repeat([]byte("["), 1000)) + string(bytes.Repeat([]byte("]"), 1000)) + `}`,
}

func FuzzParseObject(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := ParseObject(b, nil)
		valid := json.Valid(b) && b[SkipSpace(b, 0)] == '{'
		if err == nil && (!valid || !utf8.Valid(b)) {
			t.Fatalf("ParseObject accepted %q, which encoding/json rejects (or is not UTF-8)", b)
		}
		if err != nil {
			// encoding/json accepts invalid UTF-8 and nests deeper: only
			// where neither applies must both reject.
			if valid && utf8.Valid(b) && nesting(b) <= maxDepth {
				t.Fatalf("ParseObject rejected %q (%v), which encoding/json accepts", b, err)
			}
			return
		}
		keys, values := decodeMembers(t, b)
		if len(got) != len(keys) {
			t.Fatalf("ParseObject(%q): %d members, encoding/json %d", b, len(got), len(keys))
		}
		for i, m := range got {
			if m.Key != keys[i] || !jsonEqual(t, m.Value, values[m.Key]) {
				t.Fatalf("ParseObject(%q): member %d is %q: %s, encoding/json %q: %s", b, i, m.Key, m.Value, keys[i], values[keys[i]])
			}
			if m.Plain && !bytes.Equal(AppendValue(nil, m.Value), m.Value) {
				t.Fatalf("ParseObject(%q): member %q is marked Plain, but AppendValue rewrites %s", b, m.Key, m.Value)
			}
		}
	})
}

func FuzzAppendValue(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		if !json.Valid(v) || !utf8.Valid(v) || nesting(v) > maxDepth {
			return // AppendValue's input must be valid
		}
		out := AppendValue(nil, v)
		for _, c := range out {
			if c < 0x20 || c >= 0x7f {
				t.Fatalf("AppendValue(%q) = %q: byte %#x, want printable ASCII only, as Python writes", v, out, c)
			}
		}
		if !json.Valid(out) || !jsonEqual(t, out, v) {
			t.Fatalf("AppendValue(%q) = %q: not the same JSON value", v, out)
		}
		if again := AppendValue(nil, out); !bytes.Equal(again, out) {
			t.Fatalf("AppendValue is not stable: %q, then %q", out, again)
		}
	})
}

// decodeMembers decodes the object b with encoding/json: its keys in the
// order they first come, and each key's last value.
func decodeMembers(t *testing.T, b []byte) ([]string, map[string]json.RawMessage) {
	d := json.NewDecoder(bytes.NewReader(b))
	if _, err := d.Token(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	values := map[string]json.RawMessage{}
	for d.More() {
		k, err := d.Token()
		if err != nil {
			t.Fatal(err)
		}
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			t.Fatal(err)
		}
		if _, dup := values[k.(string)]; !dup {
			keys = append(keys, k.(string))
		}
		values[k.(string)] = v
	}
	return keys, values
}

// jsonEqual reports whether a and b decode to the same value, numbers
// compared as written.
func jsonEqual(t *testing.T, a, b []byte) bool {
	decode := func(v []byte) any {
		d := json.NewDecoder(bytes.NewReader(v))
		d.UseNumber()
		var x any
		if err := d.Decode(&x); err != nil {
			t.Fatalf("decoding %q: %v", v, err)
		}
		return x
	}
	return reflect.DeepEqual(decode(a), decode(b))
}

// nesting is how deep arrays and objects nest in the valid JSON text b.
func nesting(b []byte) int {
	depth, deepest, inString := 0, 0, false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case !inString && (c == '[' || c == '{'):
			depth++
			deepest = max(deepest, depth)
		case !inString && (c == ']' || c == '}'):
			depth--
		}
	}
	return deepest
}
