package credserver

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const helperEnv = "CREDSERVER_TEST_OTHER_USER_URL"

// TestProtectionOtherUser runs a client as another user (uid 65534, nobody),
// which needs root (CI runs as root); elsewhere the peer check is covered by
// TestPeerCheck and the live lookups of our own sockets.
func TestProtectionOtherUser(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run a client as another user")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The test binary lives in a 0700 directory: copy it where uid 65534 can run it.
	dir, err := os.MkdirTemp("", "credserver-other-user-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	bin := filepath.Join(dir, "credserver.test")
	if err := copyFile(self, bin); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name  string
		allow bool
		want  string
	}{
		{"refused", false, "403"},
		{"allowed when configured", true, "200"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _, logs := start(t, Options{Clock: wallClock{}, AllowOtherUsers: tc.allow})
			s.Update(testCreds(0, time.Now().Add(time.Hour)))
			cmd := exec.CommandContext(t.Context(), bin, "-test.run=^TestHelperOtherUserClient$")
			cmd.Env = []string{helperEnv + "=" + s.URL(), "CREDSERVER_TEST_TOKEN=" + s.Token()}
			cmd.Dir = dir
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("client as uid 65534: %v\n%s", err, out)
			}
			if !strings.Contains(string(out), "status="+tc.want) {
				t.Errorf("client saw %q, want status=%s; log:\n%s", out, tc.want, logs)
			}
			if !tc.allow && !strings.Contains(logs.String(), "uid=65534") {
				t.Errorf("refusal not logged with the caller's uid:\n%s", logs)
			}
		})
	}
}

// TestHelperOtherUserClient is the client half of TestProtectionOtherUser.
func TestHelperOtherUserClient(t *testing.T) {
	url := os.Getenv(helperEnv)
	if url == "" {
		t.Skip("helper process only")
	}
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", os.Getenv("CREDSERVER_TEST_TOKEN"))
	resp, err := (&http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	fmt.Printf("status=%d\n", resp.StatusCode)
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer func() { _ = in.Close() }()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}
