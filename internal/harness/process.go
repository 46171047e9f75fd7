package harness

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// A Program is a node binary and how to run it.
type Program struct {
	// Name names the program in logs.
	Name string
	// Path is the binary; Args and Env are added to its command line and
	// to the test's environment.
	Path string
	Args []string
	Env  []string
	// Strict checks the wire contract's msg_id rule on everything the
	// program writes: every body has a msg_id, they count 0, 1, 2, ... in
	// the order of the lines, and init_ok comes first. The backoff node is
	// strict; the demo echo node, which copies the request's msg_id into
	// its reply, is not.
	Strict bool
}

// A Process is a node running as an operating-system process. It can be
// stopped, killed and started again under the same id; each start is a new
// incarnation with its own msg_id counter.
type Process struct {
	net  *Network
	id   string
	prog Program
	peer *peer

	mu      sync.Mutex
	inc     *incarnation // the latest
	starts  int
	peakRSS int64 // bytes, the largest VmHWM read of any incarnation
	stderr  string
}

// incarnation is one run of the process.
type incarnation struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	pid    int
	queue  lineQueue
	exited chan struct{} // closed once cmd.Wait returned
	state  *os.ProcessState
	// killed: the test ended it by a signal, so any exit status is fine.
	killed bool
	// stderrAt is the size of the stderr file when it started.
	stderrAt int64
	// ready is set once init_ok came: only then does the network deliver
	// to it, as Maelstrom does.
	ready   atomic.Bool
	readyAt time.Time // guarded by Process.mu
}

// ID returns the node's id.
func (p *Process) ID() string { return p.id }

// PID returns the operating-system id of the latest incarnation.
func (p *Process) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inc == nil {
		return 0
	}
	return p.inc.pid
}

func (p *Process) running() bool {
	p.mu.Lock()
	inc := p.inc
	p.mu.Unlock()
	if inc == nil {
		return false
	}
	select {
	case <-inc.exited:
		return false
	default:
		return inc.ready.Load() && !inc.queue.isClosed()
	}
}

// Started returns when the latest incarnation answered init: from then on
// the network delivers to it.
func (p *Process) Started() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inc == nil {
		return time.Time{}
	}
	return p.inc.readyAt
}

// Running reports whether the latest incarnation has answered init, is
// running and has its stdin open.
func (p *Process) Running() bool { return p.running() }

// start runs a new incarnation, sends it init and waits for init_ok.
func (p *Process) start() error {
	if err := p.claim(); err != nil {
		return err
	}
	inc, stdout, err := p.spawn()
	if err != nil {
		return err
	}
	p.watch(inc, stdout)
	return p.handshake(inc)
}

// claim counts a new start, unless an incarnation is still running.
func (p *Process) claim() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inc != nil {
		select {
		case <-p.inc.exited:
		default:
			return fmt.Errorf("harness: start %s: still running", p.id)
		}
	}
	p.starts++
	if p.stderr == "" {
		p.stderr = filepath.Join(p.net.dir, p.id+".stderr")
	}
	return nil
}

// spawn starts the program with its stderr appended to the process's log
// and makes it the latest incarnation.
func (p *Process) spawn() (*incarnation, io.ReadCloser, error) {
	logf, err := os.OpenFile(p.stderr, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, err
	}
	defer logf.Close() // the child holds its own copy
	at, _ := logf.Seek(0, io.SeekEnd)
	fmt.Fprintf(logf, "=== harness: start %d of %s (%s)\n", p.starts, p.id, p.prog.Name)

	cmd := exec.Command(p.prog.Path, p.prog.Args...)
	cmd.Env = append(os.Environ(), p.prog.Env...)
	cmd.Stderr = logf
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("harness: start %s: %w", p.id, err)
	}
	inc := &incarnation{cmd: cmd, stdin: stdin, pid: cmd.Process.Pid, exited: make(chan struct{}), stderrAt: at}
	inc.queue.init()
	p.mu.Lock()
	p.inc = inc
	p.mu.Unlock()
	return inc, stdout, nil
}

// watch starts the goroutines of a running incarnation: its writer, its
// RSS sampler, its reader, and the one that waits for it to exit (and
// reports an exit the test did not ask for).
func (p *Process) watch(inc *incarnation, stdout io.Reader) {
	readDone := make(chan struct{})
	go p.write(inc)
	go p.sample(inc)
	go func() {
		defer close(readDone)
		p.read(inc, stdout)
	}()
	go func() {
		<-readDone // Wait closes stdout: read it all first
		err := inc.cmd.Wait()
		p.mu.Lock()
		inc.state = inc.cmd.ProcessState
		killed := inc.killed
		p.mu.Unlock()
		inc.queue.close() // nothing more can be written
		if err != nil && !killed {
			p.net.violate("%s exited: %v", p.id, err)
		}
		close(inc.exited)
	}()
}

