package config

import (
	"strings"
)

// How a profile signs in (Profile.Auth).
const (
	AuthBrowser = "browser" // SP-initiated SAML login in a browser (default)
	AuthECP     = "ecp"     // SAML ECP over SOAP with a service account, no browser
	AuthOIDC    = "oidc"    // AssumeRoleWithWebIdentity with a CI job token, no SAML

	DefaultOIDCAudience = "sts.amazonaws.com"
)

// NonInteractive reports whether the profile can sign in with nobody at
// the keyboard.
func (p *Profile) NonInteractive() bool {
	return p.Auth == AuthECP || p.Auth == AuthOIDC
}

func (p *Profile) checkAuth(ps *problems) {
	switch p.Auth {
	case AuthBrowser:
	case AuthECP:
		if p.ECPPassword != "" && p.ECPPassword != "keyring" &&
			!strings.HasPrefix(p.ECPPassword, "env:") && !strings.HasPrefix(p.ECPPassword, "file:") {
			ps.addf("ecp_password", "%q is not keyring, env:VAR or file:/path; say where the secret is, never the secret itself", p.ECPPassword)
		}
		if p.ECPURL != "" && !isAbsHTTP(p.ECPURL) {
			ps.addf("ecp_url", "%q is not an absolute http(s) URL; use the IdP's SOAP SingleSignOnService URL or leave it out", p.ECPURL)
		}
	case AuthOIDC:
		if p.Role == "" {
			ps.addf("role", "auth oidc needs the role to assume; set role: to the role ARN the CI's OIDC provider may assume")
		}
		t := p.OIDCToken
		if t != "" && t != "github" && !strings.HasPrefix(t, "gitlab:") && !strings.HasPrefix(t, "file:") {
			ps.addf("oidc_token", "%q is not github, gitlab:VAR or file:/path; name where the CI job token comes from", t)
		}
	default:
		ps.addf("auth", "%q is unknown; use browser, ecp or oidc", p.Auth)
	}
}
