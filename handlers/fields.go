package handlers

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/backoff-node/backoff-node/backoff"
	"github.com/backoff-node/backoff-node/internal/contract"
	"github.com/backoff-node/backoff-node/internal/jsonwire"
	"github.com/backoff-node/backoff-node/node"
	maelstrom "github.com/jepsen-io/maelstrom/demo/go"
)

// maxShown is how many bytes of a bad value an error quotes.
const maxShown = 40

// fields are the members of a request body the handlers read, still
// encoded, found in one pass over the body (decodeFields). A member that is
// absent or null is nil: null means the default.
type fields struct {
	maxRetries, baseDelay, maxDelay, jitter, seed, strategy  []byte
	target, payload, attemptTimeout, maxElapsed, retryBudget []byte
	retryPolicy                                              []byte
}

func decodeFields(req *node.Request) fields { return fieldsOf(req.Members) }

// fieldsOf finds the fields among a body's members.
func fieldsOf(members []jsonwire.Member) fields {
	var f fields
	for _, m := range members {
		v := m.Value
		if len(v) > 0 && v[0] == 'n' { // null
			continue
		}
		switch m.Key {
		case "max_retries":
			f.maxRetries = v
		case "base_delay":
			f.baseDelay = v
		case "max_delay":
			f.maxDelay = v
		case "jitter":
			f.jitter = v
		case "seed":
			f.seed = v
		case "strategy":
			f.strategy = v
		case "target":
			f.target = v
		case "payload":
			f.payload = v
		case "attempt_timeout":
			f.attemptTimeout = v
		case "max_elapsed":
			f.maxElapsed = v
		case "retry_budget":
			f.retryBudget = v
		case "retry_policy":
			f.retryPolicy = v
		}
	}
	return f
}

// scheduleReq is a validated compute_backoff request; backoff_relay has
// the same fields.
type scheduleReq struct {
	retries  int
	params   contract.Params
	seed     uint64
	strategy string
	stepper  backoff.Strategy // the strategy, configured and capped
}

// cursor returns a cursor at the start of the request's schedule.
func (s *scheduleReq) cursor() backoff.Cursor {
	return backoff.Cursor{Strategy: s.stepper, Key: contract.Key(s.stepper, s.seed)}
}

// badField is the error 12 for a field; the text names it and what is valid.
// It is built only on the error path.
func badField(field, want string, got []byte) error {
	return maelstrom.NewRPCError(maelstrom.MalformedRequest,
		fmt.Sprintf("%s must be %s, got %s", field, want, show(got)))
}

func show(v []byte) string {
	if v == nil {
		return "nothing"
	}
	if len(v) > maxShown {
		return string(v[:maxShown]) + "..."
	}
	return string(v)
}

