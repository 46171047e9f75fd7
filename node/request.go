package node

import (
	"strings"
	"unsafe"

	"github.com/backoff-node/backoff-node/internal/jsonwire"
)

// A Request is a message addressed to this node: a request by type, or a
// reply to one of its calls.
//
// Its strings and slices are views of the node's read buffers, valid only
// while the handler or callback that receives it runs: the node reuses that
// memory once it returns. A handler that keeps anything of its request past
// its return (a relay keeps its target, its payload, whom to answer) takes
// it from r.Owned(), not from r: whatever is decoded from the owned copy is
// the handler's for as long as it likes, and holds only the request's own
// bytes. Origin is already a copy.
type Request struct {
	Src, Dest string
	Type      string
	// MsgID is the body's msg_id; HasMsgID tells whether there was one.
	MsgID    int64
	HasMsgID bool
	// Members are all members of the body, in wire order, type and msg_id
	// included.
	Members []jsonwire.Member
	// Body is the body as it came, encoded.
	Body []byte
}

// Field returns the encoded value of body member key, if present.
func (r *Request) Field(key string) ([]byte, bool) {
	for _, m := range r.Members {
		if m.Key == key {
			return m.Value, true
		}
	}
	return nil, false
}

// Origin returns where a reply to r goes, for a handler that replies later:
// it shares no memory with r.
func (r *Request) Origin() Origin {
	o := r.origin()
	o.Dest = strings.Clone(o.Dest)
	return o
}

// origin is Origin as a view of r, for the node's replies while r is valid.
func (r *Request) origin() Origin {
	return Origin{Dest: r.Src, InReplyTo: r.MsgID, HasInReplyTo: r.HasMsgID}
}

// Owned returns a copy of r that shares no memory with the node's buffers:
// its strings and slices point into one new allocation the size of the
// request, which stays valid, and pins nothing else, however long the
// copy or anything decoded from it is kept.
func (r *Request) Owned() *Request {
	size := len(r.Src) + len(r.Dest) + len(r.Type) + len(r.Body)
	for _, m := range r.Members {
		size += len(m.Key) // in the body, unless it had escapes; room either way
	}
	c := &ownedCopy{buf: make([]byte, 0, size)}
	o := &Request{MsgID: r.MsgID, HasMsgID: r.HasMsgID}
	o.Body = c.bytes(r.Body)
	c.body, c.orig = o.Body, r.Body
	o.Src, o.Dest, o.Type = c.string(r.Src), c.string(r.Dest), c.string(r.Type)
	o.Members = make([]jsonwire.Member, len(r.Members))
	for i, m := range r.Members {
		o.Members[i] = jsonwire.Member{Key: c.string(m.Key), RawKey: c.bytes(m.RawKey), Value: c.bytes(m.Value), Plain: m.Plain}
	}
	return o
}

// An ownedCopy builds Owned's copy: views of the original body are mapped
// to the same place in the copy's; anything else is appended to buf.
type ownedCopy struct {
	buf        []byte
	orig, body []byte
}

func (c *ownedCopy) bytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	if c.orig != nil && within(unsafe.SliceData(b), len(b), c.orig) {
		off := int(uintptr(unsafe.Pointer(unsafe.SliceData(b))) - uintptr(unsafe.Pointer(unsafe.SliceData(c.orig))))
		return c.body[off : off+len(b) : off+len(b)]
	}
	start := len(c.buf)
	c.buf = append(c.buf, b...)
	return c.buf[start:len(c.buf):len(c.buf)]
}

func (c *ownedCopy) string(s string) string {
	if s == "" {
		return ""
	}
	b := c.bytes(unsafe.Slice(unsafe.StringData(s), len(s)))
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// within reports whether the n bytes at p lie inside b.
func within(p *byte, n int, b []byte) bool {
	if p == nil || len(b) == 0 {
		return false
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	at := uintptr(unsafe.Pointer(p))
	return at >= start && at+uintptr(n) <= start+uintptr(len(b))
}

// Origin is the address of a reply: the requester and the msg_id it used.
type Origin struct {
	Dest         string
	InReplyTo    int64
	HasInReplyTo bool
}
