package sandbox

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

func assumeWeb(ctx context.Context, srv *Server, token, role, session string) (*sts.AssumeRoleWithWebIdentityOutput, error) {
	return stsClient(srv, nil).AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(role), RoleSessionName: aws.String(session), WebIdentityToken: aws.String(token),
	})
}

func callerIdentityOf(ctx context.Context, srv *Server, c *types.Credentials) (*sts.GetCallerIdentityOutput, error) {
	p := credentials.NewStaticCredentialsProvider(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)
	return stsClient(srv, p).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
}

func mint(t *testing.T, srv *Server, o TokenOptions) string {
	t.Helper()
	tok, err := srv.MintToken(o)
	if err != nil {
		t.Fatalf("MintToken: %v", err)
	}
	return tok
}

func fetchStats(t *testing.T, srv *Server) stats {
	t.Helper()
	resp, err := http.Get(srv.URL() + statsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st stats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatalf("decode /stats: %v", err)
	}
	return st
}

func TestAssumeRoleWithWebIdentity(t *testing.T) {
	var logs syncBuffer
	srv, fake := startSandbox(t, Options{Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	token := mint(t, srv, TokenOptions{})
	out, err := assumeWeb(t.Context(), srv, token, TrainRoleARN, "gh-ptsaml-ptsaml-4242424242-1")
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
	}
	wantArn := "arn:aws:sts::123456789012:assumed-role/TrainRole/gh-ptsaml-ptsaml-4242424242-1"
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != wantArn {
		t.Errorf("AssumedRoleUser.Arn = %q, want %q", got, wantArn)
	}
	if aws.ToString(out.SubjectFromWebIdentityToken) != DefaultTokenSubject || aws.ToString(out.Audience) != DefaultOIDCAudience ||
		aws.ToString(out.Provider) != strings.TrimPrefix(srv.OIDCIssuer(), "http://") {
		t.Errorf("result facts: subject %q audience %q provider %q", aws.ToString(out.SubjectFromWebIdentityToken),
			aws.ToString(out.Audience), aws.ToString(out.Provider))
	}
	c := out.Credentials
	if !strings.HasPrefix(*c.AccessKeyId, "ASIA") || len(*c.SessionToken) < 400 {
		t.Errorf("credentials not AWS-shaped: key id %q", *c.AccessKeyId)
	}
	if got, want := *c.Expiration, fake.Now().Add(time.Hour); !got.Equal(want) {
		t.Errorf("Expiration = %v, want %v (default 3600 s)", got, want)
	}
	id, err := callerIdentityOf(t.Context(), srv, c)
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	if aws.ToString(id.Arn) != wantArn || aws.ToString(id.Account) != Account {
		t.Errorf("GetCallerIdentity = %q in %q, want %q", aws.ToString(id.Arn), aws.ToString(id.Account), wantArn)
	}
	st := fetchStats(t, srv)
	if st.WebIdentityCalls != 1 || st.WebIdentityAccepted != 1 || st.WebIdentityRejected != 0 || st.STSCalls != 0 {
		t.Errorf("stats = %+v, want one accepted web identity call and no SAML call", st)
	}
	if srv.WebIdentityCalls() != 1 || srv.STSCalls() != 0 {
		t.Errorf("WebIdentityCalls = %d, STSCalls = %d; want 1 and 0", srv.WebIdentityCalls(), srv.STSCalls())
	}
	for _, secret := range []string{token, *c.SecretAccessKey, *c.SessionToken, srv.OIDCRequestToken()} {
		if strings.Contains(logs.String(), secret) {
			t.Fatal("the log holds a secret")
		}
	}
	if !strings.Contains(logs.String(), "AssumeRoleWithWebIdentity accepted") {
		t.Errorf("no log line for the call:\n%s", logs.String())
	}
}

func TestWebIdentityCredentialTTL(t *testing.T) {
	srv, fake := startSandbox(t, Options{CredentialTTL: time.Minute})
	out, err := stsClient(srv, nil).AssumeRoleWithWebIdentity(t.Context(), &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(TrainRoleARN), RoleSessionName: aws.String("ci"), WebIdentityToken: aws.String(mint(t, srv, TokenOptions{})),
		DurationSeconds: aws.Int32(7200),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := *out.Credentials.Expiration, fake.Now().Add(time.Minute); !got.Equal(want) {
		t.Errorf("Expiration = %v, want %v (CredentialTTL)", got, want)
	}
	fake.Advance(61 * time.Second)
	_, err = callerIdentityOf(t.Context(), srv, out.Credentials)
	if code, status := apiError(err); code != "ExpiredToken" || status != 403 {
		t.Fatalf("GetCallerIdentity after the TTL: %v; want ExpiredToken, HTTP 403", err)
	}
}

// TestWebIdentityRejections checks each refusal with AWS's error code,
// HTTP status and message, through the real SDK client.
func TestWebIdentityRejections(t *testing.T) {
	tests := []struct {
		name       string
		token      func(t *testing.T, srv *Server) string
		before     func(f interface{ Advance(time.Duration) })
		role       string // default TrainRoleARN
		session    string // default "ci-run"
		wantCode   string
		wantStatus int
		wantMsg    string
	}{
		{name: "wrong audience", token: minted(TokenOptions{Audience: githubDefaultAudience}),
			wantCode: "InvalidIdentityToken", wantStatus: 400, wantMsg: "Incorrect token audience"},
		{name: "expired by the clock", token: minted(TokenOptions{Lifetime: 5 * time.Minute}),
			before:   func(f interface{ Advance(time.Duration) }) { f.Advance(5 * time.Minute) },
			wantCode: "ExpiredTokenException", wantStatus: 400, wantMsg: "Token is expired"},
		{name: "minted expired", token: minted(TokenOptions{Expired: true}),
			wantCode: "ExpiredTokenException", wantStatus: 400, wantMsg: "Token is expired"},
		{name: "signed by another key", token: minted(TokenOptions{ForeignKey: true}),
			wantCode: "InvalidIdentityToken", wantStatus: 400, wantMsg: "Couldn't verify the signature"},
		{name: "wrong issuer", token: minted(TokenOptions{Issuer: "https://token.actions.githubusercontent.com"}),
			wantCode: "InvalidIdentityToken", wantStatus: 400,
			wantMsg: "No OpenIDConnect provider found in your account for https://token.actions.githubusercontent.com"},
		{name: "unknown role", token: minted(TokenOptions{}), role: "arn:aws:iam::123456789012:role/NoSuchRole",
			wantCode: "AccessDenied", wantStatus: 403, wantMsg: "Not authorized to perform sts:AssumeRoleWithWebIdentity"},
		{name: "malformed token", token: func(*testing.T, *Server) string { return "not-a-jwt" },
			wantCode: "InvalidIdentityToken", wantStatus: 400, wantMsg: "not a valid JWT"},
		{name: "alg none", token: func(t *testing.T, srv *Server) string {
			parts := strings.Split(mint(t, srv, TokenOptions{}), ".")
			return base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
		}, wantCode: "InvalidIdentityToken", wantStatus: 400, wantMsg: "not a valid JWT"},
		{name: "claims changed after signing", token: func(t *testing.T, srv *Server) string {
			parts := strings.Split(mint(t, srv, TokenOptions{}), ".")
			other := strings.Split(mint(t, srv, TokenOptions{Subject: "repo:evil/evil:ref:refs/heads/main"}), ".")
			return parts[0] + "." + other[1] + "." + parts[2]
		}, wantCode: "InvalidIdentityToken", wantStatus: 400, wantMsg: "Couldn't verify the signature"},
		{name: "HS256 keyed with the public key", token: func(t *testing.T, srv *Server) string {
			pub, err := x509.MarshalPKIXPublicKey(srv.oidc.jwk.Key)
			if err != nil {
				t.Fatal(err)
			}
			return signWith(t, srv, jose.HS256, pub, srv.oidc.jwk.KeyID)
		}, wantCode: "InvalidIdentityToken", wantStatus: 400, wantMsg: "Couldn't verify the signature"},
		{name: "unknown kid", token: func(t *testing.T, srv *Server) string {
			key, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				t.Fatal(err)
			}
			return signWith(t, srv, jose.RS256, key, "other-kid")
		}, wantCode: "InvalidIdentityToken", wantStatus: 400, wantMsg: "Couldn't retrieve verification key"},
		{name: "not yet valid", token: func(t *testing.T, srv *Server) string {
			return mint(t, srv, TokenOptions{Claims: map[string]any{"nbf": srv.clock.Now().Add(time.Hour).Unix()}})
		}, wantCode: "InvalidIdentityToken", wantStatus: 400, wantMsg: "not yet valid"},
		{name: "issued in the future", token: func(t *testing.T, srv *Server) string {
			return mint(t, srv, TokenOptions{Claims: map[string]any{"iat": srv.clock.Now().Add(time.Hour).Unix()}})
		}, wantCode: "InvalidIdentityToken", wantStatus: 400, wantMsg: "issued in the future"},
		{name: "no exp", token: minted(TokenOptions{Claims: map[string]any{"exp": nil}}),
			wantCode: "InvalidIdentityToken", wantStatus: 400, wantMsg: "missing the exp claim"},
		{name: "token too long", token: func(*testing.T, *Server) string { return strings.Repeat("a", 20001) },
			wantCode: "ValidationError", wantStatus: 400,
			wantMsg: "Value at 'webIdentityToken' failed to satisfy constraint: Member must have length between 4 and 20000"},
		{name: "bad session name", token: minted(TokenOptions{}), session: "ci run",
			wantCode: "ValidationError", wantStatus: 400, wantMsg: "Member must satisfy regular expression pattern"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, fake := startSandbox(t, Options{})
			token := tc.token(t, srv)
			if tc.before != nil {
				tc.before(fake)
			}
			role, session := orDefault(tc.role, TrainRoleARN), orDefault(tc.session, "ci-run")
			_, err := assumeWeb(t.Context(), srv, token, role, session)
			code, status := apiError(err)
			if code != tc.wantCode || status != tc.wantStatus {
				t.Fatalf("error = %v; want code %s, HTTP %d", err, tc.wantCode, tc.wantStatus)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q lacks %q", err, tc.wantMsg)
			}
			if strings.Contains(err.Error(), token) {
				t.Error("the error echoes the token")
			}
			if st := fetchStats(t, srv); st.WebIdentityCalls != 1 || st.WebIdentityRejected != 1 {
				t.Errorf("stats = %+v, want one rejected web identity call", st)
			}
		})
	}
}

func minted(o TokenOptions) func(*testing.T, *Server) string {
	return func(t *testing.T, srv *Server) string { return mint(t, srv, o) }
}

// signWith signs the sandbox's default claims with any key, algorithm and
// kid, as a forger would.
func signWith(t *testing.T, srv *Server, alg jose.SignatureAlgorithm, key any, kid string) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	parts := strings.Split(mint(t, srv, TokenOptions{}), ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
