package docs

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"slices"
	"strings"
	"testing"
)

// maxFuncLines is the project's limit on a function outside tests, counted
// from the line of func to the line of its closing brace.
const maxFuncLines = 80

// knownLong are the functions over the limit that another change is to
// shorten (file from the root, then name), with its owner. The test logs
// them on every run, and an entry that is no longer over the limit, so
// that it is removed (not failed on: the change that shortens a function
// lives in another room and must not break this test when it lands).
var knownLong = map[string]string{}

// TestNoLongFunctions parses every .go file of the tree that is not a test
// (the nested backoff module included) and fails on any function, named or
// literal, longer than maxFuncLines.
func TestNoLongFunctions(t *testing.T) {
	fset := token.NewFileSet()
	var long []longFunc
	files := 0
	for _, path := range goFiles(t) {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		files++
		long = append(long, longFuncs(fset, f)...)
	}
	t.Logf("%d files outside tests checked", files)
	pending := maps.Clone(knownLong)
	for _, l := range long {
		if owner, ok := pending[l.key]; ok {
			t.Logf("known: %s: %d lines, to be shortened by %s", l.key, l.lines, owner)
			delete(pending, l.key)
			continue
		}
		t.Errorf("%s:%d %s: %d lines (limit %d outside tests)", l.file, l.line, l.name, l.lines, maxFuncLines)
	}
	for key := range pending {
		t.Logf("%s is no longer over %d lines (or gone): remove it from knownLong", key, maxFuncLines)
	}
}

// longFunc is a function over the limit.
type longFunc struct {
	file  string // from the repository's root, with slashes
	line  int
	name  string
	lines int
	key   string // file and name, as in knownLong
}

// longFuncs lists the functions of f longer than maxFuncLines.
func longFuncs(fset *token.FileSet, f *ast.File) []longFunc {
	var long []longFunc
	ast.Inspect(f, func(n ast.Node) bool {
		var name string
		var body *ast.BlockStmt
		switch fn := n.(type) {
		case *ast.FuncDecl:
			name, body = fn.Name.Name, fn.Body
		case *ast.FuncLit:
			name, body = "func literal", fn.Body
		default:
			return true
		}
		if body == nil { // declared in assembly
			return true
		}
		start, end := fset.Position(n.Pos()), fset.Position(body.Rbrace)
		if lines := end.Line - start.Line + 1; lines > maxFuncLines {
			file := fromRoot(start.Filename)
			long = append(long, longFunc{file, start.Line, name, lines, file + " " + name})
		}
		return true
	})
	return long
}

// TestLongFuncsCounts: the count runs from func to the closing brace, so
// that 80 lines pass and 81 do not, for a declaration and for a literal.
func TestLongFuncsCounts(t *testing.T) {
	body := func(n int) string { return strings.Repeat("\t_ = 0\n", n-2) } // n lines with func and }
	src := "package p\n\nfunc ok() {\n" + body(80) + "}\n\nfunc over() {\n" + body(81) + "}\n\n" +
		"var lit = func() {\n" + body(81) + "}\n"
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range longFuncs(fset, f) {
		got = append(got, fmt.Sprintf("%s %d", l.name, l.lines))
	}
	if want := []string{"over 81", "func literal 81"}; !slices.Equal(got, want) {
		t.Errorf("longFuncs = %q, want %q", got, want)
	}
}
