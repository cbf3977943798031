package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// TestParallelCredentialProcessProcesses starts 32 real credential-process
// processes on an empty cache of a keyring profile whose browser command is
// the sandbox's headless sign-in: the per-profile lock must make them share
// one login and one STS call, and all get the same credentials.
func TestParallelCredentialProcessProcesses(t *testing.T) {
	tb := loadTestbed()
	tb.require(t, keyring)
	ptsaml := ptsamlBin.get(t)
	h := newHome(t, tb.DBusAddress)
	clearKeyring(t, h)

	addr, acs := freeAddr(t), freeAddr(t)
	sb := exec.Command(ptsaml, "sandbox", "--addr", addr, "--acs-url", "http://"+acs+"/saml/acs",
		"--headless", "--store", "keyring")
	sb.Env = h.env
	if err := sb.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Process.Kill(); _, _ = sb.Process.Wait() })
	stats := func() (calls int) {
		resp, err := http.Get("http://" + addr + "/stats")
		if err != nil {
			return -1
		}
		defer resp.Body.Close()
		var s struct {
			STSCalls int `json:"sts_calls"`
		}
		if json.NewDecoder(resp.Body).Decode(&s) != nil {
			return -1
		}
		return s.STSCalls
	}
	deadline := time.Now().Add(10 * time.Second)
	for stats() < 0 {
		if time.Now().After(deadline) {
			t.Fatal("the sandbox did not answer within 10 s")
		}
		time.Sleep(50 * time.Millisecond)
	}

	const n = 32
	var wg sync.WaitGroup
	results := make([]result, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = h.runQuiet(t, ptsaml, "credential-process", "--profile", "sandbox")
		}()
	}
	wg.Wait()
	keys := map[string]int{}
	for i, r := range results {
		if r.code != 0 {
			t.Fatalf("process %d: exit %d\n%s", i, r.code, r.stderr)
		}
		var cp struct{ AccessKeyId string }
		if err := json.Unmarshal([]byte(r.stdout), &cp); err != nil {
			t.Fatalf("process %d: %v", i, err)
		}
		keys[cp.AccessKeyId]++
	}
	if got := stats(); got != 1 {
		t.Fatalf("%d parallel credential-process processes caused %d STS calls, want 1", n, got)
	}
	if len(keys) != 1 {
		t.Fatalf("processes got %d different keys: %v", len(keys), keys)
	}
	if items := keyringItems(t, h, "sandbox"); items == 0 {
		t.Fatal("the credentials are not in the keyring")
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprintf("127.0.0.1:%d", l.Addr().(*net.TCPAddr).Port)
}
