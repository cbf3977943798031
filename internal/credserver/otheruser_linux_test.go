package credserver

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/testing/otheruser"
)

const helperEnv = "CREDSERVER_TEST_OTHER_USER_URL"

// TestProtectionOtherUser runs a client as another user (uid 65534, nobody),
// which needs root (CI runs as root); elsewhere the peer check is covered by
// TestPeerCheck and the live lookups of our own sockets.
func TestProtectionOtherUser(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run a client as another user")
	}
	bin := otheruser.Binary(t)

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
			out, err := otheruser.Command(t, bin, "TestHelperOtherUserClient",
				helperEnv+"="+s.URL(), "CREDSERVER_TEST_TOKEN="+s.Token()).CombinedOutput()
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
