package handlers

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/backoff-node/backoff-node/backoff"
	"github.com/backoff-node/backoff-node/internal/jsonwire"
	"github.com/backoff-node/backoff-node/node"
	maelstrom "github.com/jepsen-io/maelstrom/demo/go"
)

// Bounds of the wire contract (SPEC.md, compute_backoff and backoff_relay).
const (
	maxRetriesLimit = 10000   // max_retries: integer 0..10000
	minBaseDelay    = 0.001   // base_delay: >= 1 ms
	maxDelayLimit   = 86400.0 // base_delay and max_delay: <= one day
	maxSeed         = 1 << 53 // seed: integer 0..2^53
	defaultTimeout  = 1.0     // attempt_timeout default, seconds
	maxTimeout      = 60.0    // attempt_timeout: <= 60 s
	maxShown        = 40      // bytes of a bad value quoted in an error
)

// scheduleParams are the validated fields shared by compute_backoff and
// backoff_relay.
type scheduleParams struct {
	retries  int
	params   backoff.Params
	seed     uint64
	strategy string
}

// badField is the error 12 for a field; the text names it and what is valid.
func badField(field, want string, got []byte) error {
	return maelstrom.NewRPCError(maelstrom.MalformedRequest,
		fmt.Sprintf("%s must be %s, got %s", field, want, show(got)))
}

func show(v []byte) string {
	if len(v) > maxShown {
		return string(v[:maxShown]) + "..."
	}
	return string(v)
}

// field returns the request's value for key, treating null as absent.
func field(req *node.Request, key string) ([]byte, bool) {
	v, ok := req.Field(key)
	if !ok || jsonwire.Kind(v) == "null" {
		return nil, false
	}
	return v, true
}

func intField(req *node.Request, key string, def, lo, hi int64) (int64, error) {
	v, ok := field(req, key)
	if !ok {
		return def, nil
	}
	n, ok := jsonwire.Int(v)
	if !ok || n < lo || n > hi {
		return 0, badField(key, fmt.Sprintf("an integer from %d to %d", lo, hi), v)
	}
	return n, nil
}

// floatField decodes a finite number in [lo, hi] (lo excluded if open);
// valid describes that range for the error text.
func floatField(req *node.Request, key string, def, lo, hi float64, open bool, valid string) (float64, error) {
	v, ok := field(req, key)
	if !ok {
		return def, nil
	}
	f, ok := jsonwire.Float(v)
	if !ok || f < lo || f > hi || open && f == lo {
		return 0, badField(key, valid, v)
	}
	return f, nil
}

func num(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// decodeSchedule validates the compute_backoff fields of req.
func (h *handlers) decodeSchedule(req *node.Request) (scheduleParams, error) {
	var p scheduleParams
	retries, err := intField(req, "max_retries", backoff.DefaultMaxRetries, 0, maxRetriesLimit)
	if err != nil {
		return p, err
	}
	p.retries = int(retries)
	if p.params.Base, err = floatField(req, "base_delay", backoff.DefaultBase, minBaseDelay, maxDelayLimit, false,
		fmt.Sprintf("a number of seconds from %s to %s", num(minBaseDelay), num(maxDelayLimit))); err != nil {
		return p, err
	}
	maxDef := max(backoff.DefaultMax, p.params.Base) // a base above the default cap raises the default cap
	if p.params.Max, err = floatField(req, "max_delay", maxDef, p.params.Base, maxDelayLimit, false,
		fmt.Sprintf("a number of seconds from base_delay (%s) to %s", num(p.params.Base), num(maxDelayLimit))); err != nil {
		return p, err
	}
	if p.params.Jitter, err = floatField(req, "jitter", backoff.DefaultJitter, 0, 1, false, "a fraction from 0 to 1"); err != nil {
		return p, err
	}
	if v, ok := field(req, "seed"); ok {
		s, ok := jsonwire.Int(v)
		if !ok || s < 0 || s > maxSeed {
			return p, badField("seed", fmt.Sprintf("an integer from 0 to 2^53 (%d)", int64(maxSeed)), v)
		}
		p.seed = uint64(s)
	} else {
		p.seed = h.newSeed()
	}
	p.strategy = backoff.DefaultStrategy
	if v, ok := field(req, "strategy"); ok {
		s, isString := jsonwire.String(v)
		if _, err := backoff.Lookup(s, p.params); !isString || err != nil {
			return p, badField("strategy", "one of "+strings.Join(backoff.Names(), ", "), v)
		}
		p.strategy = s
	}
	return p, nil
}

// timeoutField decodes attempt_timeout in seconds.
func timeoutField(req *node.Request) (float64, error) {
	return floatField(req, "attempt_timeout", defaultTimeout, 0, maxTimeout, true,
		fmt.Sprintf("a number of seconds above 0 and at most %s", num(maxTimeout)))
}
