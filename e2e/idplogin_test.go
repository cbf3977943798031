package e2e

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/ptsaml/ptsaml/internal/testing/chromelogin"
)

// inputValue matches <input ... name="NAME" ... value="VALUE"> as SimpleSAMLphp writes it.
func inputValue(page, name string) string {
	re := regexp.MustCompile(`<input[^>]*name="` + regexp.QuoteMeta(name) + `"[^>]*value="([^"]*)"`)
	m := re.FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// simpleSAMLLogin signs in at SimpleSAMLphp over plain HTTP (no browser), as
// the SP-initiated flow for acsURL, and returns the base64 SAMLResponse the IdP
// would post there.
func simpleSAMLLogin(ctx context.Context, ssoURL, acsURL, user, password string) (string, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return "", err
	}
	client := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	start, err := chromelogin.AuthnRequestURL(ssoURL, acsURL, spEntityID, "e2e", time.Now())
	if err != nil {
		return "", err
	}
	form, formURL, err := fetch(ctx, client, http.MethodGet, start, nil)
	if err != nil {
		return "", fmt.Errorf("open login form: %w", err)
	}
	state := inputValue(form, "AuthState")
	if state == "" {
		return "", fmt.Errorf("open login form: no AuthState on %s", formURL)
	}
	post := *formURL
	post.RawQuery = ""
	answer, _, err := fetch(ctx, client, http.MethodPost, post.String(),
		url.Values{"username": {user}, "password": {password}, "AuthState": {state}})
	if err != nil {
		return "", fmt.Errorf("post credentials: %w", err)
	}
	resp := inputValue(answer, "SAMLResponse")
	if resp == "" {
		return "", fmt.Errorf("post credentials: the IdP answered without a SAMLResponse")
	}
	return resp, nil
}

func fetch(ctx context.Context, c *http.Client, method, target string, form url.Values) (string, *url.URL, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return "", nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", nil, err
	}
	defer resp.Body.Close()
	page, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return "", nil, fmt.Errorf("%s %s: HTTP %d", method, resp.Request.URL.Path, resp.StatusCode)
	}
	return string(page), resp.Request.URL, nil
}
