package harness

import (
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"sync"
)

// Import paths of the binaries Build makes.
const (
	// BackoffNodePackage is the project's node.
	BackoffNodePackage = "github.com/backoff-node/backoff-node"
	// EchoNodePackage is the maelstrom library's demo echo node, a peer
	// nobody here wrote; it comes from the module cache at the version
	// go.mod pins.
	EchoNodePackage = "github.com/jepsen-io/maelstrom/demo/go/cmd/maelstrom-echo"
)

// Build builds the backoff node and the demo echo node into dir with the go
// command on PATH (go test puts its own there), without the race detector:
// they are separate processes, and the race detector would only slow them.
// The two builds run at once (on a fresh clone each compiles its own
// dependencies). It must run inside this module. Goroutine dumps need
// GOTRACEBACK=all, which the backoff program sets in its environment.
func Build(dir string) (backoffNode, echoNode Program, err error) {
	pkgs := [2]struct{ name, pkg string }{{"backoff-node", BackoffNodePackage}, {"maelstrom-echo", EchoNodePackage}}
	var errs [2]error
	var wg sync.WaitGroup
	for i, p := range pkgs {
		wg.Go(func() {
			cmd := exec.Command("go", "build", "-o", filepath.Join(dir, p.name), p.pkg)
			if b, err := cmd.CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("harness: go build %s: %v\n%s", p.pkg, err, b)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return Program{}, Program{}, err
	}
	return Program{Name: "backoff-node", Path: filepath.Join(dir, pkgs[0].name), Env: []string{"GOTRACEBACK=all"}, Strict: true},
		Program{Name: "maelstrom-echo", Path: filepath.Join(dir, pkgs[1].name)}, nil
}