// handshake sends init to the new incarnation and waits for its init_ok;
// from then on the network delivers to it.
func (p *Process) handshake(inc *incarnation) error {
	call := p.net.initClient().Call(p.id, map[string]any{"type": "init", "node_id": p.id, "node_ids": p.net.NodeIDs()})
	rep, err := call.Wait(p.net.cfg.InitTimeout)
	if err != nil {
		p.Kill()
		return fmt.Errorf("harness: %s: no init_ok within %v: %w", p.id, p.net.cfg.InitTimeout, err)
	}
	if rep.Type != "init_ok" {
		p.Kill()
		return fmt.Errorf("harness: %s answered init with %s", p.id, rep)
	}
	p.mu.Lock()
	inc.readyAt = time.Now()
	p.mu.Unlock()
	inc.ready.Store(true)
	return nil
}

// sample keeps the peak RSS (VmHWM) of the incarnation while it runs. The
// kernel's rusage of a child cannot serve: its ru_maxrss counts the memory
// of the test process that forked it.
func (p *Process) sample(inc *incarnation) {
	tick := time.NewTicker(rssSampling)
	defer tick.Stop()
	for {
		p.samplePeak(inc)
		select {
		case <-inc.exited:
			return
		case <-tick.C:
		}
	}
}

// rssSampling is how often the peak RSS of a running node is read; Stop
// reads it once more before the end of input.
const rssSampling = 50 * time.Millisecond

func (p *Process) samplePeak(inc *incarnation) {
	if hwm, err := procStatus(inc.pid, "VmHWM"); err == nil {
		p.mu.Lock()
		p.peakRSS = max(p.peakRSS, hwm)
		p.mu.Unlock()
	}
}

// Restart starts a new incarnation of a process that has exited or been
// killed, sends it init and waits for init_ok.
func (p *Process) Restart() {
	p.net.t.Helper()
	if err := p.start(); err != nil {
		p.net.t.Fatal(err)
	}
}

// write feeds queued lines to stdin until the queue is closed and drained,
// then closes stdin.
func (p *Process) write(inc *incarnation) {
	w := bufio.NewWriterSize(inc.stdin, 64<<10)
	failed := false
	for {
		lines, ok := inc.queue.take()
		if !failed {
			for _, l := range lines {
				if _, err := w.Write(l); err != nil {
					failed = true
					break
				}
				if err := w.WriteByte('\n'); err != nil {
					failed = true
					break
				}
			}
			if !failed && w.Flush() != nil {
				failed = true
			}
		}
		if !ok {
			break
		}
	}
	inc.stdin.Close()
}

// read checks and routes every line the incarnation writes.
func (p *Process) read(inc *incarnation, stdout io.Reader) {
	r := bufio.NewReaderSize(stdout, 64<<10)
	var next int64 // the msg_id a strict program must write next
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] == '\n' {
			line = line[:len(line)-1]
			p.line(inc, line, &next)
		} else if len(line) > 0 && !p.wasKilled(inc) {
			p.net.violate("%s: last line has no newline: %q", p.id, line)
		}
		if err != nil {
			// Drain, so that the process never blocks on a full pipe.
			_, _ = io.Copy(io.Discard, r)
			return
		}
	}
}

func (p *Process) line(inc *incarnation, line []byte, next *int64) {
	m, err := ParseLine(line)
	if err != nil {
		p.net.violate("%s wrote a line Maelstrom would reject (%v): %q", p.id, err, line)
		return
	}
	if p.prog.Strict {
		switch {
		case !m.HasMsgID:
			p.net.violate("%s wrote a body without msg_id: %s", p.id, m)
		case m.MsgID != *next:
			p.net.violate("%s wrote msg_id %d, want %d (one counter from 0): %s", p.id, m.MsgID, *next, m)
		case *next == 0 && m.Type != "init_ok":
			p.net.violate("%s wrote %s before init_ok", p.id, m)
		}
		*next = m.MsgID + 1
	}
	p.net.route(p.peer, m)
}

func (p *Process) wasKilled(inc *incarnation) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return inc.killed
}

func (p *Process) push(line []byte) {
	p.mu.Lock()
	inc := p.inc
	p.mu.Unlock()
	if inc == nil || !inc.queue.push(line) {
		p.net.down.Add(1)
	}
}

// Stop closes the node's stdin and waits for it to finish its work and
// exit; the exit status must be 0. It does nothing if the node is not
// running. A node that takes longer than the network's StopTimeout is
// killed and fails the test.
func (p *Process) Stop() {
	p.mu.Lock()
	inc := p.inc
	p.mu.Unlock()
	if inc == nil {
		return
	}
	p.samplePeak(inc)
	inc.queue.close()
	select {
	case <-inc.exited:
	case <-time.After(p.net.cfg.StopTimeout):
		p.net.violate("%s did not exit within %v of the end of its input; killed", p.id, p.net.cfg.StopTimeout)
		p.signal(inc, syscall.SIGKILL)
	}
}

