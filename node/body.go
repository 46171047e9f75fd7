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
// has sent them: most replies then cost no allocation.
var bodies = sync.Pool{New: func() any { return &Body{fields: make([]byte, 0, 256)} }}

// recycle returns b to the pool; b must not be used after.
func (b *Body) recycle() {
	// Only small ones: a body taken from the pool may live long (a relay's
	// payload), and should not hold a big buffer for a small use.
	if cap(b.fields) <= 512 {
		bodies.Put(b)
	}
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
	b.fields = slices.Grow(b.fields, 6*n+2) // room for 4-digit numbers: one allocation, not a dozen
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
