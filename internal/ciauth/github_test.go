package ciauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

const (
	requestToken = "ghs_requestTOKENsecret0123456789"
	jobToken     = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOnB0c2FtbC9wdHNhbWwifQ.c2lnbmF0dXJl"
)

// fakeGitHub is GitHub's job token endpoint on loopback: it records each
// request and answers with status and body.
type fakeGitHub struct {
	mu     sync.Mutex
	reqs   []*http.Request
	status int
	body   string
	srv    *httptest.Server
}

func newFakeGitHub(t *testing.T, status int, body string) *fakeGitHub {
	t.Helper()
	f := &fakeGitHub{status: status, body: body}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.reqs = append(f.reqs, r.Clone(context.Background()))
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.status)
		fmt.Fprint(w, f.body)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeGitHub) requests() []*http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*http.Request(nil), f.reqs...)
}

func TestGitHubRequest(t *testing.T) {
	tests := []struct {
		name, path, audience string
		wantQuery            string // raw query the server saw
	}{
		{"URL with a query", "/_apis/idtoken?api-version=2.0", "sts.amazonaws.com", "api-version=2.0&audience=sts.amazonaws.com"},
		{"URL without a query", "/oidc/token", "sts.amazonaws.com", "audience=sts.amazonaws.com"},
		{"audience escaped", "/idtoken?api-version=2.0", "api://AzureADTokenExchange", "api-version=2.0&audience=api%3A%2F%2FAzureADTokenExchange"},
		{"audience already in the URL is replaced", "/idtoken?audience=old&api-version=2.0", "sts.amazonaws.com", "api-version=2.0&audience=sts.amazonaws.com"},
		{"no audience", "/idtoken?api-version=2.0", "", "api-version=2.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeGitHub(t, http.StatusOK, `{"count":1,"value":"`+jobToken+`"}`)
			src := GitHub(f.srv.URL+tt.path, requestToken, tt.audience, f.srv.Client())
			tok, err := src.Token(context.Background())
			if err != nil {
				t.Fatalf("Token: %v", err)
			}
			if tok != jobToken {
				t.Errorf("token = %q, want %q", tok, jobToken)
			}
			reqs := f.requests()
			if len(reqs) != 1 {
				t.Fatalf("requests = %d, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != http.MethodGet || r.URL.RawQuery != tt.wantQuery {
				t.Errorf("request = %s ?%s, want GET ?%s", r.Method, r.URL.RawQuery, tt.wantQuery)
			}
			if got := r.Header.Get("Authorization"); got != "bearer "+requestToken {
				t.Errorf("Authorization = %q, want bearer <request token>", got)
			}
			if got := fmt.Sprint(src); strings.Contains(got, requestToken) || !strings.Contains(got, "GitHub Actions") {
				t.Errorf("String() = %q", got)
			}
		})
	}
}

func TestGitHubFreshTokenEveryCall(t *testing.T) {
	f := newFakeGitHub(t, http.StatusOK, `{"value":"`+jobToken+`"}`)
	src := GitHub(f.srv.URL+"/idtoken", requestToken, DefaultAudience, f.srv.Client())
	for range 3 {
		if _, err := src.Token(context.Background()); err != nil {
			t.Fatalf("Token: %v", err)
		}
	}
	if n := len(f.requests()); n != 3 {
		t.Errorf("requests = %d, want one per call", n)
	}
}

func TestGitHubErrors(t *testing.T) {
	tests := []struct {
		name          string
		status        int
		body          string
		url, reqToken string // "" url: the fake's
		want          []string
		wantNoToken   bool
	}{
		{name: "forbidden", status: 403, body: `{"message":"Can't issue ID_TOKEN for audience"}`,
			want: []string{"HTTP 403 Forbidden", "permissions: id-token: write"}},
		{name: "server error", status: 500, body: `oops ` + requestToken, want: []string{"HTTP 500 Internal Server Error", "permissions: id-token: write"}},
		{name: "not JSON", status: 200, body: `<html>`, want: []string{`not JSON {"value": …}`}},
		{name: "no value", status: 200, body: `{"count":0}`, want: []string{`no "value"`}},
		{name: "URL unset", status: 200, url: "-", want: []string{"ACTIONS_ID_TOKEN_REQUEST_URL is not set", "id-token: write"}, wantNoToken: true},
		{name: "request token unset", status: 200, reqToken: "-", want: []string{"ACTIONS_ID_TOKEN_REQUEST_TOKEN is not set", "id-token: write"}, wantNoToken: true},
		{name: "URL not http", status: 200, url: "ftp://host/x?secret=1", want: []string{"not an http(s) URL: ftp://host/x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeGitHub(t, tt.status, tt.body)
			u, rt := f.srv.URL+"/idtoken?api-version=2.0", requestToken
			if tt.url == "-" {
				u = ""
			} else if tt.url != "" {
				u = tt.url
			}
			if tt.reqToken == "-" {
				rt = ""
			}
			_, err := GitHub(u, rt, DefaultAudience, f.srv.Client()).Token(context.Background())
			if err == nil {
				t.Fatal("Token succeeded, want error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error = %q, want %q", err, w)
				}
			}
			if errors.Is(err, ErrNoToken) != tt.wantNoToken {
				t.Errorf("errors.Is(err, ErrNoToken) = %v, want %v", !tt.wantNoToken, tt.wantNoToken)
			}
			if strings.Contains(err.Error(), requestToken) || strings.Contains(err.Error(), "secret=1") {
				t.Errorf("error leaks a secret: %q", err)
			}
		})
	}
}

func TestGitHubUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL + "/idtoken"
	srv.Close()
	_, err := GitHub(u, requestToken, DefaultAudience, nil).Token(context.Background())
	if err == nil || !strings.Contains(err.Error(), "request GitHub Actions job token") || strings.Contains(err.Error(), requestToken) {
		t.Fatalf("error = %v, want a request failure without the request token", err)
	}
}

func TestGitHubCanceled(t *testing.T) {
	f := newFakeGitHub(t, http.StatusOK, `{"value":"x"}`)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := GitHub(f.srv.URL, requestToken, "", f.srv.Client()).Token(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
}
