package docs

import (
	"go/parser"
	"go/token"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// module is the import path of the repository's root (the nested backoff
// module's path extends it).
const module = "github.com/backoff-node/backoff-node"

// externals are the short names ARCHITECTURE.md gives the modules of others
// the code imports, by path prefix; one not here is named by its full path.
var externals = map[string]string{
	"github.com/jepsen-io/maelstrom/demo/go": "maelstrom",
	"gonum.org/v1/plot":                      "gonum/plot",
	"github.com/google/go-cmp":               "go-cmp",
}

// arrow is what ARCHITECTURE.md's arrow lines hold between the room and
// what it imports: "ROOM ──► A, B" or "tests of ROOM ──► A, B".
const arrow = "──►"

// TestArchitectureArrows: the arrows ARCHITECTURE.md draws are the imports
// of the code, every one and no other: for each room (a package, named by
// its directory; the root is main.go), what its non-test files import of
// ours and of others' modules (the standard library left out), and what
// its tests import beyond that.
func TestArchitectureArrows(t *testing.T) {
	b, err := os.ReadFile("ARCHITECTURE.md")
	if err != nil {
		t.Fatal(err)
	}
	drawn := map[string]string{}
	for l := range strings.Lines(string(b)) {
		from, to, ok := strings.Cut(l, arrow)
		if !ok {
			continue
		}
		targets := strings.Split(to, ",")
		for i := range targets {
			targets[i] = strings.TrimSpace(targets[i])
		}
		slices.Sort(targets)
		drawn[strings.TrimSpace(from)] = strings.Join(targets, ", ")
	}
	imported := imports(t)
	for _, from := range slices.Sorted(maps.Keys(imported)) {
		want := strings.Join(imported[from], ", ")
		switch got, ok := drawn[from]; {
		case !ok:
			t.Errorf("ARCHITECTURE.md draws no arrows from %s; the code has: %s ──► %s", from, from, want)
		case got != want:
			t.Errorf("ARCHITECTURE.md draws %s ──► %s; the code has: %s ──► %s", from, got, from, want)
		}
		delete(drawn, from)
	}
	for from, to := range drawn {
		t.Errorf("ARCHITECTURE.md draws %s ──► %s, which the code does not import", from, to)
	}
	if len(imported) < 8 {
		t.Errorf("only %d rooms with imports found", len(imported))
	}
}

// imports returns, for each room with any, the rooms and modules its
// non-test files import (key: room) and those its tests add (key: "tests
// of " + room), sorted.
func imports(t *testing.T) map[string][]string {
	fset := token.NewFileSet()
	sets := map[string]map[string]bool{}
	for _, path := range goFiles(t) {
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		room := room(dirFromRoot(path))
		key := room
		if strings.HasSuffix(path, "_test.go") {
			key = "tests of " + room
		}
		for _, spec := range f.Imports {
			p, _ := strconv.Unquote(spec.Path.Value)
			if to := name(p); to != "" && to != room {
				if sets[key] == nil {
					sets[key] = map[string]bool{}
				}
				sets[key][to] = true
			}
		}
	}
	out := map[string][]string{}
	for key, set := range sets {
		if r, ok := strings.CutPrefix(key, "tests of "); ok {
			for to := range sets[r] {
				delete(set, to) // the tests' own arrows only
			}
		}
		if len(set) > 0 {
			out[key] = slices.Sorted(maps.Keys(set))
		}
	}
	return out
}

// room names a directory from the root as ARCHITECTURE.md does.
func room(dir string) string {
	if dir == "." {
		return "main.go"
	}
	return dir
}

// name is what ARCHITECTURE.md calls an import path: the room for ours, the
// short name (or path) for others' modules, "" for the standard library.
func name(path string) string {
	if path == module {
		return "main.go"
	}
	if r, ok := strings.CutPrefix(path, module+"/"); ok {
		return r
	}
	for prefix, short := range externals {
		if path == prefix || strings.HasPrefix(path, prefix+"/") {
			return short
		}
	}
	if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
		return path
	}
	return ""
}
