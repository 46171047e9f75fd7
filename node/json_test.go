package node

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// The expected strings are what Python 3's json.dumps writes for the same
// values (checked by hand against CPython 3.11).
func TestAppendString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"backoff", `"backoff"`},
		{`say "hi"\`, `"say \"hi\"\\"`},
		{"tab\tnl\ncr\rbs\bff\f", `"tab\tnl\ncr\rbs\bff\f"`},
		{"\x00\x1f\x7f", `"\u0000\u001f\u007f"`},
		{"ünï", `"\u00fcn\u00ef"`},
		{"🙂", `"\ud83d\ude42"`},
		{"</script>&", `"</script>&"`},
	}
	for _, tt := range tests {
		if got := string(appendString(nil, tt.in)); got != tt.want {
			t.Errorf("appendString(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestAppendFloat(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0.0"}, {2, "2.0"}, {0.1, "0.1"}, {86400, "86400.0"}, {-1.5, "-1.5"},
		{0.001, "0.001"}, {0.0001, "0.0001"}, {0.00001, "1e-05"}, {1.5e-7, "1.5e-07"},
		{1e15, "1000000000000000.0"}, {1e16, "1e+16"}, {1.25e17, "1.25e+17"},
		{math.Nextafter(0.3, 1), "0.30000000000000004"}, {math.MaxFloat64, "1.7976931348623157e+308"},
	}
	for _, tt := range tests {
		if got := string(appendFloat(nil, tt.in)); got != tt.want {
			t.Errorf("appendFloat(%v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestAppendValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"a":1,"b":[1,2,{"c":null}]}`, `{"a": 1, "b": [1, 2, {"c": null}]}`},
		{` { "a" : "x , y : z" } `, `{"a": "x , y : z"}`},
		{`{}`, `{}`},
		{`[]`, `[]`},
		{`"caf\u00e9"`, `"caf\u00e9"`},
		{`"café"`, `"caf\u00e9"`},
		{`"a\/b"`, `"a/b"`},
		{`-1.5e+3`, `-1.5e+3`},
	}
	for _, tt := range tests {
		if got := string(appendValue(nil, []byte(tt.in))); got != tt.want {
			t.Errorf("appendValue(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestParseObject(t *testing.T) {
	valid := []string{
		`{}`, ` {"a":1} `, `{"a":{"b":[1,2.5e-3,-0,true,false,null,"s\n"]}}`, `{"a":1,"a":2}`,
		`{"k":"\ud83d\ude42"}`,
	}
	for _, in := range valid {
		got, err := parseObject([]byte(in), nil)
		if err != nil {
			t.Errorf("parseObject(%s) = %v, want it accepted", in, err)
			continue
		}
		var want map[string]json.RawMessage
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatalf("encoding/json rejects %s: %v", in, err)
		}
		if len(got) != len(want) {
			t.Errorf("parseObject(%s) has %d members, want %d", in, len(got), len(want))
		}
	}
	// A repeated key keeps its first place and its last value, like Python.
	got, _ := parseObject([]byte(`{"a":1,"b":2,"a":3}`), nil)
	if len(got) != 2 || got[0].Key != "a" || string(got[0].Value) != "3" {
		t.Errorf("repeated key: got %v", got)
	}
	invalid := []string{
		``, `[]`, `{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{a:1}`, `{"a":01}`, `{"a":1.}`, `{"a":.5}`,
		`{"a":1e}`, `{"a":-}`, `{"a":tru}`, `{"a":"\x"}`, `{"a":"\u12"}`, "{\"a\":\"\x01\"}", `{"a":NaN}`,
		`{"a":1} {}`, `{"a":[1,]}`, `{"a":[1 2]}`, `{"a":"unterminated}`, strings.Repeat("[", 2000),
		`{"a":` + strings.Repeat("[", 1001) + strings.Repeat("]", 1001) + `}`,
	}
	for _, in := range invalid {
		if _, err := parseObject([]byte(in), nil); err == nil {
			t.Errorf("parseObject(%.40s) accepted, want an error", in)
		}
	}
}

func TestIntFloat(t *testing.T) {
	ints := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"3", 3, true}, {"-7", -7, true}, {"3.0", 3, true}, {"1e3", 1000, true}, {"9007199254740992", 1 << 53, true},
		{"2.5", 0, false}, {`"3"`, 0, false}, {"1e400", 0, false}, {"null", 0, false}, {"9223372036854775808", 0, false},
	}
	for _, tt := range ints {
		if got, ok := Int([]byte(tt.in)); got != tt.want || ok != tt.ok {
			t.Errorf("Int(%s) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if f, ok := Float([]byte("1e400")); ok {
		t.Errorf("Float(1e400) = %v, true; want not ok (not finite)", f)
	}
	if f, ok := Float([]byte("0.25")); !ok || f != 0.25 {
		t.Errorf("Float(0.25) = %v, %v", f, ok)
	}
}