func num(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// floatIn decodes v, a finite number in [lo, hi] (lo excluded if open), or
// returns def if v is nil; ok is false if v is out of range.
func floatIn(v []byte, def, lo, hi float64, open bool) (float64, bool) {
	if v == nil {
		return def, true
	}
	f, ok := jsonwire.Float(v)
	if !ok || f < lo || f > hi || open && f == lo {
		return 0, false
	}
	return f, true
}

// decodeSchedule validates the compute_backoff fields.
func (h *handlers) decodeSchedule(f *fields) (scheduleReq, error) { return scheduleFields(f, "", h) }

// scheduleFields validates the compute_backoff fields. path prefixes the
// names of the fields it reports ("payload." in a nested relay); seeds
// draws the seed of a request that gives none, or is nil where no seed is
// drawn (a nested relay's own node draws it).
func scheduleFields(f *fields, path string, seeds *handlers) (scheduleReq, error) {
	var s scheduleReq
	s.retries = contract.DefaultMaxRetries
	if f.maxRetries != nil {
		n, ok := jsonwire.Int(f.maxRetries)
		if !ok || n < 0 || n > contract.MaxRetriesLimit {
			return s, badField(path+"max_retries", fmt.Sprintf("an integer from 0 to %d", contract.MaxRetriesLimit), f.maxRetries)
		}
		s.retries = int(n)
	}
	var ok bool
	if s.params.Base, ok = floatIn(f.baseDelay, contract.DefaultBase, contract.MinBaseDelay, contract.MaxDelayLimit, false); !ok {
		return s, badField(path+"base_delay", fmt.Sprintf("a number of seconds from %s to %s", num(contract.MinBaseDelay), num(contract.MaxDelayLimit)), f.baseDelay)
	}
	maxDef := max(contract.DefaultMax, s.params.Base) // a base above the default cap raises the default cap
	if s.params.Max, ok = floatIn(f.maxDelay, maxDef, s.params.Base, contract.MaxDelayLimit, false); !ok {
		return s, badField(path+"max_delay", fmt.Sprintf("a number of seconds from base_delay (%s) to %s", num(s.params.Base), num(contract.MaxDelayLimit)), f.maxDelay)
	}
	if s.params.Jitter, ok = floatIn(f.jitter, contract.DefaultJitter, 0, 1, false); !ok {
		return s, badField(path+"jitter", "a fraction from 0 to 1", f.jitter)
	}
	if f.seed != nil {
		n, ok := jsonwire.Int(f.seed)
		if !ok || n < 0 || n > contract.MaxSeed {
			return s, badField(path+"seed", fmt.Sprintf("an integer from 0 to 2^53 (%d)", int64(contract.MaxSeed)), f.seed)
		}
		s.seed = uint64(n)
	} else if seeds != nil {
		s.seed = seeds.newSeed()
	}
	s.strategy = contract.DefaultStrategy
	if f.strategy != nil {
		name, isString := jsonwire.String(f.strategy)
		if !isString {
			return s, badField(path+"strategy", "one of "+strings.Join(contract.Names(), ", "), f.strategy)
		}
		s.strategy = name
	}
	lookup := contract.Lookup
	if seeds != nil {
		lookup = seeds.lookup
	}
	st, err := lookup(s.strategy, s.params)
	if err != nil {
		return s, badField(path+"strategy", "one of "+strings.Join(contract.Names(), ", "), f.strategy)
	}
	s.stepper = st
	return s, nil
}

// relayReq is a validated backoff_relay request.
type relayReq struct {
	scheduleReq
	target     string
	payload    payload
	timeout    float64 // seconds
	maxElapsed float64 // seconds; 0: no limit
	policy     policyChoice
}

// A policyChoice is the retry control a relay asks for (retry_policy or
// retry_budget): a policy and its parameters, comparable, so that relays
// to one target with the same choice share one control. A nil policy is
// none.
type policyChoice struct {
	policy *policy
	p      [4]float64
}

// Bounds of retry_budget's members.
const (
	maxBudgetRatio = 10.0
	maxBudgetFloor = 1000.0
)

// maxNesting is how deep backoff_relay payloads may nest: a relay checks
// every nested relay's fields when it is asked (so that a bad one is error
// 12 in its reply), which costs a pass over the payload for each level.
const maxNesting = 16

// decodeRelay validates a backoff_relay request.
func (h *handlers) decodeRelay(req *node.Request) (relayReq, error) {
	return relayFields(decodeFields(req), "", h)
}

// relayFields validates the fields of a backoff_relay request, or, with
// path "payload." (and so on), of one nested in another's payload; seeds is
// as in scheduleFields.
func relayFields(f fields, path string, seeds *handlers) (relayReq, error) {
	var r relayReq
	target, ok := jsonwire.String(f.target)
	if !ok || target == "" {
		return r, badField(path+"target", "a non-empty node id string", f.target)
	}
	r.target = target
	var err error
	if r.payload, err = decodePayload(f.payload, path); err != nil {
		return r, err
	}
	if r.scheduleReq, err = scheduleFields(&f, path, seeds); err != nil {
		return r, err
	}
	if r.timeout, ok = floatIn(f.attemptTimeout, contract.DefaultAttemptTimeout, 0, contract.MaxTimeout, true); !ok {
		return r, badField(path+"attempt_timeout", fmt.Sprintf("a number of seconds above 0 and at most %s", num(contract.MaxTimeout)), f.attemptTimeout)
	}
	if r.maxElapsed, ok = floatIn(f.maxElapsed, 0, 0, contract.MaxElapsedLimit, true); !ok {
		return r, badField(path+"max_elapsed", fmt.Sprintf("a number of seconds above 0 and at most %s (or null: no limit)", num(contract.MaxElapsedLimit)), f.maxElapsed)
	}
	if r.policy, err = decodePolicy(f.retryPolicy, f.retryBudget, path); err != nil {
		return r, err
	}
	return r, nil
}

// decodePolicy validates retry_policy and retry_budget, of which a request
// may give one: retry_policy is a policy's name or an object with its name
// and parameters; retry_budget is true for the budget at its defaults,
// false for none, or an object with its parameters. Neither: the default.
func decodePolicy(v, budget []byte, path string) (policyChoice, error) {
	switch {
	case v != nil && budget != nil:
		return policyChoice{}, badField(path+"retry_policy", "given without retry_budget (both name a retry control)", v)
	case budget != nil:
		return decodeBudget(budget, path)
	}
	var c policyChoice
	name, ok := jsonwire.String(v)
	var members []jsonwire.Member
	switch {
	case v == nil:
		name, ok = defaultPolicy, true
	case !ok && jsonwire.KindOf(v) == jsonwire.ObjectKind:
		var err error
		if members, err = jsonwire.ParseObject(v, nil); err != nil {
			return c, badPolicy(path, v)
		}
		for _, m := range members {
			if m.Key == "name" {
				name, ok = jsonwire.String(m.Value)
			}
		}
	}
	if c.policy = lookupPolicy(name); !ok || c.policy == nil {
		return c, badPolicy(path, v)
	}
	return c.params(members, path+"retry_policy", v)
}

// badPolicy is the error 12 for a retry_policy that names no policy.
func badPolicy(path string, v []byte) error {
	return badField(path+"retry_policy", "one of "+strings.Join(policyNames(), ", ")+`, or an object with "name" and that policy's parameters`, v)
}

// params sets c's parameters from members (the retry_policy object; nil:
// the defaults), checking each; field names the field for an error.
func (c policyChoice) params(members []jsonwire.Member, field string, v []byte) (policyChoice, error) {
	pol := c.policy
	for i, p := range pol.params {
		c.p[i] = p.def
	}
	for _, m := range members {
		if m.Key == "name" {
			continue
		}
		i := slices.IndexFunc(pol.params, func(p param) bool { return p.key == m.Key })
		if i < 0 {
			return c, badField(field, policyWant(pol), v)
		}
		p := pol.params[i]
		f, ok := floatIn(m.Value, p.def, p.lo, p.hi, p.open)
		if !ok || p.integer && f != math.Trunc(f) {
			return c, badField(field+"."+p.key, paramWant(p), m.Value)
		}
		c.p[i] = f
	}
	if pol.control == nil {
		return policyChoice{}, nil // none
	}
	return c, nil
}

// policyWant says what a policy's object may hold.
func policyWant(pol *policy) string {
	if len(pol.params) == 0 {
		return fmt.Sprintf(`{"name": %q} with no parameters`, pol.name)
	}
	var keys []string
	for _, p := range pol.params {
		keys = append(keys, p.key)
	}
	return fmt.Sprintf(`an object with "name": %q and any of %s`, pol.name, strings.Join(keys, ", "))
}

// paramWant says what a parameter may be.
func paramWant(p param) string {
	kind, above := "a number", "from"
	if p.integer {
		kind = "an integer"
	}
	if p.open {
		above = "above"
	}
	return fmt.Sprintf("%s %s %s to %s", kind, above, num(p.lo), num(p.hi))
}

// decodeBudget validates retry_budget: true for the budget at its
// defaults, false for none, or an object with ratio and min_per_second,
// each optional.
func decodeBudget(v []byte, path string) (policyChoice, error) {
	c := policyChoice{policy: lookupPolicy("budget")}
	c.p[0], c.p[1] = backoff.DefaultBudgetRatio, backoff.DefaultBudgetMinPerSecond
	const want = "true, false, or an object with ratio (0 to 10) and min_per_second (0 to 1000)"
	switch jsonwire.KindOf(v) {
	case jsonwire.BooleanKind:
		if v[0] == 'f' {
			return policyChoice{}, nil
		}
		return c, nil
	case jsonwire.ObjectKind:
	default:
		return c, badField(path+"retry_budget", want, v)
	}
	members, err := jsonwire.ParseObject(v, nil)
	if err != nil {
		return c, badField(path+"retry_budget", want, v)
	}
	for _, m := range members {
		var ok bool
		switch m.Key {
		case "ratio":
			c.p[0], ok = floatIn(m.Value, c.p[0], 0, maxBudgetRatio, false)
		case "min_per_second":
			c.p[1], ok = floatIn(m.Value, c.p[1], 0, maxBudgetFloor, false)
		}
		if !ok {
			return c, badField(path+"retry_budget", want, v)
		}
	}
	return c, nil
}

// A payload is the body a relay delivers, kept as it came (a copy: the
// relay outlives the request's line) and rebuilt for every attempt with a
// fresh msg_id. A payload that is itself a backoff_relay is nested: the
// relay has checked its fields, and sends it with a max_elapsed no longer
// than its own attempt's wait and max_retries 0 (retries at one layer; see
// body).
type payload struct {
	raw        []byte
	nested     bool
	maxElapsed float64 // of a nested relay, as the client asked; 0: none
}

// decodePayload checks that v is a request body: an object with a string
// type and no in_reply_to, and, if it is a backoff_relay, valid as one
// (path names where it is, for the error).
func decodePayload(v []byte, path string) (payload, error) {
	const want = "an object with a string type and no in_reply_to"
	var p payload
	if jsonwire.KindOf(v) != jsonwire.ObjectKind {
		return p, badField(path+"payload", want, v)
	}
	members, err := jsonwire.ParseObject(v, nil)
	if err != nil {
		return p, badField(path+"payload", want, v)
	}
	typ, hasType := "", false
	for _, m := range members {
		switch m.Key {
		case "type":
			typ, hasType = jsonwire.String(m.Value)
		case "in_reply_to":
			return p, badField(path+"payload", want, v)
		}
	}
	if !hasType {
		return p, badField(path+"payload", want, v)
	}
	if typ == "backoff_relay" {
		path += "payload."
		if strings.Count(path, ".") > maxNesting {
			return p, maelstrom.NewRPCError(maelstrom.MalformedRequest,
				fmt.Sprintf("%s must not nest backoff_relay more than %d deep", strings.TrimSuffix(path, "."), maxNesting))
		}
		inner, err := relayFields(fieldsOf(members), path, nil)
		if err != nil {
			return p, err
		}
		p.nested, p.maxElapsed = true, inner.maxElapsed
	}
	p.raw = bytes.Clone(v)
	return p, nil
}

// memberLists recycle the lists of members that body parses a payload into,
// one an attempt, on whichever goroutine sends it.
var memberLists = sync.Pool{New: func() any { return new([]jsonwire.Member) }}

// body builds the payload's body for an attempt that waits wait seconds.
// A nested relay gets max_elapsed at most wait, so that it answers before
// this attempt stops waiting, and max_retries 0, so that a chain of relays
// retries at one layer, the outermost: each of its attempts becomes one
// send at every hop, and the final target gets at most 1 + max_retries
// sends (the outermost relay's), whatever the inner relays asked.
func (p *payload) body(wait float64) *node.Body {
	scratch := memberLists.Get().(*[]jsonwire.Member)
	defer memberLists.Put(scratch)
	members, _ := jsonwire.ParseObject(p.raw, (*scratch)[:0]) // valid: checked by decodePayload
	defer func() { clear(members); *scratch = members[:0] }()
	var b *node.Body
	for _, m := range members {
		if m.Key == "type" {
			typ, _ := jsonwire.String(m.Value)
			b = node.NewBody(typ)
		}
	}
	for _, m := range members {
		switch m.Key {
		case "type", "msg_id":
		case "max_elapsed", "max_retries":
			if !p.nested {
				b.Member(m)
			}
		default:
			b.Member(m)
		}
	}
	if p.nested {
		limit := wait
		if p.maxElapsed > 0 {
			limit = min(limit, p.maxElapsed)
		}
		b.Float("max_elapsed", limit).Int("max_retries", 0)
	}
	return b
}
