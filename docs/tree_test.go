package docs

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// skipDirs are the directories the walks of the tree do not enter, and why:
// none holds the project's Go source. They are logged, so that nothing is
// left out unseen.
var skipDirs = map[string]string{
	".git":     "git's own files",
	"testdata": "test inputs, which the go tool does not build",
	"bin":      "build output",
	"out":      "benchmark, lab and soak output",
}

// goFiles returns every .go file of the repository (the nested backoff
// module included), by path from docs/, test files included.
func goFiles(t *testing.T) []string {
	t.Helper()
	var files, skipped []string
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if why, ok := skipDirs[d.Name()]; ok {
				skipped = append(skipped, path+" ("+why+")")
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d Go files; not entered: %s", len(files), strings.Join(skipped, ", "))
	if len(files) < 100 {
		t.Fatalf("only %d Go files found: is the walk rooted at the repository?", len(files))
	}
	return files
}

// fromRoot is path (as goFiles gives it) from the repository's root, with
// slashes; the root itself is ".".
func fromRoot(path string) string {
	rel, err := filepath.Rel("..", path)
	if err != nil {
		return filepath.ToSlash(path)
	}
	return filepath.ToSlash(rel)
}

// dirFromRoot is the directory of path (as goFiles gives it) from the
// repository's root.
func dirFromRoot(path string) string { return fromRoot(filepath.Dir(path)) }

// documents returns the text of every document: the Markdown files here
// and the README, by path from docs/.
func documents(t *testing.T) map[string]string {
	t.Helper()
	files, _ := filepath.Glob("*.md")
	files = append(files, "../README.md")
	if len(files) < 5 {
		t.Fatalf("only %d documents found", len(files))
	}
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[f] = string(b)
	}
	return out
}
