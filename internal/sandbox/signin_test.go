package sandbox

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestSignInBadPasswordShowsFormAgain(t *testing.T) {
	srv, fake := startSandbox(t, Options{})
	sp := newTestSP(t, srv, fake, AWSAudience, "/saml/acs")
	err := SignIn(t.Context(), sp.loginURL(t), "alice", "wrong")
	if !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("SignIn with a bad password = %v, want ErrInvalidCredentials", err)
	}
	if len(sp.received()) != 0 {
		t.Errorf("the ACS received %d SAMLResponse posts, want none", len(sp.received()))
	}
}

func TestSignInLoginPageIsMarkedAsSandbox(t *testing.T) {
	srv, fake := startSandbox(t, Options{})
	sp := newTestSP(t, srv, fake, AWSAudience, "/saml/acs")
	resp, err := http.Get(sp.loginURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{Banner, `name="username"`, `type="password"`, `name="SAMLRequest"`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("login page lacks %q", want)
		}
	}
}

func TestIdPRefusesServiceProviders(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		acsPath string
		want    string
	}{
		{name: "ACS not in ACSURLs", opts: Options{ACSURLs: []string{"http://127.0.0.1:1/saml/acs"}}, acsPath: "/saml/acs", want: "is not one of the sandbox's"},
		{name: "SP entity ID not the configured one", opts: Options{SPEntityID: "urn:other"}, acsPath: "/saml/acs", want: "HTTP 400"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, fake := startSandbox(t, tc.opts)
			sp := newTestSP(t, srv, fake, AWSAudience, tc.acsPath)
			err := SignIn(t.Context(), sp.loginURL(t), "alice", "alice")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("SignIn = %v, want an error containing %q", err, tc.want)
			}
			if len(sp.received()) != 0 {
				t.Errorf("the ACS received %d posts, want none", len(sp.received()))
			}
		})
	}
}

func TestIsLoopbackACS(t *testing.T) {
	tests := map[string]bool{
		"http://127.0.0.1:18181/saml/acs":  true,
		"http://127.0.0.1:18181/other":     true,
		"https://127.0.0.1:18181/saml/acs": false,
		"http://localhost:18181/saml/acs":  false,
		"http://127.0.0.1/saml/acs":        false,
		"http://10.0.0.1:18181/saml/acs":   false,
		"http://u:p@127.0.0.1:1/saml/acs":  false,
		"http://127.0.0.1:18181":           false,
	}
	for in, want := range tests {
		t.Run(in, func(t *testing.T) {
			if got := isLoopbackACS(in); got != want {
				t.Errorf("isLoopbackACS(%q) = %v, want %v", in, got, want)
			}
		})
	}
}
