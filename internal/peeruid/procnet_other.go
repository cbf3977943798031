//go:build !linux

package peeruid

// SystemLookup is nil: only Linux tells socket owners (sock_diag, /proc).
func SystemLookup() Lookup { return nil }
