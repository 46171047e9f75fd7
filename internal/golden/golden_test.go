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

func (r *recorder) Helper()             {}
func (r *recorder) Logf(string, ...any) {}
func (r *recorder) Errorf(format string, args ...any) {
	r.failed = append(r.failed, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...) }
func (r *recorder) Fatal(args ...any)                 { r.Errorf("%s", fmt.Sprint(args...)) }

// write puts content in a fresh file named name and returns its path.
func write(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// contents returns what path holds, or the read error in brackets, which
// then matches no expected content.
func contents(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(b)
}

// TestCheckIsByteExact: a golden that holds the same JSON written with
// other key order, spacing or escaping does not match, and the report shows
// the line; an explain func that sees no difference does not hide it.
func TestCheckIsByteExact(t *testing.T) {
	t.Setenv(Env, "") // compare even under make golden
	const got = `{"src": "n1", "dest": "c1", "body": {"type": "echo_ok", "echo": "caf\u00e9", "in_reply_to": 2, "msg_id": 1}}` + "\n"
	same := func(want, got []byte) string { return "" } // as a JSON comparison would say
	for name, golden := range map[string]string{
		"reversed keys": `{"body": {"msg_id": 1, "in_reply_to": 2, "echo": "caf\u00e9", "type": "echo_ok"}, "dest": "c1", "src": "n1"}` + "\n",
		"no spaces":     `{"src":"n1","dest":"c1","body":{"type":"echo_ok","echo":"caf\u00e9","in_reply_to":2,"msg_id":1}}` + "\n",
		"raw UTF-8":     `{"src": "n1", "dest": "c1", "body": {"type": "echo_ok", "echo": "café", "in_reply_to": 2, "msg_id": 1}}` + "\n",
		"no newline":    strings.TrimSuffix(got, "\n"),
	} {
		r := &recorder{TB: t}
		Check(r, write(t, "x.golden", golden), []byte(got), same)
		if len(r.failed) != 1 || !strings.Contains(r.failed[0], "line 1") && name != "no newline" {
			t.Errorf("%s: Check reported %q, want one failure showing the line", name, r.failed)
		}
	}
	r := &recorder{TB: t}
	Check(r, write(t, "x.golden", got), []byte(got), nil)
	if len(r.failed) != 0 {
		t.Errorf("identical bytes reported %q", r.failed)
	}
	r = &recorder{TB: t}
	Check(r, filepath.Join(t.TempDir(), "missing.golden"), []byte(got), nil)
	if len(r.failed) != 1 || !strings.Contains(r.failed[0], "make golden") {
		t.Errorf("a missing golden file reported %q, want one failure saying how to create it", r.failed)
	}
}

// TestUpdate: with the variable set, Check rewrites the golden file and
// reports nothing; it never writes a .in file (an input), and a value that
// is not a boolean fails rather than being read as "no".
func TestUpdate(t *testing.T) {
	t.Setenv(Env, "1")
	path := write(t, "x.golden", "old\n")
	r := &recorder{TB: t}
	Check(r, path, []byte("new\n"), nil)
	if len(r.failed) != 0 || contents(path) != "new\n" {
		t.Errorf("update: reported %q, file holds %q; want no failure and %q", r.failed, contents(path), "new\n")
	}

	in := write(t, "x.in", "input\n")
	r = &recorder{TB: t}
	Check(r, in, []byte("output\n"), nil)
	if len(r.failed) != 1 || contents(in) != "input\n" {
		t.Errorf("update of a .in file: reported %q, file holds %q; want a failure and the input untouched", r.failed, contents(in))
	}

	t.Setenv(Env, "yes please")
	r = &recorder{TB: t}
	Check(r, path, []byte("other\n"), nil)
	if len(r.failed) != 1 || !strings.Contains(r.failed[0], Env) || contents(path) != "new\n" {
		t.Errorf("%s=%q: reported %q, file holds %q; want a failure naming %s and the file untouched", Env, "yes please", r.failed, contents(path), Env)
	}

	t.Setenv(Env, "0")
	r = &recorder{TB: t}
	Check(r, path, []byte("other\n"), nil)
	if len(r.failed) != 1 || contents(path) != "new\n" {
		t.Errorf("%s=0: reported %q, file holds %q; want a mismatch and the file untouched", Env, r.failed, contents(path))
	}
}
