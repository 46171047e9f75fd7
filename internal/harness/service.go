package harness

import (
	"sync/atomic"
	"time"
)

// A Handler answers a request sent to a Service: it returns the reply body
// (without in_reply_to and msg_id, which the service adds) and how long to
// wait before sending it, or a nil body for no reply. It may be called from
// several goroutines at once.
type Handler func(req *Message) (reply map[string]any, after time.Duration)

// A Service is a node simulated in the test process: a peer whose
// behaviour a test controls exactly, such as one that always answers late.
// Its messages go through the network's faults like any node's.
type Service struct {
	net      *Network
	peer     *peer
	handler  Handler
	next     atomic.Int64
	ignored  atomic.Int64
	inflight atomic.Int64
}

// Inflight returns how many replies the service holds back, waiting for
// their time to be sent.
func (s *Service) Inflight() int64 { return s.inflight.Load() }

// ID returns the service's id.
func (s *Service) ID() string { return s.peer.id }

// Ignored returns how many replies (messages with in_reply_to) reached the
// service, which sends no requests and so ignores them.
func (s *Service) Ignored() int64 { return s.ignored.Load() }

func (s *Service) accept(m *Message) {
	if m.HasInReplyTo {
		s.ignored.Add(1)
		return
	}
	body, after := s.handler(m)
	if body == nil {
		return
	}
	if m.HasMsgID {
		body["in_reply_to"] = m.MsgID
	}
	body["msg_id"] = s.next.Add(1) - 1
	line, err := encode(s.peer.id, m.Src, body)
	if err != nil {
		s.net.violate("service %s: encoding a reply: %v", s.peer.id, err)
		return
	}
	rep, err := ParseLine(line)
	if err != nil {
		s.net.violate("service %s wrote a line Maelstrom would reject (%v): %s", s.peer.id, err, line)
		return
	}
	if after <= 0 {
		s.net.route(s.peer, rep)
		return
	}
	s.inflight.Add(1)
	s.net.sched.at(time.Now().Add(after), func() {
		s.net.route(s.peer, rep)
		s.inflight.Add(-1)
	})
}
