package backoff_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// maxNames is how many top-level names package backoff may export: Retry,
// its options and errors, the retry controls, Duration and the standard
// strategies. Others belong in package catalog or unexported.
const maxNames = 50

// TestSurface: the package exports at most maxNames top-level names, so
// that nobody grows it without deciding to.
func TestSurface(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, exported(f)...)
	}
	slices.Sort(names)
	t.Logf("%d exported names: %s", len(names), strings.Join(names, " "))
	if len(names) > maxNames {
		t.Errorf("package backoff exports %d top-level names, want at most %d: %s", len(names), maxNames, strings.Join(names, " "))
	}
}

// exported returns the exported top-level names f declares: functions (not
// methods), types, constants and variables.
func exported(f *ast.File) []string {
	var names []string
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil && d.Name.IsExported() {
				names = append(names, d.Name.Name)
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					if s.Name.IsExported() {
						names = append(names, s.Name.Name)
					}
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if n.IsExported() {
							names = append(names, n.Name)
						}
					}
				}
			}
		}
	}
	return names
}
