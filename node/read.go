package node

import (
	"bytes"
	"io"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/backoff-node/backoff-node/internal/jsonwire"
)

// Reading. The reader goroutine reads the input into blocks of 64 KiB and
// parses each line where it lies: a line is not copied (only the start of
// a line that a read cut off moves to the next block), and the items made
// from a block's lines point into it. A block goes back to a free list
// once the last of its items is handled and the reader has moved on, so
// that a node at full speed reads into the same few blocks, already paged
// in, instead of ever new memory for the collector to reclaim.

// blockSize is the size of a block, and of most reads.
const blockSize = 64 << 10

// minRead is the least room a read gets: with less left in a block, the
// reader moves on to the next one, so that reads stay large.
const minRead = 4 << 10

// maxFreeBlocks bounds the free list (2 MiB): what a burst needed beyond
// that goes to the collector.
const maxFreeBlocks = 32

// yieldAbove is the backlog from which the reader lets the handler run
// before it reads on. With a core each, that costs nothing; on one core it
// keeps the reader from running a whole time slice ahead, which would
// fill megabytes of items that the handler then finds out of the cache.
// The reader still reads that far ahead, replies first.
const yieldAbove = 1 << 20

// A block holds input as it was read. refs counts the items that point
// into it, plus one while the reader reads into it.
type block struct {
	buf    []byte // its length changes as the reader reads: only the reader looks at it
	size   int    // cap(buf), for anyone
	refs   atomic.Int32
	queued int // items of it in the queue, under the queue's lock
}

// freeBlocks are the blocks ready for reuse, shared by the nodes of a
// process.
var freeBlocks struct {
	sync.Mutex
	list []*block
}

// newBlock returns an empty block of at least size bytes, with the
// reader's reference.
func newBlock(size int) *block {
	var b *block
	if size <= blockSize {
		freeBlocks.Lock()
		if k := len(freeBlocks.list); k > 0 {
			b = freeBlocks.list[k-1]
			freeBlocks.list[k-1] = nil
			freeBlocks.list = freeBlocks.list[:k-1]
		}
		freeBlocks.Unlock()
		size = blockSize
	}
	if b == nil {
		b = &block{buf: make([]byte, 0, size), size: size}
	}
	b.refs.Store(1)
	return b
}

// release drops a reference to b; the last one returns it to the free list.
func (b *block) release() {
	if b.refs.Add(-1) != 0 || b.size != blockSize {
		return
	}
	if testing.Testing() {
		// A Request kept past its handler (see Request) would read this:
		// make that show in every test instead of in production.
		clear(b.buf[:cap(b.buf)])
	}
	b.buf = b.buf[:0]
	freeBlocks.Lock()
	if len(freeBlocks.list) < maxFreeBlocks {
		freeBlocks.list = append(freeBlocks.list, b)
	}
	freeBlocks.Unlock()
}

// A lineReader cuts the input into lines inside blocks. Lines longer than
// MaxLine are skipped (and reported, once each).
type lineReader struct {
	in       io.Reader
	blk      *block
	start    int  // where the line being read begins in blk.buf
	skipping bool // the line being read is over MaxLine: drop it
	err      error
}

// next returns the next line (without its end of line) and its block, or
// tooLong for an over-long line, or ok false at the end of input or on a
// read error (r.err). fill reports that next is about to read: the caller
// hands over what it has gathered first.
func (r *lineReader) next(fill func()) (line []byte, blk *block, tooLong, ok bool) {
	for {
		buf := r.blk.buf
		if i := bytes.IndexByte(buf[r.start:], '\n'); i >= 0 {
			line = buf[r.start : r.start+i]
			r.start += i + 1
			if r.skipping {
				r.skipping = false // its end: it was reported when it grew too long
				continue
			}
			return trimCR(line), r.blk, len(trimCR(line)) > MaxLine, true
		}
		if r.err != nil {
			if rest := buf[r.start:]; len(rest) > 0 && !r.skipping {
				r.start = len(buf) // the last line has no end of line
				return trimCR(rest), r.blk, len(trimCR(rest)) > MaxLine, true
			}
			return nil, nil, false, false
		}
		fill()
		if tooLong := r.read(); tooLong {
			return nil, nil, true, true
		}
	}
}

