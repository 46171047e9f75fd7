package docs

import (
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"strings"
	"testing"
)

// testName is how a document names a test, a benchmark or a fuzz target.
var testName = regexp.MustCompile(`\b(Test|Benchmark|Fuzz)[A-Z][A-Za-z0-9_]*`)

// TestNamedTestsExist: every test, benchmark and fuzz target a document
// names (SPEC.md names the test of each rule) is declared in a _test.go
// file of the tree, so that a rename or a removal cannot leave a rule
// pointing at nothing.
func TestNamedTestsExist(t *testing.T) {
	declared := map[string]bool{}
	fset := token.NewFileSet()
	for _, path := range goFiles(t) {
		if !strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil {
				declared[fn.Name.Name] = true
			}
		}
	}
	named := 0
	for doc, text := range documents(t) {
		for _, name := range testName.FindAllString(text, -1) {
			named++
			if !declared[name] {
				t.Errorf("%s names %s, which no _test.go file declares", doc, name)
			}
		}
	}
	if named < 20 {
		t.Errorf("only %d test names found in the documents", named)
	}
}
