package broker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// webClaims are the facts read, unverified, from a web identity token. They
// name the session and tell status and audit which job it was; STS decides
// whether the token is genuine.
type webClaims struct {
	Issuer, Subject string
	Audience        []string
	Expiry          time.Time // zero when the token has no exp
	CI              map[string]string
	SessionName     string // RoleSessionName, already sanitised
	kind            string // "github", "gitlab" or "" (any other issuer)
}

// Claims copied into Session.CI, per CI system, when present in the token.
var (
	githubClaims = []string{"repository", "repository_owner", "run_id", "run_number", "run_attempt",
		"workflow", "job_workflow_ref", "ref", "ref_type", "sha", "actor", "event_name", "environment"}
	gitlabClaims = []string{"project_path", "namespace_path", "pipeline_id", "pipeline_source", "job_id",
		"ref", "ref_type", "sha", "user_login", "environment"}
)

// jwsAlgorithms are accepted when reading the claims: every JWS signature
// algorithm, because which ones are trusted is STS's decision, not ours.
var jwsAlgorithms = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.ES256, jose.ES384, jose.ES512,
	jose.PS256, jose.PS384, jose.PS512, jose.EdDSA, jose.HS256, jose.HS384, jose.HS512,
}

// maxClaimLen bounds each claim copied into Session.CI.
const maxClaimLen = 200

// parseWebClaims reads token's claims without verifying its signature. The
// error never quotes the token.
func parseWebClaims(token string) (*webClaims, error) {
	tok, err := jwt.ParseSigned(strings.TrimSpace(token), jwsAlgorithms)
	if err != nil {
		return nil, fmt.Errorf("web identity token is not a signed JWT (%s)", scrub(strings.ReplaceAll(err.Error(), token, "[token]")))
	}
	var std jwt.Claims
	var raw map[string]json.RawMessage
	if err := tok.UnsafeClaimsWithoutVerification(&std, &raw); err != nil {
		return nil, errors.New("web identity token: its claims are not a JSON object")
	}
	c := &webClaims{Issuer: std.Issuer, Subject: std.Subject, Audience: []string(std.Audience)}
	if std.Expiry != nil {
		c.Expiry = std.Expiry.Time().UTC()
	}
	get := func(name string) string { return claimString(raw[name]) }
	var keep []string
	switch {
	case get("repository") != "" && get("run_id") != "":
		c.kind, keep = "github", githubClaims
		c.SessionName = ciSessionName("gh-", get("repository"), "-"+get("run_id"), get("run_attempt"))
	case get("project_path") != "" && get("pipeline_id") != "":
		c.kind, keep = "gitlab", gitlabClaims
		c.SessionName = ciSessionName("gl-", get("project_path"), "-"+get("pipeline_id"), "")
	default:
		c.SessionName = "oidc"
		if c.Subject != "" {
			c.SessionName = truncate(sanitizeSessionName("oidc-"+c.Subject), maxSessionName)
		}
	}
	for _, k := range keep {
		if v := get(k); v != "" {
			if c.CI == nil {
				c.CI = map[string]string{"ci": c.kind}
			}
			c.CI[k] = truncate(oneLine(v), maxClaimLen)
		}
	}
	return c, nil
}

// claimString renders a string, number or boolean claim as text; "" for
// anything else (objects, arrays, null, absent).
func claimString(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	var s string
	if raw[0] == '"' {
		if json.Unmarshal(raw, &s) != nil {
			return ""
		}
		return strings.TrimSpace(s)
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return fmt.Sprint(b)
	}
	return ""
}

// maxSessionName is STS's limit on RoleSessionName, which takes 2..64
// characters of [\w+=,.@-]; every name built here has a prefix of at least 2.
const maxSessionName = 64

// ciSessionName joins prefix, what and the ids (id, then "-"+attempt when
// attempt is set), sanitised; when too long, what is shortened so the ids,
// which tell runs apart, survive.
func ciSessionName(prefix, what, id, attempt string) string {
	suffix := id
	if attempt != "" {
		suffix += "-" + attempt
	}
	prefix, what, suffix = sanitizeSessionName(prefix), sanitizeSessionName(what), sanitizeSessionName(suffix)
	if room := maxSessionName - len(prefix) - len(suffix); room >= 0 {
		return prefix + truncate(what, room) + suffix
	}
	return truncate(prefix+what+suffix, maxSessionName)
}

// sanitizeSessionName replaces every character STS does not accept in a
// RoleSessionName ([\w+=,.@-]) with '-'.
func sanitizeSessionName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		case strings.ContainsRune("_+=,.@-", r):
			return r
		}
		return '-'
	}, s)
}

// truncate cuts s to at most n bytes, on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && (s[n]&0xc0) == 0x80 {
		n--
	}
	return s[:n]
}