// read reads more input into the block, moving on to a new one first if
// this one has little room left. It reports a line that grew over MaxLine
// without its end: the reader then skips to its end.
func (r *lineReader) read() (tooLong bool) {
	if cap(r.blk.buf)-len(r.blk.buf) < minRead {
		partial := r.blk.buf[r.start:]
		if len(partial) > MaxLine+1 { // +1: room for a "\r"
			tooLong, r.skipping, partial = !r.skipping, true, nil
		} else if r.skipping {
			partial = nil
		}
		nb := newBlock(max(blockSize, 2*len(partial)))
		nb.buf = append(nb.buf, partial...)
		r.blk.release()
		r.blk, r.start = nb, 0
	}
	buf := r.blk.buf
	n, err := r.in.Read(buf[len(buf):cap(buf)])
	r.blk.buf = buf[:len(buf)+n]
	if err != nil {
		r.err = err
	}
	return tooLong
}

func trimCR(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\r' {
		b = b[:len(b)-1]
	}
	return b
}

// read is the reader goroutine: it splits the input into lines, parses
// them and queues them for the handling goroutine, all the lines of a read
// at once.
func (n *Node) read() {
	r := lineReader{in: n.in, blk: newBlock(blockSize)}
	var batch []*item
	stopped := false
	hand := func() {
		if len(batch) == 0 || stopped {
			return
		}
		ok, held := n.q.put(batch)
		stopped = !ok
		clear(batch)
		batch = batch[:0]
		if held > yieldAbove {
			runtime.Gosched()
		}
	}
	lineNo := 0
	for !stopped {
		line, blk, tooLong, ok := r.next(hand)
		if !ok {
			break
		}
		lineNo++
		switch {
		case tooLong:
			n.logs.Printf("line %d: longer than %d bytes, skipped", lineNo, MaxLine)
		case !isBlank(line):
			batch = append(batch, n.parse(lineNo, line, blk))
		}
	}
	hand()
	r.blk.release()
	if stopped {
		return
	}
	err := r.err
	if err == io.EOF {
		err = nil
	}
	n.q.close(err)
}

// An item is a line read and parsed, waiting to be handled.
type item struct {
	no    int
	line  []byte             // in blk
	blk   *block             // nil once the item has its own copy (held)
	req   *Request           // &msg if the line is a message, else nil
	err   error              // why not
	reply bool               // a reply to a call of this node
	msg   Request            // in the item, to save an allocation a line
	small [4]jsonwire.Member // msg.Members when the body has few, for the same reason
}

// itemSize is what an item costs in memory apart from its line: measured,
// about 640 bytes with its parsed request.
const itemSize = 640

// size is what an item with its own line costs in memory.
func (it *item) size() int { return len(it.line) + itemSize }

// parse parses one line where it lies in blk.
func (n *Node) parse(lineNo int, line []byte, blk *block) *item {
	it := items.Get().(*item)
	it.no, it.line, it.blk = lineNo, line, blk
	blk.refs.Add(1)
	if it.err = n.scratch.parseMessage(&it.msg, it.line, it.small[:]); it.err == nil {
		it.req = &it.msg
		_, it.reply = it.req.Field("in_reply_to")
	}
	return it
}

// own gives it its own copy of its line and request, and lets its block
// go: an item held until init must not keep a block of other lines alive.
func (it *item) own() {
	if it.blk == nil {
		return
	}
	it.line = slices.Clone(it.line)
	if it.req != nil {
		it.msg = *it.req.Owned()
		it.req = &it.msg
	}
	it.blk.release()
	it.blk = nil
}

// items recycles the items the handling side is done with: most lines
// then cost no allocation.
var items = sync.Pool{New: func() any { return new(item) }}

// recycle releases its block, clears it, so that it keeps nothing alive,
// and returns it to the pool.
func recycle(it *item) {
	if it.blk != nil {
		it.blk.release()
	}
	*it = item{}
	items.Put(it)
}
