package credstore

import (
	"context"
	"errors"
)

// cleanupContext is ctx without its cancellation, bounded by the store's Timeout as a
// whole: a Set interrupted (Ctrl-C) after its chunks were written still removes what it
// no longer needs and its record, instead of leaving them to a later writer.
func (s *KeyringStore) cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), s.timeout())
}

// dropWrite undoes a Set whose write of chunk n-1 failed with cause: it deletes chunks
// 0..n-1 of generation gen and then the record of the write. When that chunk write may
// still land (the caller gave up or it timed out, and it has not answered), or a chunk
// cannot be deleted, the record stays so that a later Set or Delete removes the rest.
func (s *KeyringStore) dropWrite(ctx context.Context, key, gen string, n int, cause error) {
	cctx, cancel := s.cleanupContext(ctx)
	defer cancel()
	settled := true
	var u *unsettledError
	if errors.As(cause, &u) {
		_, settled = u.settle(cctx)
	}
	if s.deleteChunks(cctx, key, gen, n) && settled {
		s.endWrite(cctx, key, gen)
		return
	}
	s.logger().Debug("keyring: a failed write left chunks behind; a later write removes them", "key", key)
}

// awaitSwitch reports whether the header write that failed with err took effect after
// all: the caller gave up while the keyring was writing it, and the keyring then
// answered that it was written (waited for within the store's Timeout).
func (s *KeyringStore) awaitSwitch(ctx context.Context, err error) bool {
	var u *unsettledError
	if !errors.As(err, &u) || u.timedOut {
		return false
	}
	cctx, cancel := s.cleanupContext(ctx)
	defer cancel()
	r, ok := u.settle(cctx)
	return ok && r.err == nil
}

// finishWrite, once the header names generation gen, deletes the chunks of the
// generation it replaced (old; nil: none) and then the record of the write. If the old
// chunks cannot all be deleted the record stays, so that a later Set or Delete removes
// them.
func (s *KeyringStore) finishWrite(ctx context.Context, key string, old *header, gen string) {
	cctx, cancel := s.cleanupContext(ctx)
	defer cancel()
	if old != nil && old.Gen != gen && !s.deleteChunks(cctx, key, old.Gen, old.Chunks) {
		s.logger().Debug("keyring: the previous value's chunks stay until a later write", "key", key)
		return
	}
	s.endWrite(cctx, key, gen)
}
