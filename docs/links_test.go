// Package docs holds the project's documents; its tests check that every
// relative link in them, and in the README, resolves, and that the code
// keeps what they say: the import arrows of ARCHITECTURE.md, the tests
// they name, no function over 80 lines outside tests.
package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var link = regexp.MustCompile(`\]\(([^)#\s]+)(#[^)]*)?\)`)

func TestLinksResolve(t *testing.T) {
	checked := 0
	for f, text := range documents(t) {
		for _, m := range link.FindAllStringSubmatch(text, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			checked++
			if _, err := os.Stat(filepath.Join(filepath.Dir(f), target)); err != nil {
				t.Errorf("%s links to %s, which does not exist", f, target)
			}
		}
	}
	if checked == 0 {
		t.Error("no relative links checked")
	}
}
