package credstore

import (
	"bytes"
	"context"
	"fmt"
	"sync"
)

// MemoryStore keeps values in process memory, for CI and tests. Values are copied in and
// out, so callers may reuse their slices. The zero value is ready to use.
type MemoryStore struct {
	mu sync.Mutex
	m  map[string][]byte
}

// NewMemory returns an empty memory store.
func NewMemory() *MemoryStore { return &MemoryStore{} }

// Name returns "memory".
func (s *MemoryStore) Name() string { return KindMemory }

// Get returns a copy of the value for key; ErrNotFound when absent.
func (s *MemoryStore) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memory store get: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	if !ok {
		return nil, fmt.Errorf("memory store get %q: %w", key, ErrNotFound)
	}
	return bytes.Clone(v), nil
}

// Set stores a copy of value under key.
func (s *MemoryStore) Set(ctx context.Context, key string, value []byte) error {
	if err := checkKey(key); err != nil {
		return fmt.Errorf("memory store set: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory store set: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[string][]byte)
	}
	v := make([]byte, len(value)) // non-nil even for an empty value
	copy(v, value)
	s.m[key] = v
	return nil
}

// Delete removes key; an absent key is not an error.
func (s *MemoryStore) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory store delete: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
	return nil
}
