package ciauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// githubTimeout bounds one token request when the caller's client has none.
const githubTimeout = 30 * time.Second

// maxGitHubAnswer bounds the token request's answer; it holds one JWT.
const maxGitHubAnswer = 1 << 20

// permissionHint is what a workflow needs for GitHub to issue job tokens.
const permissionHint = "the workflow (or job) needs `permissions: id-token: write`"

// GitHub returns a source that requests a fresh job token from GitHub
// Actions at every call: GET requestURL (ACTIONS_ID_TOKEN_REQUEST_URL) with
// "audience=<audience>" added to its query (left out when audience is
// empty, which makes GitHub use its default), authorised with
// "Authorization: bearer <requestToken>" (ACTIONS_ID_TOKEN_REQUEST_TOKEN),
// answering {"value": "<jwt>"}. A nil hc means a client with a 30 s timeout.
// GitHub sets both variables only for workflows with id-token: write, and
// the errors say so.
func GitHub(requestURL, requestToken, audience string, hc *http.Client) TokenSource {
	if hc == nil {
		hc = &http.Client{Timeout: githubTimeout}
	}
	return githubSource{url: requestURL, token: requestToken, audience: audience, hc: hc}
}

type githubSource struct {
	url, token, audience string
	hc                   *http.Client
}

func (s githubSource) String() string {
	if s.audience == "" {
		return "GitHub Actions job token"
	}
	return "GitHub Actions job token (audience " + s.audience + ")"
}

func (s githubSource) Token(ctx context.Context) (string, error) {
	const step = "request GitHub Actions job token"
	switch {
	case s.url == "":
		return "", fmt.Errorf("%s: %s is not set: %s: %w", step, EnvGitHubRequestURL, permissionHint, ErrNoToken)
	case s.token == "":
		return "", fmt.Errorf("%s: %s is not set: %s: %w", step, EnvGitHubRequestToken, permissionHint, ErrNoToken)
	}
	u, err := withAudience(s.url, s.audience)
	if err != nil {
		return "", fmt.Errorf("%s: %s: %w", step, EnvGitHubRequestURL, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", fmt.Errorf("%s: %w", step, err)
	}
	// GitHub's documentation spells the scheme in lower case; it is case-insensitive.
	req.Header.Set("Authorization", "bearer "+s.token)
	req.Header.Set("Accept", "application/json")
	resp, err := s.hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("%s: %w", step, scrubErr(err, s.token))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxGitHubAnswer))
	if err != nil {
		return "", fmt.Errorf("%s: read the answer: %w", step, scrubErr(err, s.token))
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: GitHub answered HTTP %s: %s", step, statusText(resp), permissionHint)
	}
	var answer struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		return "", fmt.Errorf("%s: the answer is not JSON {\"value\": …}", step)
	}
	if tok := strings.TrimSpace(answer.Value); tok != "" {
		return tok, nil
	}
	return "", fmt.Errorf("%s: the answer has no \"value\"", step)
}

// withAudience adds audience=<audience> to raw's query, keeping the query
// it already has (GitHub's URL carries api-version) as it is.
func withAudience(raw, audience string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", errors.New("not a URL")
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("not an http(s) URL: %s", redactURL(u))
	}
	if audience == "" {
		return u.String(), nil
	}
	q := u.Query()
	if q.Has("audience") {
		q.Set("audience", audience)
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	if u.RawQuery != "" {
		u.RawQuery += "&"
	}
	u.RawQuery += "audience=" + url.QueryEscape(audience)
	return u.String(), nil
}

// statusText is "403 Forbidden", or just the code when the server sent an odd status line.
func statusText(resp *http.Response) string {
	if t := http.StatusText(resp.StatusCode); t != "" {
		return fmt.Sprintf("%d %s", resp.StatusCode, t)
	}
	return fmt.Sprint(resp.StatusCode)
}

// redactURL drops user info, query and fragment.
func redactURL(u *url.URL) string {
	c := *u
	c.User, c.RawQuery, c.Fragment = nil, "", ""
	return c.String()
}

// scrubErr keeps err for errors.Is/As but makes sure its text does not
// carry the request token.
func scrubErr(err error, secret string) error {
	if secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return &scrubbedError{err: err, msg: strings.ReplaceAll(err.Error(), secret, "[redacted]")}
}

type scrubbedError struct {
	err error
	msg string
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }
