package credstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

// realKeyring returns a store on the session's real Secret Service under a unique
// service name, or skips the test. Run it with a private bus and unlocked keyring:
//
//	keyring.sh run -- go test ./internal/credstore/ -run Real
func realKeyring(t *testing.T) *KeyringStore {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("real Secret Service test runs on Linux only")
	}
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Skip("no Secret Service: DBUS_SESSION_BUS_ADDRESS is not set (run under testbed/keyring.sh run -- go test ...)")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	s := NewKeyring("ptsaml-test-"+hex.EncodeToString(b[:]), 10*time.Second)
	ctx := context.Background()
	if err := s.kset(ctx, "probe", "probe-value"); err != nil {
		t.Skipf("no usable Secret Service on DBUS_SESSION_BUS_ADDRESS=%s: probe Set: %v", os.Getenv("DBUS_SESSION_BUS_ADDRESS"), err)
	}
	if v, err := s.kget(ctx, "probe"); err != nil || v != "probe-value" {
		t.Skipf("no usable Secret Service: probe Get = %q, %v", v, err)
	}
	_ = s.kdel(ctx, "probe")
	t.Cleanup(func() { _ = keyring.DeleteAll(s.Service) })
	return s
}

func TestRealKeyringStore(t *testing.T) {
	testStore(t, realKeyring(t), "keyring")
}

func TestRealKeyringChunks(t *testing.T) {
	s := realKeyring(t)
	ctx := context.Background()
	big := make([]byte, 10*1024)
	_, _ = rand.Read(big) // binary, so chunks carry arbitrary bytes
	if err := s.Set(ctx, "profile:big", big); err != nil {
		t.Fatalf("Set 10 KiB: %v", err)
	}
	h, err := s.readHeader(ctx, "profile:big")
	if err != nil {
		t.Fatal(err)
	}
	if h.Chunks != 6 || h.Len != len(big) {
		t.Fatalf("header = %+v, want 6 chunks of 10240 bytes", h)
	}
	for i := 0; i < h.Chunks; i++ {
		c, err := keyring.Get(s.Service, chunkUser("profile:big", h.Gen, i))
		if err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
		if len(c) > DefaultChunkSize {
			t.Errorf("chunk %d holds %d bytes, more than %d", i, len(c), DefaultChunkSize)
		}
	}
	got, err := s.Get(ctx, "profile:big")
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("Get 10 KiB: %d bytes, %v", len(got), err)
	}
	small := []byte(`{"AccessKeyId":"ASIA"}`)
	if err := s.Set(ctx, "profile:big", small); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < h.Chunks; i++ {
		if _, err := keyring.Get(s.Service, chunkUser("profile:big", h.Gen, i)); !errors.Is(err, keyring.ErrNotFound) {
			t.Errorf("old chunk %d still there after overwrite: %v", i, err)
		}
	}
	if got, err := s.Get(ctx, "profile:big"); err != nil || !bytes.Equal(got, small) {
		t.Fatalf("Get after overwrite = %q, %v", got, err)
	}
}

// An unreachable session bus must give ErrUnavailable with the file-store hint, never
// ErrNotFound. godbus caches the session bus connection per process, so this runs in a
// child process with a bus address where nothing listens.
func TestKeyringUnreachableBus(t *testing.T) {
	if os.Getenv("CREDSTORE_TEST_UNREACHABLE") == "1" {
		s := NewKeyring("ptsaml-test", 5*time.Second)
		for _, err := range []error{
			s.Set(context.Background(), "profile:dev", []byte("v")),
			func() error { _, err := s.Get(context.Background(), "profile:dev"); return err }(),
		} {
			t.Logf("error reads: %v", err)
			if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "PTSAML_STORE=file") {
				t.Errorf("err = %v, want ErrUnavailable with the file-store hint", err)
			}
		}
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("D-Bus Secret Service backend is Linux only")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestKeyringUnreachableBus$", "-test.v")
	cmd.Env = append(os.Environ(), "CREDSTORE_TEST_UNREACHABLE=1",
		"DBUS_SESSION_BUS_ADDRESS=unix:path="+t.TempDir()+"/no-bus")
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS: TestKeyringUnreachableBus")) {
		t.Fatalf("child: %v\n%s", err, out)
	}
}
