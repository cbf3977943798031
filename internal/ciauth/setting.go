package ciauth

import (
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
)

// settingForms is how the oidc_token profile setting may be written.
const settingForms = "github | gitlab:VARNAME | file:/path"

// envName is what a POSIX shell accepts as a variable name.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// FromSetting returns the token source the profile setting oidc_token names:
//
//	github        GitHub Actions' token request flow (ACTIONS_ID_TOKEN_REQUEST_URL
//	              and _TOKEN from getenv), asking for audience
//	gitlab:VAR    the environment variable VAR (GitLab CI id_tokens)
//	file:/path    the token file, re-read at every call
//	""            github when ACTIONS_ID_TOKEN_REQUEST_URL is set, else
//	              file:$AWS_WEB_IDENTITY_TOKEN_FILE when that is set
//
// The kind ("github", "gitlab", "file") is case-insensitive. An empty
// audience means DefaultAudience; it applies to github only (GitLab's aud is
// set in the pipeline, a file's by its writer). A nil getenv means
// os.Getenv; a nil hc a client with a 30 s timeout. Nothing is fetched
// here; a source that cannot work in this environment (github without its
// variables, no source detected) is an error wrapping ErrNoToken.
func FromSetting(setting string, getenv func(string) string, hc *http.Client, audience string) (TokenSource, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if audience == "" {
		audience = DefaultAudience
	}
	setting = strings.TrimSpace(setting)
	kind, arg, hasArg := strings.Cut(setting, ":")
	switch strings.ToLower(kind) {
	case "":
		if hasArg {
			break
		}
		return detect(getenv, hc, audience)
	case "github":
		if hasArg {
			return nil, fmt.Errorf("oidc_token %q: github takes no argument (the request URL and token come from %s and %s)",
				setting, EnvGitHubRequestURL, EnvGitHubRequestToken)
		}
		return github(getenv, hc, audience)
	case "gitlab":
		if !envName.MatchString(arg) {
			return nil, fmt.Errorf("oidc_token %q: write gitlab:VARNAME, naming the variable the job's id_tokens: declares", setting)
		}
		return EnvVar(arg, getenv), nil
	case "file":
		if strings.TrimSpace(arg) == "" {
			return nil, fmt.Errorf("oidc_token %q: write file:/path/to/token", setting)
		}
		return File(arg), nil
	}
	return nil, fmt.Errorf("oidc_token %q: unknown token source, want %s", setting, settingForms)
}

// github is the "github" setting: both request variables must be set.
func github(getenv func(string) string, hc *http.Client, audience string) (TokenSource, error) {
	for _, name := range []string{EnvGitHubRequestURL, EnvGitHubRequestToken} {
		if getenv(name) == "" {
			return nil, fmt.Errorf("oidc_token github: %s is not set: %s: %w", name, permissionHint, ErrNoToken)
		}
	}
	return GitHub(getenv(EnvGitHubRequestURL), getenv(EnvGitHubRequestToken), audience, hc), nil
}

// detect is the empty setting: GitHub Actions, else a token file.
func detect(getenv func(string) string, hc *http.Client, audience string) (TokenSource, error) {
	if getenv(EnvGitHubRequestURL) != "" {
		return github(getenv, hc, audience)
	}
	if p := getenv(EnvTokenFile); p != "" {
		return File(p), nil
	}
	return nil, fmt.Errorf("oidc_token: no web identity token source found: set oidc_token (%s), "+
		"or in GitHub Actions give the workflow `permissions: id-token: write`, or set %s: %w",
		settingForms, EnvTokenFile, ErrNoToken)
}
