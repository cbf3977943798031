// Package peeruid tells which local user owns the other end of a loopback
// TCP connection, so that a loopback HTTP server can refuse callers run by
// another user of a shared host. Loopback is open to every user; a server's
// random token is the first barrier and this check is a second one, where
// the kernel says who owns a socket (Linux: netlink sock_diag, then
// /proc/net/tcp and /proc/net/tcp6). Elsewhere SystemLookup is nil and New
// returns a nil Check, which lets every caller through.
package peeruid

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
)

// Lookup returns the uid owning the socket whose local address is client
// and whose remote address is server, that is the caller's end of a
// connection as the server sees it. It returns an error wrapping
// ErrUnavailable when the socket tables cannot be read at all (the check
// then fails open), and one wrapping ErrNotFound when they do not list the
// socket (the caller is refused).
type Lookup func(client, server netip.AddrPort) (uid uint32, err error)

var (
	// ErrUnavailable means the kernel's socket tables could not be read.
	ErrUnavailable = errors.New("socket table unreadable")
	// ErrNotFound means the tables were read but do not list the socket.
	ErrNotFound = errors.New("caller's socket not listed")
)

// Check refuses callers whose socket belongs to a user other than the one
// running this process. A nil *Check allows every caller. Its methods are
// safe for concurrent use.
type Check struct {
	name   string // prefixes log lines: "credential endpoint"
	lookup Lookup
	uid    uint32
	log    *slog.Logger
	warned atomic.Bool // tables unreadable, said once
	// refused holds the uids (int64; -1: socket not found) already warned about.
	refused sync.Map
}

// New returns a check for one listener; name starts its log lines. A nil
// lookup means SystemLookup. New returns nil (every caller allowed, said at
// debug level) where the platform cannot tell socket owners; a nil log
// discards its lines.
func New(name string, log *slog.Logger, lookup Lookup) *Check {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if lookup == nil {
		lookup = SystemLookup()
	}
	if lookup == nil {
		log.Debug(name + ": this platform cannot tell who owns a loopback socket; relying on the token alone")
		return nil
	}
	return &Check{name: name, lookup: lookup, uid: uint32(os.Getuid()), log: log}
}

type connKey struct{}

// conn is the verdict for one connection, reached on its first request.
type conn struct {
	client, server netip.AddrPort
	once           sync.Once
	ok             bool
	uid            uint32
	known          bool // uid was found
}

// ConnContext is for http.Server.ConnContext. It runs in the accept loop,
// so it only records the connection's addresses; the lookup waits for the
// first request. On a nil Check it returns ctx unchanged.
func (c *Check) ConnContext(ctx context.Context, nc net.Conn) context.Context {
	if c == nil {
		return ctx
	}
	cp := &conn{}
	if a, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		cp.client = a.AddrPort()
	}
	if a, ok := nc.LocalAddr().(*net.TCPAddr); ok {
		cp.server = a.AddrPort()
	}
	return context.WithValue(ctx, connKey{}, cp)
}

// Allowed reports whether the connection behind a request's ctx belongs to
// our user, looking it up once per connection (later requests on it get
// the same answer). A socket of another user, or one the tables do not
// list, is refused, with a warning the first time for each uid. When
// the tables cannot be read the caller is let through (the token still
// guards) and a warning says so once per Check. A ctx that did not come
// through ConnContext is refused; a nil Check allows everyone.
func (c *Check) Allowed(ctx context.Context) bool {
	if c == nil {
		return true
	}
	cp := c.verdict(ctx)
	return cp != nil && cp.ok
}

// Owner returns the uid that owns the connection behind ctx, from the same
// once-per-connection lookup as Allowed (whichever runs first makes it).
// ok is false when the socket could not be found or the tables read, for a
// ctx that did not come through ConnContext, and on a nil Check.
func (c *Check) Owner(ctx context.Context) (uid uint32, ok bool) {
	cp := c.verdict(ctx)
	if cp == nil {
		return 0, false
	}
	return cp.uid, cp.known
}

// verdict is the connection's judged record, or nil without one.
func (c *Check) verdict(ctx context.Context) *conn {
	if c == nil {
		return nil
	}
	cp, _ := ctx.Value(connKey{}).(*conn)
	if cp == nil {
		return nil
	}
	cp.once.Do(func() { c.judge(cp) })
	return cp
}

func (c *Check) judge(cp *conn) {
	uid, err := c.lookup(cp.client, cp.server)
	switch {
	case errors.Is(err, ErrUnavailable):
		if c.warned.CompareAndSwap(false, true) {
			c.log.Warn(c.name+": cannot tell which user owns a caller's socket; relying on the token alone", "err", err)
		}
		cp.ok = true
	case err != nil:
		c.logRefusal(-1, c.name+": refused a caller whose socket could not be found", "client", cp.client.String(), "err", err)
	case uid != c.uid:
		cp.uid, cp.known = uid, true
		c.logRefusal(int64(uid), c.name+": refused a caller owned by another user", "client", cp.client.String(), "uid", uid, "want_uid", c.uid)
	default:
		cp.uid, cp.known, cp.ok = uid, true, true
	}
}

// logRefusal warns about the first refusal of each uid (-1: socket not
// found) and logs the rest at debug level, so another user opening
// connections in a loop cannot flood the person's terminal.
func (c *Check) logRefusal(uid int64, msg string, args ...any) {
	if _, seen := c.refused.LoadOrStore(uid, true); seen {
		c.log.Debug(msg, args...)
		return
	}
	c.log.Warn(msg, append(args, "later", "further refusals of this caller are logged at debug level")...)
}
