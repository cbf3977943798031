package audit

import (
	"slices"
	"strings"
)

// Field names are compared after lowercasing and removing "_", "-", "." and spaces, so
// "SecretAccessKey", "secret_access_key" and "secret-access-key" are the same name.
//
// A field is dropped when its normalised name
//   - ends with one of secretSuffixes: token, assertion, secret, password, ... — so
//     "token", "SessionToken", "id_token", "SAMLResponse", "raw_assertion" and
//     "client_secret" are dropped; or
//   - contains one of secretParts anywhere (names that are never harmless):
//     "password_file", "SessionTokenExpiry" and "aws_secret_access_key_id" are dropped.
//
// Whole-name matching keeps identifiers that merely mention a secret: "assertion_id",
// "AssertionID", "token_expiry", "secret_name", "AccessKeyId" are recorded.
var (
	secretSuffixes = []string{
		"token", "assertion", "secret", "password", "passwd", "passphrase",
		"samlresponse", "secretaccesskey", "privatekey", "credentials", "cookie",
	}
	secretParts = []string{"password", "secretaccesskey", "sessiontoken", "samlresponse"}
)

// reserved names are written by Record itself; fields with these names are dropped.
var reserved = []string{"time", "event", "dropped", "seq", "prev"}

// IsSecretName reports whether a field called name is dropped from audit records.
func IsSecretName(name string) bool {
	n := normalise(name)
	for _, s := range secretSuffixes {
		if strings.HasSuffix(n, s) {
			return true
		}
	}
	for _, s := range secretParts {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

func normalise(name string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '_', '-', '.', ' ':
			return -1
		}
		return r
	}, strings.ToLower(name))
}

// scrub removes secret-named keys from v (as decoded from JSON) at any depth and returns
// the dotted paths of what it removed.
func scrub(v any, path string) []string {
	var dropped []string
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			p := k
			if path != "" {
				p = path + "." + k
			}
			if IsSecretName(k) {
				delete(x, k)
				dropped = append(dropped, p)
				continue
			}
			dropped = append(dropped, scrub(child, p)...)
		}
	case []any:
		for _, child := range x {
			dropped = append(dropped, scrub(child, path)...)
		}
	}
	slices.Sort(dropped)
	return slices.Compact(dropped)
}
