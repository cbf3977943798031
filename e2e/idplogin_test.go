package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/ptsaml/ptsaml/internal/testing/chromelogin"
)

// inputValue returns the value of the first <input> named name on page, or
// "" when there is none. SimpleSAMLphp carries AuthState and SAMLResponse so.
func inputValue(page, name string) string {
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		return ""
	}
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode || n.DataAtom != atom.Input {
			continue
		}
		var isNamed bool
		var value string
		for _, a := range n.Attr {
			switch a.Key {
			case "name":
				isNamed = a.Val == name
			case "value":
				value = a.Val
			}
		}
		if isNamed {
			return value
		}
	}
	return ""
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
