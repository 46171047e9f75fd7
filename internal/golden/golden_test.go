package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	failed []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.failed = append(r.failed, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...) }

// TestCheckIsByteExact: a golden that holds the same JSON written with
// other key order, spacing or escaping does not match, and the report shows
// the line; an explain func that sees no difference does not hide it.
func TestCheckIsByteExact(t *testing.T) {
	const got = `{"src": "n1", "dest": "c1", "body": {"type": "echo_ok", "echo": "caf\u00e9", "in_reply_to": 2, "msg_id": 1}}` + "\n"
	same := func(want, got []byte) string { return "" } // as a JSON comparison would say
	for name, golden := range map[string]string{
		"reversed keys": `{"body": {"msg_id": 1, "in_reply_to": 2, "echo": "caf\u00e9", "type": "echo_ok"}, "dest": "c1", "src": "n1"}` + "\n",
		"no spaces":     `{"src":"n1","dest":"c1","body":{"type":"echo_ok","echo":"caf\u00e9","in_reply_to":2,"msg_id":1}}` + "\n",
		"raw UTF-8":     `{"src": "n1", "dest": "c1", "body": {"type": "echo_ok", "echo": "café", "in_reply_to": 2, "msg_id": 1}}` + "\n",
		"no newline":    strings.TrimSuffix(got, "\n"),
	} {
		path := filepath.Join(t.TempDir(), "x.golden")
		if err := os.WriteFile(path, []byte(golden), 0o644); err != nil {
			t.Fatal(err)
		}
		r := &recorder{TB: t}
		Check(r, path, []byte(got), same)
		if len(r.failed) != 1 || !strings.Contains(r.failed[0], "line 1") && name != "no newline" {
			t.Errorf("%s: Check reported %q, want one failure showing the line", name, r.failed)
		}
	}
	path := filepath.Join(t.TempDir(), "x.golden")
	os.WriteFile(path, []byte(got), 0o644)
	r := &recorder{TB: t}
	Check(r, path, []byte(got), nil)
	if len(r.failed) != 0 {
		t.Errorf("identical bytes reported %q", r.failed)
	}
}
