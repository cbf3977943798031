package integration_test

import (
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/sandbox"
)

func TestSignalCancelsAWaitingLogin(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	e.browserOff()
	e.signals = make(chan os.Signal, 1)
	done := make(chan result, 1)
	go func() { done <- e.run("login", "--no-browser", "--timeout", "1m") }()
	// The login waits for an IdP answer that never comes; a signal ends it.
	acs := strings.TrimPrefix(strings.TrimSuffix(e.acsURL, "/saml/acs"), "http://")
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", acs); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the login never listened on its ACS port")
		}
	}
	e.signals <- syscall.SIGINT
	select {
	case r := <-done:
		if r.code != 2 || !strings.Contains(r.stderr, "cancelled") {
			t.Fatalf("exit %d, want 2 (cancelled)\n%s", r.code, r.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the login did not stop on SIGINT")
	}
}