// Terminate sends the node SIGTERM, as an orchestrator stopping it would,
// with its stdin still open, and waits until it has exited; it returns how
// long that took. The exit status must be 0. It does nothing if the node
// is not running.
func (p *Process) Terminate() time.Duration {
	p.mu.Lock()
	inc := p.inc
	p.mu.Unlock()
	if inc == nil {
		return 0
	}
	start := time.Now()
	_ = inc.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-inc.exited:
	case <-time.After(p.net.cfg.StopTimeout):
		p.net.violate("%s did not exit within %v of SIGTERM; killed", p.id, p.net.cfg.StopTimeout)
		p.signal(inc, syscall.SIGKILL)
	}
	return time.Since(start)
}

// Kill ends the node with SIGKILL, as a crash, and waits until it is gone.
// Messages to it are dropped until it is restarted.
func (p *Process) Kill() {
	p.mu.Lock()
	inc := p.inc
	p.mu.Unlock()
	if inc != nil {
		p.signal(inc, syscall.SIGKILL)
	}
}

func (p *Process) signal(inc *incarnation, sig syscall.Signal) {
	p.mu.Lock()
	inc.killed = true
	p.mu.Unlock()
	// Stdin stays open until it has exited: an end of input could make it
	// exit 0 before the signal lands.
	_ = inc.cmd.Process.Signal(sig)
	<-inc.exited
}

// goroutineHeader matches "goroutine 7 [chan receive]:" and, from Go 1.25,
// "goroutine 7 gp=0x... m=nil [chan receive]:". Goroutine 0, the stack of
// the thread the signal landed on when it was idle, is not a goroutine.
var goroutineHeader = regexp.MustCompile(`(?m)^goroutine [1-9]\d* [^\n]*\[[^\n]*\]:$`)

// Goroutines ends the node with SIGQUIT, which makes the Go runtime write
// every goroutine's stack to stderr, and returns how many goroutines there
// were and the dump. The program must be a Go binary started with
// GOTRACEBACK=all (or higher) in its environment.
func (p *Process) Goroutines() (int, string) {
	p.mu.Lock()
	inc := p.inc
	p.mu.Unlock()
	if inc == nil {
		p.net.t.Fatalf("harness: %s has not started", p.id)
	}
	p.signal(inc, syscall.SIGQUIT)
	b, err := os.ReadFile(p.stderr)
	if err != nil {
		p.net.t.Fatal(err)
	}
	dump := string(b[inc.stderrAt:])
	i := strings.Index(dump, "SIGQUIT")
	if i < 0 {
		p.net.t.Fatalf("harness: %s: no goroutine dump on stderr after SIGQUIT:\n%s", p.id, dump)
	}
	dump = dump[i:]
	return len(goroutineHeader.FindAllStringIndex(dump, -1)), dump
}

// PeakRSS returns the largest resident set, in bytes, of any incarnation,
// from VmHWM in /proc: read every 50 ms while it runs, when it is stopped,
// and now if it is running.
func (p *Process) PeakRSS() int64 {
	p.mu.Lock()
	inc := p.inc
	p.mu.Unlock()
	if inc != nil && p.running() {
		p.samplePeak(inc)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.peakRSS
}

// RSS returns the resident set, in bytes, of the running incarnation.
func (p *Process) RSS() (int64, error) {
	return procStatus(p.PID(), "VmRSS")
}

// procStatus reads a "kB" field of /proc/PID/status, in bytes.
func procStatus(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range bytes.Lines(b) {
		if rest, ok := bytes.CutPrefix(line, []byte(field+":")); ok {
			f := strings.Fields(string(rest))
			if len(f) == 2 && f[1] == "kB" {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				return kb * 1024, err
			}
		}
	}
	return 0, errors.New("harness: no " + field + " in /proc status")
}

// StderrTail returns the last n bytes the node wrote to stderr, over all
// its incarnations.
func (p *Process) StderrTail(n int64) string {
	f, err := os.Open(p.stderr)
	if err != nil {
		return ""
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > n {
		_, _ = f.Seek(-n, io.SeekEnd)
	}
	b, _ := io.ReadAll(f)
	return string(b)
}

// Stderr returns all the node wrote to stderr, over all its incarnations.
func (p *Process) Stderr() string {
	b, _ := os.ReadFile(p.stderr)
	return string(b)
}

// lineQueue is an unbounded queue of lines for one stdin, so that routing
// never waits for a slow reader.
type lineQueue struct {
	mu     sync.Mutex
	lines  [][]byte
	closed bool
	ready  chan struct{} // has a token when lines or closed may have changed
}

func (q *lineQueue) init() { q.ready = make(chan struct{}, 1) }

// push adds a line; it reports false if the queue is closed.
func (q *lineQueue) push(l []byte) bool {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	q.lines = append(q.lines, l)
	q.mu.Unlock()
	q.signal()
	return true
}

func (q *lineQueue) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// take waits for lines and returns them all; ok is false once the queue is
// closed and these are the last.
func (q *lineQueue) take() (lines [][]byte, ok bool) {
	for {
		q.mu.Lock()
		lines, closed := q.lines, q.closed
		q.lines = nil
		q.mu.Unlock()
		if len(lines) > 0 || closed {
			return lines, !closed
		}
		<-q.ready
	}
}

func (q *lineQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}

func (q *lineQueue) isClosed() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed
}
