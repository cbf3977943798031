package submit

import (
	"runtime"
	"slices"
	"strings"
)

// shadowingVars are the variables that would make an AWS SDK in the job use
// something other than the container endpoint, or point it at another one.
//
// AWS_CONFIG_FILE is kept on purpose: region, endpoints, retry and S3 settings
// live there. A [default] profile in it that holds credentials settings would
// still come before the container provider; StaticDefaultWarning reports the
// static-key case.
var shadowingVars = []string{
	"AWS_ACCESS_KEY_ID",
	"AWS_SECRET_ACCESS_KEY",
	"AWS_SESSION_TOKEN",
	"AWS_SECURITY_TOKEN", // boto2's name for the session token
	"AWS_CREDENTIAL_EXPIRATION",
	"AWS_PROFILE",
	"AWS_DEFAULT_PROFILE",
	"AWS_SHARED_CREDENTIALS_FILE",
	"AWS_WEB_IDENTITY_TOKEN_FILE",
	"AWS_ROLE_ARN",
	"AWS_ROLE_SESSION_NAME",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
}

// CleanEnv returns env without the variables that would beat the container
// credentials provider in the AWS SDKs' default chain or redirect it:
// environment keys (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
// AWS_SECURITY_TOKEN, AWS_CREDENTIAL_EXPIRATION), profile selection
// (AWS_PROFILE, AWS_DEFAULT_PROFILE, AWS_SHARED_CREDENTIALS_FILE), web identity
// (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN, AWS_ROLE_SESSION_NAME) and any
// other container endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI,
// AWS_CONTAINER_CREDENTIALS_FULL_URI, AWS_CONTAINER_AUTHORIZATION_TOKEN,
// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE). AWS_CONFIG_FILE and everything else
// is kept, in order.
//
// removed lists the names that were dropped, once each, in the order they
// first appear, for one line telling the person; every occurrence of a name is
// dropped. Names compare case-insensitively on Windows, exactly elsewhere.
func CleanEnv(env []string) (clean, removed []string) {
	clean = make([]string, 0, len(env))
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.ContainsFunc(shadowingVars, func(v string) bool { return sameName(v, name) }) {
			clean = append(clean, kv)
			continue
		}
		if !slices.ContainsFunc(removed, func(v string) bool { return sameName(v, name) }) {
			removed = append(removed, name)
		}
	}
	return clean, removed
}

// JobEnv returns the environment of a job whose credentials come from the
// endpoint at endpointURL: CleanEnv(base) plus
// AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN.
// When region is not empty it replaces AWS_REGION and AWS_DEFAULT_REGION (the
// latter for boto3 and the AWS CLI v1); when it is empty the job keeps the
// region variables it inherits. The token goes to the job only through its
// environment, never through argv.
func JobEnv(base []string, endpointURL, token, region string) []string {
	env, _ := CleanEnv(base)
	env = setEnv(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI", endpointURL)
	env = setEnv(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN", token)
	if region != "" {
		env = setEnv(env, "AWS_REGION", region)
		env = setEnv(env, "AWS_DEFAULT_REGION", region)
	}
	return env
}

// setEnv drops every occurrence of name from env and appends name=value.
func setEnv(env []string, name, value string) []string {
	env = slices.DeleteFunc(env, func(kv string) bool {
		n, _, _ := strings.Cut(kv, "=")
		return sameName(n, name)
	})
	return append(env, name+"="+value)
}

// lookupEnv returns the last value of name in env, as os/exec would use it.
func lookupEnv(env []string, name string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if n, v, ok := strings.Cut(env[i], "="); ok && sameName(n, name) {
			return v, true
		}
	}
	return "", false
}

func sameName(a, b string) bool {
	if runtime.GOOS == "windows" {
		return strings.EqualFold(a, b)
	}
	return a == b
}
