package harness

import (
	"fmt"
	"os/exec"
	"path/filepath"
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
// It must run inside this module. Goroutine dumps need GOTRACEBACK=all,
// which the backoff program sets in its environment.
func Build(dir string) (backoffNode, echoNode Program, err error) {
	build := func(name, pkg string) (string, error) {
		out := filepath.Join(dir, name)
		cmd := exec.Command("go", "build", "-o", out, pkg)
		if b, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("harness: go build %s: %v\n%s", pkg, err, b)
		}
		return out, nil
	}
	bin, err := build("backoff-node", BackoffNodePackage)
	if err != nil {
		return Program{}, Program{}, err
	}
	echo, err := build("maelstrom-echo", EchoNodePackage)
	if err != nil {
		return Program{}, Program{}, err
	}
	return Program{Name: "backoff-node", Path: bin, Env: []string{"GOTRACEBACK=all"}, Strict: true},
		Program{Name: "maelstrom-echo", Path: echo}, nil
}
