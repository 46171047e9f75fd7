package handlers

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"

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
}

func decodeFields(req *node.Request) fields {
	var f fields
	for _, m := range req.Members {
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
func (h *handlers) decodeSchedule(f *fields) (scheduleReq, error) {
	var s scheduleReq
	s.retries = contract.DefaultMaxRetries
	if f.maxRetries != nil {
		n, ok := jsonwire.Int(f.maxRetries)
		if !ok || n < 0 || n > contract.MaxRetriesLimit {
			return s, badField("max_retries", fmt.Sprintf("an integer from 0 to %d", contract.MaxRetriesLimit), f.maxRetries)
		}
		s.retries = int(n)
	}
	var ok bool
	if s.params.Base, ok = floatIn(f.baseDelay, contract.DefaultBase, contract.MinBaseDelay, contract.MaxDelayLimit, false); !ok {
		return s, badField("base_delay", fmt.Sprintf("a number of seconds from %s to %s", num(contract.MinBaseDelay), num(contract.MaxDelayLimit)), f.baseDelay)
	}
	maxDef := max(contract.DefaultMax, s.params.Base) // a base above the default cap raises the default cap
	if s.params.Max, ok = floatIn(f.maxDelay, maxDef, s.params.Base, contract.MaxDelayLimit, false); !ok {
		return s, badField("max_delay", fmt.Sprintf("a number of seconds from base_delay (%s) to %s", num(s.params.Base), num(contract.MaxDelayLimit)), f.maxDelay)
	}
	if s.params.Jitter, ok = floatIn(f.jitter, contract.DefaultJitter, 0, 1, false); !ok {
		return s, badField("jitter", "a fraction from 0 to 1", f.jitter)
	}
	if f.seed != nil {
		n, ok := jsonwire.Int(f.seed)
		if !ok || n < 0 || n > contract.MaxSeed {
			return s, badField("seed", fmt.Sprintf("an integer from 0 to 2^53 (%d)", int64(contract.MaxSeed)), f.seed)
		}
		s.seed = uint64(n)
	} else {
		s.seed = h.newSeed()
	}
	s.strategy = contract.DefaultStrategy
	if f.strategy != nil {
		name, isString := jsonwire.String(f.strategy)
		if !isString {
			return s, badField("strategy", "one of "+strings.Join(contract.Names(), ", "), f.strategy)
		}
		s.strategy = name
	}
	st, err := contract.Lookup(s.strategy, s.params)
	if err != nil {
		return s, badField("strategy", "one of "+strings.Join(contract.Names(), ", "), f.strategy)
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
	budget     budgetChoice
}

// budgetChoice is what retry_budget asks for.
type budgetChoice struct {
	off          bool
	ratio, floor float64
}

// Bounds of retry_budget's members.
const (
	maxBudgetRatio = 10.0
	maxBudgetFloor = 1000.0
)

// decodeRelay validates a backoff_relay request.
func (h *handlers) decodeRelay(req *node.Request) (relayReq, error) {
	f := decodeFields(req)
	var r relayReq
	target, ok := jsonwire.String(f.target)
	if !ok || target == "" {
		return r, badField("target", "a non-empty node id string", f.target)
	}
	r.target = target
	var err error
	if r.payload, err = decodePayload(f.payload); err != nil {
		return r, err
	}
	if r.scheduleReq, err = h.decodeSchedule(&f); err != nil {
		return r, err
	}
	if r.timeout, ok = floatIn(f.attemptTimeout, contract.DefaultAttemptTimeout, 0, contract.MaxTimeout, true); !ok {
		return r, badField("attempt_timeout", fmt.Sprintf("a number of seconds above 0 and at most %s", num(contract.MaxTimeout)), f.attemptTimeout)
	}
	if r.maxElapsed, ok = floatIn(f.maxElapsed, 0, 0, contract.MaxElapsedLimit, true); !ok {
		return r, badField("max_elapsed", fmt.Sprintf("a number of seconds above 0 and at most %s (or null: no limit)", num(contract.MaxElapsedLimit)), f.maxElapsed)
	}
	if r.budget, err = decodeBudget(f.retryBudget); err != nil {
		return r, err
	}
	return r, nil
}

// decodeBudget validates retry_budget: absent or true for the node's
// default budget, false for none, or an object with ratio and
// min_per_second, each optional.
func decodeBudget(v []byte) (budgetChoice, error) {
	b := budgetChoice{ratio: backoff.DefaultBudgetRatio, floor: backoff.DefaultBudgetMinPerSecond}
	const want = "true, false, or an object with ratio (0 to 10) and min_per_second (0 to 1000)"
	switch jsonwire.KindOf(v) {
	case jsonwire.NoValue:
		return b, nil
	case jsonwire.BooleanKind:
		b.off = v[0] == 'f'
		return b, nil
	case jsonwire.ObjectKind:
	default:
		return b, badField("retry_budget", want, v)
	}
	members, err := jsonwire.ParseObject(v, nil)
	if err != nil {
		return b, badField("retry_budget", want, v)
	}
	for _, m := range members {
		var ok bool
		switch m.Key {
		case "ratio":
			b.ratio, ok = floatIn(m.Value, b.ratio, 0, maxBudgetRatio, false)
		case "min_per_second":
			b.floor, ok = floatIn(m.Value, b.floor, 0, maxBudgetFloor, false)
		}
		if !ok || math.IsNaN(b.ratio) {
			return b, badField("retry_budget", want, v)
		}
	}
	return b, nil
}

// A payload is the body a relay delivers: its type and its other members,
// encoded, msg_id dropped (each attempt gets a fresh one). A payload that
// is itself a backoff_relay is nested: the relay gives it a max_elapsed no
// longer than its own attempt's wait, so that the inner relay answers
// before the outer one stops waiting for it.
type payload struct {
	typ        string
	members    []jsonwire.Member
	maxElapsed float64 // of a nested relay, as the client asked; 0: none
}

func (p *payload) nested() bool { return p.typ == "backoff_relay" }

// decodePayload checks that v is a request body: an object with a string
// type and no in_reply_to.
func decodePayload(v []byte) (payload, error) {
	const want = "an object with a string type and no in_reply_to"
	var p payload
	if jsonwire.KindOf(v) != jsonwire.ObjectKind {
		return p, badField("payload", want, v)
	}
	members, err := jsonwire.ParseObject(v, nil)
	if err != nil {
		return p, badField("payload", want, v)
	}
	hasType := false
	for _, m := range members {
		switch m.Key {
		case "type":
			p.typ, hasType = jsonwire.String(m.Value)
		case "in_reply_to":
			return p, badField("payload", want, v)
		case "msg_id":
		default:
			p.members = append(p.members, m)
		}
	}
	if !hasType {
		return p, badField("payload", want, v)
	}
	if p.nested() {
		// Nested payloads are rebuilt for every attempt, after the request
		// is gone: keep a copy of what they refer to.
		members, _ = jsonwire.ParseObject(bytes.Clone(v), nil)
		p.members = p.members[:0]
		for _, m := range members {
			if m.Key != "type" && m.Key != "msg_id" {
				p.members = append(p.members, m)
			}
		}
		kept := p.members[:0]
		for _, m := range p.members {
			if m.Key == "max_elapsed" {
				p.maxElapsed, _ = jsonwire.Float(m.Value) // null or bad: the inner node judges
				continue
			}
			kept = append(kept, m)
		}
		p.members = kept
	}
	return p, nil
}

// body builds the payload's body for an attempt that waits wait seconds.
func (p *payload) body(wait float64) *node.Body {
	b := node.NewBody(p.typ)
	for _, m := range p.members {
		b.Member(m)
	}
	if p.nested() {
		limit := wait
		if p.maxElapsed > 0 {
			limit = min(limit, p.maxElapsed)
		}
		b.Float("max_elapsed", limit)
	}
	return b
}
