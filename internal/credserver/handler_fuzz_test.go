package credserver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzHandler drives the handler with arbitrary method, path, Host and
// Authorization values. In host, "{port}" stands for the server's port; in
// auth, "{token}" for its token (both are random per process). Properties:
// no panic; 200 exactly when the request is a GET of Path with Host
// 127.0.0.1:PORT and a single Authorization value equal to the token; no
// other answer carries the secret.
func FuzzHandler(f *testing.F) {
	s, _, _ := start(f, Options{AllowOtherUsers: true}) // no socket to check the owner of
	creds := testCreds(0, t0.Add(time.Hour))
	s.Update(creds)
	port := strconv.Itoa(int(s.Addr().Port()))

	f.Add("GET", Path, "127.0.0.1:{port}", "{token}", false)
	f.Add("GET", Path, "localhost:{port}", "{token}", false)
	f.Add("GET", Path, "LocalHost:{port}", "{token}", false)
	f.Add("GET", Path, "127.0.0.1:{port}", "{token}", true)
	f.Add("GET", Path, "127.0.0.1:{port}", "Bearer {token}", false)
	f.Add("GET", Path, "127.0.0.1:{port}", "{token} ", false)
	f.Add("GET", Path, "127.0.0.1:{port}", "", false)
	f.Add("GET", Path, "evil.example.com:{port}", "{token}", false)
	f.Add("GET", Path, "127.0.0.1", "{token}", false)
	f.Add("GET", Path, "[::1]:{port}", "{token}", false)
	f.Add("GET", Path+"/", "127.0.0.1:{port}", "{token}", false)
	f.Add("GET", "/", "127.0.0.1:{port}", "{token}", false)
	f.Add("get", Path, "127.0.0.1:{port}", "{token}", false)
	f.Add("HEAD", Path, "127.0.0.1:{port}", "{token}", false)
	f.Add("POST", Path, "127.0.0.1:{port}", "{token}", false)
	f.Add("", "", "", "", false)

	f.Fuzz(func(t *testing.T, method, path, host, auth string, twoAuth bool) {
		host = strings.ReplaceAll(host, "{port}", port)
		auth = strings.ReplaceAll(auth, "{token}", s.Token())
		header := http.Header{"Authorization": {auth}}
		if twoAuth {
			header["Authorization"] = append(header["Authorization"], auth)
		}
		r := (&http.Request{
			Method: method, URL: &url.URL{Path: path}, Host: host, Header: header,
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, RemoteAddr: "127.0.0.1:1234",
		}).WithContext(context.Background())
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)

		want := method == http.MethodGet && path == Path &&
			host == "127.0.0.1:"+port &&
			!twoAuth && auth == s.Token()
		if got := w.Code == http.StatusOK; got != want {
			t.Fatalf("%q %q Host %q (token %v, two %v): status %d, want 200 = %v",
				method, path, host, auth == s.Token(), twoAuth, w.Code, want)
		}
		if w.Code != http.StatusOK && strings.Contains(w.Body.String(), creds.SecretAccessKey) {
			t.Fatalf("status %d carries the secret", w.Code)
		}
	})
}
