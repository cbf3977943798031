package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"
)

// ErrInvalidCredentials is returned by SignIn when the sandbox IdP shows
// its login form again after the username and password were posted.
var ErrInvalidCredentials = errors.New("sandbox idp: invalid username or password")

// SignIn is a headless browser for the sandbox IdP (net/http with a cookie
// jar, no JavaScript). It opens loginURL (the AuthnRequest redirect, or a
// page that redirects to it), fills the sandbox login form with user and
// password, and posts the resulting SAMLResponse and RelayState form to its
// action, the SP's ACS. It returns an error when the IdP refuses the request
// or the sign-in (ErrInvalidCredentials), or when the ACS answers with a
// status other than 2xx; that error quotes the start of the ACS page.
func SignIn(ctx context.Context, loginURL, user, password string) error {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return fmt.Errorf("sign in: cookie jar: %w", err)
	}
	b := browser{client: &http.Client{Jar: jar, Timeout: 30 * time.Second}}

	page, err := b.do(ctx, http.MethodGet, loginURL, nil)
	if err != nil {
		return fmt.Errorf("sign in: open login url: %w", err)
	}
	if login, ok := page.form(func(f htmlForm) bool { return f.hasPassword }); ok {
		login.fields.Set("username", user)
		login.fields.Set("password", password)
		if page, err = b.do(ctx, http.MethodPost, login.action, login.fields); err != nil {
			return fmt.Errorf("sign in: post login form: %w", err)
		}
		if _, again := page.form(func(f htmlForm) bool { return f.hasPassword }); again {
			return ErrInvalidCredentials
		}
	}
	saml, ok := page.form(func(f htmlForm) bool { return f.fields.Has("SAMLResponse") })
	if !ok {
		return fmt.Errorf("sign in: the idp page at %s has no SAMLResponse form: %s", hostPath(page.url), page.text())
	}
	if u, err := url.Parse(saml.action); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("sign in: SAMLResponse form posts to %q, not an http(s) URL", saml.action)
	}
	if _, err := b.do(ctx, http.MethodPost, saml.action, saml.fields); err != nil {
		return fmt.Errorf("sign in: post SAMLResponse to the acs: %w", err)
	}
	return nil
}

// browser fetches pages and refuses any answer that is not 2xx.
type browser struct{ client *http.Client }

func (b browser) do(ctx context.Context, method, target string, form url.Values) (*htmlPage, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	page, err := parsePage(resp.Request.URL, io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", hostPath(resp.Request.URL), err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("%s answered HTTP %d: %s", hostPath(resp.Request.URL), resp.StatusCode, page.text())
	}
	return page, nil
}

// hostPath names a URL without its query (which may carry a SAML message).
func hostPath(u *url.URL) string { return u.Scheme + "://" + u.Host + u.Path }
