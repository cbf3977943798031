package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

func getJSON(t *testing.T, url, auth string, v any) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: HTTP %d, body %q: %v", url, resp.StatusCode, body, err)
	}
	return resp.StatusCode
}

// TestOIDCDiscoveryAndJWKS reads the issuer as a relying party would and
// verifies a minted token with the JWKS it publishes.
func TestOIDCDiscoveryAndJWKS(t *testing.T) {
	srv, fake := startSandbox(t, Options{})
	var doc discoveryDocument
	if code := getJSON(t, srv.OIDCIssuer()+"/.well-known/openid-configuration", "", &doc); code != http.StatusOK {
		t.Fatalf("discovery: HTTP %d", code)
	}
	if doc.Issuer != srv.OIDCIssuer() || doc.JWKSURI != srv.OIDCIssuer()+"/jwks" || doc.SigningAlgValues[0] != "RS256" {
		t.Errorf("discovery document = %+v", doc)
	}
	var set jose.JSONWebKeySet
	getJSON(t, doc.JWKSURI, "", &set)
	if len(set.Keys) != 1 || !set.Keys[0].IsPublic() || set.Keys[0].Algorithm != "RS256" || set.Keys[0].KeyID == "" {
		t.Fatalf("JWKS = %+v, want one public RS256 key with a kid", set)
	}
	tok, err := jwt.ParseSigned(mint(t, srv, TokenOptions{}), []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	var std jwt.Claims
	var ci ciClaims
	if err := tok.Claims(set.Keys[0].Key, &std, &ci); err != nil {
		t.Fatalf("verify a minted token with the published JWKS: %v", err)
	}
	if tok.Headers[0].KeyID != set.Keys[0].KeyID {
		t.Errorf("token kid %q, JWKS kid %q", tok.Headers[0].KeyID, set.Keys[0].KeyID)
	}
	err = std.Validate(jwt.Expected{Issuer: srv.OIDCIssuer(), Subject: DefaultTokenSubject,
		AnyAudience: jwt.Audience{DefaultOIDCAudience}, Time: fake.Now()})
	if err != nil {
		t.Errorf("claims: %v", err)
	}
	if ci.Repository != DefaultTokenRepository || ci.RunID != DefaultTokenRunID || ci.RunAttempt != "1" ||
		ci.Workflow == "" || ci.Ref != DefaultTokenRef || ci.Actor == "" {
		t.Errorf("CI claims = %+v", ci)
	}
}

// TestOIDCTokenRequest runs GitHub's request flow over HTTP: the right
// request token gets {"value": jwt} that the STS exchanges; a missing or
// wrong one gets 401 and no token.
func TestOIDCTokenRequest(t *testing.T) {
	srv, _ := startSandbox(t, Options{})
	if !strings.Contains(srv.OIDCRequestURL(), "?") {
		t.Fatalf("OIDCRequestURL %q holds no query; clients append &audience=", srv.OIDCRequestURL())
	}
	tests := []struct {
		name, auth, audience string
		wantStatus           int
		wantExchange         string // "" = accepted, else the STS error code
	}{
		{"right request token", "bearer " + srv.OIDCRequestToken(), DefaultOIDCAudience, 200, ""},
		{"Bearer spelt with a capital", "Bearer " + srv.OIDCRequestToken(), DefaultOIDCAudience, 200, ""},
		{"no audience: GitHub's default", "bearer " + srv.OIDCRequestToken(), "", 200, "InvalidIdentityToken"},
		{"missing request token", "", DefaultOIDCAudience, 401, ""},
		{"wrong request token", "bearer " + srv.OIDCRequestToken() + "x", DefaultOIDCAudience, 401, ""},
		{"basic auth", "Basic " + srv.OIDCRequestToken(), DefaultOIDCAudience, 401, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			url := srv.OIDCRequestURL()
			if tc.audience != "" {
				url += "&audience=" + tc.audience
			}
			var body map[string]string
			if code := getJSON(t, url, tc.auth, &body); code != tc.wantStatus {
				t.Fatalf("HTTP %d, want %d", code, tc.wantStatus)
			}
			if tc.wantStatus != 200 {
				if _, ok := body["value"]; ok {
					t.Fatal("a refused request got a token")
				}
				return
			}
			_, err := assumeWeb(t.Context(), srv, body["value"], TrainRoleARN, "gh-run")
			if code, _ := apiError(err); code != tc.wantExchange {
				t.Fatalf("exchange: %v; want %q", err, tc.wantExchange)
			}
		})
	}
	st := fetchStats(t, srv)
	if st.OIDCTokenRequests != int64(len(tests)) || st.OIDCTokensRefused != 3 {
		t.Errorf("stats: %d token requests, %d refused; want %d and 3", st.OIDCTokenRequests, st.OIDCTokensRefused, len(tests))
	}
}

func TestOIDCHostChecked(t *testing.T) {
	srv, _ := startSandbox(t, Options{})
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.OIDCRequestURL(), nil)
	req.Host = "evil.example:80"
	req.Header.Set("Authorization", "bearer "+srv.OIDCRequestToken())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("foreign Host answered HTTP %d, want 421", resp.StatusCode)
	}
}

// TestStateDirKeepsOIDCKey: the signing key (so the kid and the JWKS)
// survives a restart, and its file is private.
func TestStateDirKeepsOIDCKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	first, _ := startSandbox(t, Options{StateDir: dir})
	kid := first.oidc.jwk.KeyID
	fi, err := os.Stat(filepath.Join(dir, oidcKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("oidc key file mode %v, want 0600", fi.Mode().Perm())
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	second, _ := startSandbox(t, Options{StateDir: dir})
	if second.oidc.jwk.KeyID != kid {
		t.Errorf("kid after restart %q, want the kept %q", second.oidc.jwk.KeyID, kid)
	}
	other, _ := startSandbox(t, Options{})
	if other.oidc.jwk.KeyID == kid {
		t.Error("a sandbox without StateDir reused the kept key")
	}
	if first.OIDCRequestToken() == second.OIDCRequestToken() {
		t.Error("the request token survived a restart; want a fresh one")
	}
}
