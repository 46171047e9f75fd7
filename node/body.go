package node

import (
	"slices"
	"strconv"
	"sync"

	"github.com/backoff-node/backoff-node/internal/jsonwire"
)

// A Body is a message body under construction, kept in wire order: type
// first, then the fields in the order they are added; the node appends
// in_reply_to and msg_id when it sends it. Fields are encoded as they are
// added, the way Python's json.dumps writes them.
type Body struct {
	typ    string
	fields []byte // `, "key": value` fragments
}

// NewBody starts a body of the given type.
func NewBody(typ string) *Body {
	b := bodies.Get().(*Body)
	b.typ, b.fields = typ, b.fields[:0]
	return b
}

// bodies recycles the bodies handlers return, which the node owns once it
// has sent them: most replies then cost no allocation. NewBody takes only
// small ones: a body may live long (a relay's payload), and should not hold
// a big buffer for a small use. Bigger ones wait in bigBodies for a body
// that needs the room (reserve).
var (
	bodies    = sync.Pool{New: func() any { return &Body{fields: make([]byte, 0, 256)} }}
	bigBodies sync.Pool
)

// Bounds on the bodies the pools keep.
const (
	smallBody = 512
	bigBody   = 64 << 10
)

// recycle returns b to a pool; b must not be used after.
func (b *Body) recycle() {
	switch c := cap(b.fields); {
	case c <= smallBody:
		bodies.Put(b)
	case c <= bigBody:
		bigBodies.Put(b)
	}
}

// reserve makes room for n more bytes of fields, with the buffer of a
// recycled big body if one is big enough (that body takes b's buffer and
// goes back to a pool): a long echo then costs no allocation either.
func (b *Body) reserve(n int) {
	need := len(b.fields) + n
	if need <= cap(b.fields) {
		return
	}
	if bb, _ := bigBodies.Get().(*Body); bb != nil {
		if cap(bb.fields) >= need {
			b.fields, bb.fields = append(bb.fields[:0], b.fields...), b.fields[:0]
		}
		bb.recycle()
		if need <= cap(b.fields) {
			return
		}
	}
	b.fields = slices.Grow(b.fields, n)
}

func (b *Body) key(k string) {
	b.fields = append(b.fields, ',', ' ')
	b.fields = jsonwire.AppendString(b.fields, k)
	b.fields = append(b.fields, ':', ' ')
}

// Int adds an integer field.
func (b *Body) Int(key string, v int64) *Body {
	b.key(key)
	b.fields = strconv.AppendInt(b.fields, v, 10)
	return b
}

// Float adds a number field written as Python writes a float (2.0, 0.1).
func (b *Body) Float(key string, v float64) *Body {
	b.key(key)
	b.fields = jsonwire.AppendFloat(b.fields, v)
	return b
}

// String adds a string field.
func (b *Body) String(key, v string) *Body {
	b.key(key)
	b.fields = jsonwire.AppendString(b.fields, v)
	return b
}

// Ints adds an array of integers.
func (b *Body) Ints(key string, v []int64) *Body {
	b.key(key)
	b.fields = append(b.fields, '[')
	for i, x := range v {
		if i > 0 {
			b.fields = append(b.fields, ',', ' ')
		}
		b.fields = strconv.AppendInt(b.fields, x, 10)
	}
	b.fields = append(b.fields, ']')
	return b
}

// IntsN adds an array of n integers, each the next value of next, so that
// a long array is written without being held first.
func (b *Body) IntsN(key string, n int, next func() int64) *Body {
	b.key(key)
	b.reserve(6*n + 2) // room for 4-digit numbers: one allocation at most, not a dozen
	b.fields = append(b.fields, '[')
	for i := range n {
		if i > 0 {
			b.fields = append(b.fields, ',', ' ')
		}
		b.fields = strconv.AppendInt(b.fields, next(), 10)
	}
	b.fields = append(b.fields, ']')
	return b
}

// Raw adds a field whose value is already-encoded, valid JSON, such as a
// member of a request; it is re-spaced the Python way. An empty v (a member
// that was not there) is written as null, so the line stays valid JSON.
func (b *Body) Raw(key string, v []byte) *Body {
	b.reserve(len(key) + len(v) + 8)
	b.key(key)
	if len(v) == 0 {
		b.fields = append(b.fields, "null"...)
		return b
	}
	b.fields = jsonwire.AppendValue(b.fields, v)
	return b
}

// Member adds a member of a request as it came, key and value both encoded
// (see jsonwire.Member), re-spaced and escaped the Python way; echo uses it
// so that a key survives byte for byte what decoding would change.
func (b *Body) Member(m jsonwire.Member) *Body {
	b.reserve(len(m.RawKey) + len(m.Value) + 4)
	if m.Plain { // already as Python writes it: one copy
		b.fields = append(b.fields, ',', ' ')
		b.fields = append(b.fields, m.RawKey...)
		b.fields = append(b.fields, ':', ' ')
		b.fields = append(b.fields, m.Value...)
		return b
	}
	b.fields = append(b.fields, ',', ' ')
	b.fields = jsonwire.AppendValue(b.fields, m.RawKey)
	b.fields = append(b.fields, ':', ' ')
	b.fields = jsonwire.AppendValue(b.fields, m.Value)
	return b
}
