package config

import (
	"testing"
)

// FuzzParse feeds arbitrary YAML to Parse. Properties: Parse never panics,
// and nothing that parses makes a profile's Validate, defaults, role
// resolution or recipient lists panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(sampleYAML))
	f.Add([]byte(""))
	f.Add([]byte("profiles:\n"))
	f.Add([]byte("profiles:\n  x: null\n"))
	f.Add([]byte("profiles:\n  dev:\n    duration: 0\n    login_timeout: -5m\n"))
	f.Add([]byte(`profiles:
  gov:
    idp_metadata_url: https://idp.example.com/metadata
    acs_url: http://[::1]:18181/saml/acs
    region: us-gov-west-1
    recipients: [acs, aws, https://signin.amazonaws-us-gov.com/saml]
    role: train
    role_aliases: {train: arn:aws-us-gov:iam::123456789012:role/Train}
    projects: {p: train, q: arn:aws:iam::123456789012:role/Q}
    auth: ecp
    ecp_password: env:PW
  ci:
    auth: oidc
    oidc_token: gitlab:CI_JOB_JWT
    role: arn:aws-cn:iam::123456789012:role/CI
    partition: aws-cn
    store: file
`))
	f.Add([]byte("a: &a [*a]\nprofiles: {}\n"))
	f.Add([]byte("profiles:\n  dev:\n    unknown_key: 1\n    duration: 12h1s\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data)
		if err != nil {
			return
		}
		for _, name := range file.Names() {
			if raw := file.Profiles[name]; raw != nil {
				// as `ptsaml configure` checks an edited profile
				c := *raw
				c.Name = name
				c.ApplyDefaults()
				_ = c.Validate()
			}
			p, err := file.Profile(name)
			if err != nil {
				continue
			}
			_ = p.Validate()
			_, _ = p.ResolveRole("", "")
			_, _ = p.ResolveRole("train", "p")
			_ = p.SignInURLs()
			_ = p.AcceptedRecipients()
		}
	})
}
