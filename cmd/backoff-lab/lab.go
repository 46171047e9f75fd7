package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/backoff-node/backoff-node/herdsim"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the command failed
	exitUsage = 2 // the command line is wrong
)

// Defaults of the command line.
const (
	defaultSeed  = 1
	defaultSeeds = 20 // the quality bar averages seeds 1..20
	defaultOut   = "out/lab"
)

const usage = `usage: backoff-lab <command> [flags]

commands:
  compare     herd metrics of every strategy, averaged over seeds
  sim         raw retry times (job, retry, time) of one strategy
  plot        PNG and SVG charts of the retries of every strategy
  contention  AWS's contention experiment, then our strategy
  overload    recovery from overload: scenarios × retry policies
  errors      success and attempts a request against the error rate (steady load)
  fleet       storm recovery against the number of clients, each with its own control

Run 'backoff-lab <command> -h' for the flags of a command.
`

// errUsage marks an error in the command line.
var errUsage = errors.New("usage")

// run is the whole program: it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	commands := map[string]func([]string, io.Writer, io.Writer) error{
		"compare":    compareCmd,
		"sim":        simCmd,
		"plot":       plotCmd,
		"contention": contentionCmd,
		"overload":   overloadCmd,
		"errors":     errorsCmd,
		"fleet":      fleetCmd,
	}
	name := args[0]
	if name == "-h" || name == "--help" || name == "help" {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "backoff-lab: unknown command %q\n%s", name, usage)
		return exitUsage
	}
	err := cmd(args[1:], stdout, stderr)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "backoff-lab %s: %v\n", name, err)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "backoff-lab %s: %v\n", name, err)
		return exitError
	}
}

// flagSet returns a FlagSet that prints its usage to stderr and does not
// exit. Its own error messages are discarded: run reports the error once,
// after the usage, rather than the flag package and run both.
func flagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: backoff-lab %s %s\n", name, synopsis)
		fs.SetOutput(stderr)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parse parses args and rejects positional arguments.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	return nil
}

// formats are the values --format accepts.
var formats = []string{"table", "json", "csv"}

func checkFormat(f string) error {
	if !slices.Contains(formats, f) {
		return fmt.Errorf("%w: --format %q; valid: %s", errUsage, f, strings.Join(formats, ", "))
	}
	return nil
}

// checkRange rejects a count below 1 or above most.
func checkRange(name string, v, most int) error {
	if v <= 0 || v > most {
		return fmt.Errorf("%w: --%s %d; want a positive number up to %d", errUsage, name, v, most)
	}
	return nil
}

// output returns where a command writes its table: stdout, or the file
// DIR/<command>.<format> when dir is set. Call the returned close when done.
func output(dir, command, format string, stdout, stderr io.Writer) (io.Writer, func() error, error) {
	if dir == "" {
		return stdout, func() error { return nil }, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	ext := format
	if ext == "table" {
		ext = "txt"
	}
	path := filepath.Join(dir, command+"."+ext)
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, err
	}
	return f, func() error {
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "wrote %s\n", path)
		return nil
	}, nil
}

// emit writes t in format to stdout, or to DIR/<command>.<format> when dir
// is set.
func emit(t table, dir, command, format string, stdout, stderr io.Writer) error {
	w, done, err := output(dir, command, format, stdout, stderr)
	if err != nil {
		return err
	}
	if err := t.write(w, format); err != nil {
		done()
		return err
	}
	return done()
}

// herdFlags are the flags of the commands that simulate a herd.
type herdFlags struct {
	jobs, retries *int
	seed          *uint64
}

func addHerdFlags(fs *flag.FlagSet) herdFlags {
	return herdFlags{
		jobs:    fs.Int("jobs", herdsim.DefaultJobs, "jobs that fail together at time 0"),
		retries: fs.Int("retries", herdsim.DefaultRetries, "retries of each job"),
		seed:    fs.Uint64("seed", defaultSeed, "seed of the simulation (compare: the first seed)"),
	}
}

// Limits of a herd: a herd is held in memory, jobs × retries times.
const (
	maxJobs      = 1_000_000
	maxRetries   = 10_000
	maxHerdTimes = 10_000_000 // 80 MB of float64
)

func (h herdFlags) check() error {
	if err := checkRange("jobs", *h.jobs, maxJobs); err != nil {
		return err
	}
	if err := checkRange("retries", *h.retries, maxRetries); err != nil {
		return err
	}
	if *h.jobs**h.retries > maxHerdTimes {
		return fmt.Errorf("%w: --jobs %d × --retries %d is %d retry times; want at most %d", errUsage, *h.jobs, *h.retries, *h.jobs**h.retries, maxHerdTimes)
	}
	return nil
}
