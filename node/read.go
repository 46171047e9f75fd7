package node

import (
	"bufio"
	"errors"
	"io"
	"slices"
	"sync"

	"github.com/backoff-node/backoff-node/internal/jsonwire"
)

// read is the reader goroutine: it splits the input into lines, parses
// them and queues them for the handling goroutine.
func (n *Node) read() {
	r := bufio.NewReaderSize(n.in, 64<<10)
	var long []byte  // assembles a line longer than r's buffer
	tooLong := false // the line being read is over MaxLine: drop it
	lineNo := 0
	for {
		chunk, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if len(long)+len(chunk) > MaxLine+2 { // +2: room for "\r\n"
				tooLong, long = true, nil
			} else if !tooLong {
				long = append(long, chunk...)
			}
			continue
		}
		line := chunk
		if tooLong || long != nil {
			if tooLong || len(long)+len(chunk) > MaxLine+2 {
				line = nil
				lineNo++
				n.logs.Printf("line %d: longer than %d bytes, skipped", lineNo, MaxLine)
			} else {
				line = append(long, chunk...)
			}
			tooLong, long = false, nil
		}
		if len(line) > 0 {
			lineNo++
			if line = trimEOL(line); len(line) > MaxLine {
				n.logs.Printf("line %d: longer than %d bytes, skipped", lineNo, MaxLine)
			} else if !isBlank(line) {
				if !n.q.put(n.parse(lineNo, line)) {
					return // stopped
				}
			}
		}
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			n.q.close(err)
			return
		}
	}
}

// An item is a line read and parsed, waiting to be handled.
type item struct {
	no    int
	line  []byte             // a copy, owned by the item
	req   *Request           // &msg if the line is a message, else nil
	err   error              // why not
	reply bool               // a reply to a call of this node
	msg   Request            // in the item, to save an allocation a line
	small [4]jsonwire.Member // msg.Members when the body has few, for the same reason
}

// size is what an item costs in memory: its line and, measured, about
// 640 bytes for the item with its parsed request.
func (it *item) size() int { return len(it.line) + 640 }

// parse copies and parses one line off the reader's buffer.
func (n *Node) parse(lineNo int, line []byte) *item {
	it := items.Get().(*item)
	it.no, it.line = lineNo, n.slab.copy(line)
	if it.err = n.scratch.parseMessage(&it.msg, it.line, it.small[:]); it.err == nil {
		it.req = &it.msg
		_, it.reply = it.req.Field("in_reply_to")
	}
	return it
}

// items recycles the items the handling side is done with: most lines
// then cost no allocation.
var items = sync.Pool{New: func() any { return new(item) }}

// recycle clears it, so that it keeps nothing alive, and returns it to the
// pool.
func recycle(it *item) {
	*it = item{}
	items.Put(it)
}

// A slab hands out copies of lines from larger blocks, one allocation per
// block instead of one per line. A block stays alive while any line cut
// from it does.
type slab []byte

const slabSize = 64 << 10

func (s *slab) copy(line []byte) []byte {
	if len(line) > slabSize/4 {
		return slices.Clone(line)
	}
	if cap(*s)-len(*s) < len(line) {
		*s = make([]byte, 0, slabSize)
	}
	start := len(*s)
	*s = append(*s, line...)
	return (*s)[start:len(*s):len(*s)]
}

func trimEOL(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		b = b[:len(b)-1]
	}
	if len(b) > 0 && b[len(b)-1] == '\r' {
		b = b[:len(b)-1]
	}
	return b
}
