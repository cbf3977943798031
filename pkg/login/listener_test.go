package login

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

func TestACSHandlerRefusesBadPosts(t *testing.T) {
	var mu sync.Mutex
	var codes []string
	h := &acsHandler{
		path:     "/saml/acs",
		accepted: make(chan *Result, 1),
		validate: func(*http.Request, string, string) (*Result, error) {
			return nil, reject(CodeSignature, "", "test rejection")
		},
		onReject: func(r *RejectedError) { mu.Lock(); codes = append(codes, r.Code); mu.Unlock() },
		onError:  func(error) {},
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	h.host = strings.TrimPrefix(srv.URL, "http://")
	acs := srv.URL + "/saml/acs"

	cases := []struct {
		name     string
		target   string
		form     url.Values
		body     string
		wantCode int
		wantRej  string
	}{
		{name: "wrong path", target: srv.URL + "/other", form: url.Values{"SAMLResponse": {"x"}}, wantCode: http.StatusNotFound},
		{name: "artifact", target: acs, form: url.Values{"SAMLart": {"AAQAA"}}, wantCode: http.StatusBadRequest, wantRej: CodeArtifact},
		{name: "no SAMLResponse", target: acs, form: url.Values{"RelayState": {"r"}}, wantCode: http.StatusBadRequest, wantRej: CodeRequest},
		{name: "too large", target: acs, body: "SAMLResponse=" + strings.Repeat("A", maxBody+10), wantCode: http.StatusRequestEntityTooLarge, wantRej: CodeRequest},
		{name: "rejected response", target: acs, form: url.Values{"SAMLResponse": {"x"}}, wantCode: http.StatusForbidden, wantRej: CodeSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mu.Lock()
			codes = nil
			mu.Unlock()
			body := c.body
			if body == "" {
				body = c.form.Encode()
			}
			resp, err := http.Post(c.target, "application/x-www-form-urlencoded", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != c.wantCode {
				t.Errorf("status = %d, want %d", resp.StatusCode, c.wantCode)
			}
			mu.Lock()
			defer mu.Unlock()
			if c.wantRej == "" && len(codes) != 0 || c.wantRej != "" && (len(codes) != 1 || codes[0] != c.wantRej) {
				t.Errorf("rejections = %v, want [%s]", codes, c.wantRej)
			}
		})
	}
}
