// Package ciauth fetches the OpenID Connect job tokens that CI systems give
// their jobs, to be exchanged at STS (AssumeRoleWithWebIdentity): GitHub
// Actions' token request flow, a token in an environment variable (GitLab
// CI's id_tokens) and a token file (AWS_WEB_IDENTITY_TOKEN_FILE style, as on
// Kubernetes). Every Token call fetches or re-reads the token, so a long job
// re-authenticating by itself gets a fresh one. Tokens are secrets: they
// never appear in an error or a String.
package ciauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// TokenSource hands out a web identity token (a JWT) on every call.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// DefaultAudience is the aud requested from GitHub when none is configured:
// the client ID AWS's IAM OIDC providers expect by default.
const DefaultAudience = "sts.amazonaws.com"

// ErrNoToken is wrapped by errors meaning no token can be had here (a
// variable not set, a source not configured): a login is required, retrying
// will not help.
var ErrNoToken = errors.New("no web identity token")

// Environment variables read by FromSetting.
const (
	EnvGitHubRequestURL   = "ACTIONS_ID_TOKEN_REQUEST_URL"
	EnvGitHubRequestToken = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
	EnvTokenFile          = "AWS_WEB_IDENTITY_TOKEN_FILE"
)

// EnvVar returns a source reading the token from the environment variable
// name at every call (GitLab CI: a variable declared under the job's
// id_tokens:). A nil getenv means os.Getenv. An unset or empty variable is
// an error naming it and wrapping ErrNoToken.
func EnvVar(name string, getenv func(string) string) TokenSource {
	if getenv == nil {
		getenv = os.Getenv
	}
	return envSource{name: name, getenv: getenv}
}

type envSource struct {
	name   string
	getenv func(string) string
}

func (s envSource) Token(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("read web identity token from $%s: %w", s.name, err)
	}
	tok := strings.TrimSpace(s.getenv(s.name))
	if tok == "" {
		return "", fmt.Errorf("read web identity token: environment variable %s is not set or empty "+
			"(GitLab CI: declare it under the job's id_tokens: with aud: %s): %w", s.name, DefaultAudience, ErrNoToken)
	}
	return tok, nil
}

func (s envSource) String() string { return "environment variable " + s.name }

// File returns a source reading the token from path at every call, as the
// AWS SDKs do with AWS_WEB_IDENTITY_TOKEN_FILE: whoever writes the file
// (kubelet, a CI step) may replace the token at any time. Surrounding
// whitespace is dropped; an empty file is an error.
func File(path string) TokenSource { return fileSource{path: path} }

type fileSource struct{ path string }

// maxTokenFile bounds what is read from a token file; JWTs are a few KiB.
const maxTokenFile = 1 << 20

func (s fileSource) Token(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("read web identity token file %s: %w", s.path, err)
	}
	f, err := os.Open(s.path)
	if err != nil {
		return "", fmt.Errorf("read web identity token file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
	if err != nil {
		return "", fmt.Errorf("read web identity token file %s: %w", s.path, err)
	}
	if len(b) > maxTokenFile {
		return "", fmt.Errorf("read web identity token file %s: larger than %d bytes, not a token", s.path, maxTokenFile)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("read web identity token file %s: the file is empty", s.path)
	}
	return tok, nil
}

func (s fileSource) String() string { return "token file " + s.path }
