package credserver

import (
	"sync/atomic"
	"time"
)

// Reasons a request is refused, the keys of Stats.Refused.
const (
	ReasonHost     = "host"      // Host header is not exactly 127.0.0.1:PORT (421)
	ReasonPeer     = "peer"      // the caller's socket belongs to another user (403)
	ReasonPath     = "path"      // not Path (404)
	ReasonMethod   = "method"    // not GET (405)
	ReasonBody     = "body"      // the request has a body (413)
	ReasonToken    = "token"     // missing or wrong Authorization (401)
	ReasonNotReady = "not_ready" // no Update yet (503)
	ReasonExpired  = "expired"   // the freshest credentials have expired (503)
)

type reason int

const (
	reasonHost reason = iota
	reasonPeer
	reasonPath
	reasonMethod
	reasonBody
	reasonToken
	reasonNotReady
	reasonExpired
	numReasons
)

var reasonNames = [numReasons]string{
	ReasonHost, ReasonPeer, ReasonPath, ReasonMethod, ReasonBody, ReasonToken, ReasonNotReady, ReasonExpired,
}

func (r reason) String() string { return reasonNames[r] }

// Stats count what the server has answered since Start.
type Stats struct {
	Served     uint64            // credentials handed out (200)
	Refused    map[string]uint64 // refused requests by reason (Reason…), non-zero counts only
	LastServed time.Time         // per the server's Clock; zero before the first 200
}

type counters struct {
	served     atomic.Uint64
	lastServed atomic.Int64 // UnixNano, 0 = never
	refused    [numReasons]atomic.Uint64
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	st := Stats{Served: s.stats.served.Load(), Refused: map[string]uint64{}}
	if n := s.stats.lastServed.Load(); n != 0 {
		st.LastServed = time.Unix(0, n)
	}
	for r := range numReasons {
		if n := s.stats.refused[r].Load(); n != 0 {
			st.Refused[r.String()] = n
		}
	}
	return st
}
