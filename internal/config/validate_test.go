package config

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

func validProfile() *Profile {
	return &Profile{
		Name:           "dev",
		IdPMetadataURL: "https://idp.example.com/metadata",
		ACSURL:         "http://127.0.0.1:18181/saml/acs",
		Role:           "train",
		RoleAliases:    map[string]string{"train": "arn:aws:iam::123456789012:role/Train"},
		Projects:       map[string]string{"llm": "train", "vision": "arn:aws:iam::123456789012:role/Vision"},
	}
}

var problemLine = regexp.MustCompile(`^profile "dev": [a-z_.]+: [^\n]+; [^\n]+$`)

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(p *Profile)
		want   []string // substrings, one per expected problem line; nil = valid
	}{
		{"valid with defaults", func(p *Profile) {}, nil},
		{"valid metadata file", func(p *Profile) { p.IdPMetadataURL, p.IdPMetadataFile = "", "/etc/idp.xml" }, nil},
		{"valid http loopback metadata", func(p *Profile) { p.IdPMetadataURL = "http://127.0.0.1:8080/md" }, nil},
		{"valid http localhost metadata", func(p *Profile) { p.IdPMetadataURL = "http://localhost:8080/md" }, nil},
		{"valid http ipv6 loopback metadata", func(p *Profile) { p.IdPMetadataURL = "http://[::1]:8080/md" }, nil},
		{"localhost acs", func(p *Profile) { p.ACSURL = "http://localhost:8000/acs" }, []string{`acs_url: host "localhost" is not 127.0.0.1`}},
		{"valid govcloud", func(p *Profile) {
			p.Region = "us-gov-west-1"
			p.RoleAliases["train"] = "arn:aws-us-gov:iam::123456789012:role/Train"
			p.Projects["vision"] = "train"
		}, nil},
		{"valid explicit everything", func(p *Profile) {
			p.Region, p.Partition, p.Store = "eu-west-1", "aws", "file"
			p.Recipients = []string{"acs", "https://signin.aws.amazon.com/saml"}
			p.STSEndpoint = "http://127.0.0.1:9000/sts/"
			p.Duration.Duration, p.LoginTimeout.Duration = 12*time.Hour, time.Minute
		}, nil},
		{"no metadata", func(p *Profile) { p.IdPMetadataURL = "" }, []string{`idp_metadata_url: neither idp_metadata_url nor idp_metadata_file`}},
		{"both metadata", func(p *Profile) { p.IdPMetadataFile = "/x.xml" }, []string{`idp_metadata_url: both`}},
		{"http metadata", func(p *Profile) { p.IdPMetadataURL = "http://idp.example.com/md" }, []string{`idp_metadata_url: "http://idp.example.com/md" uses http; use https`}},
		{"ftp metadata", func(p *Profile) { p.IdPMetadataURL = "ftp://idp.example.com/md" }, []string{`is not an https URL`}},
		{"relative metadata", func(p *Profile) { p.IdPMetadataURL = "idp.example.com/md" }, []string{`is not an absolute URL`}},
		{"acs missing", func(p *Profile) { p.ACSURL = "" }, []string{`acs_url: not set`}},
		{"acs port missing", func(p *Profile) { p.ACSURL = "http://127.0.0.1/saml/acs" },
			[]string{`acs_url: port missing in "http://127.0.0.1/saml/acs"; set a fixed port the IdP knows, e.g. http://127.0.0.1:18181/saml/acs`}},
		{"acs port zero", func(p *Profile) { p.ACSURL = "http://127.0.0.1:0/saml/acs" }, []string{`acs_url: port "0"`}},
		{"acs port too big", func(p *Profile) { p.ACSURL = "http://127.0.0.1:70000/acs" }, []string{`acs_url: port "70000"`}},
		{"acs https", func(p *Profile) { p.ACSURL = "https://127.0.0.1:8443/acs" }, []string{`acs_url: "https://127.0.0.1:8443/acs" must use http`}},
		{"acs remote host", func(p *Profile) { p.ACSURL = "http://example.com:80/acs" }, []string{`acs_url: host "example.com" is not 127.0.0.1`}},
		{"acs all interfaces", func(p *Profile) { p.ACSURL = "http://0.0.0.0:8080/acs" }, []string{`host "0.0.0.0"`}},
		{"acs no path", func(p *Profile) { p.ACSURL = "http://127.0.0.1:8080" }, []string{`acs_url: path missing`}},
		{"acs root path", func(p *Profile) { p.ACSURL = "http://127.0.0.1:8080/" }, []string{`acs_url: path missing`}},
		{"acs query", func(p *Profile) { p.ACSURL = "http://127.0.0.1:8080/acs?x=1" }, []string{`acs_url: "http://127.0.0.1:8080/acs?x=1" has user info, a query or a fragment`}},
		{"acs relative", func(p *Profile) { p.ACSURL = "/saml/acs" }, []string{`acs_url: "/saml/acs" is not an absolute URL`}},
		{"recipient bad", func(p *Profile) { p.Recipients = []string{"acs", "signin"} }, []string{`recipients: "signin" is neither`}},
		{"recipient relative URL", func(p *Profile) { p.Recipients = []string{"/saml"} }, []string{`recipients: "/saml" is neither`}},
		{"duration short", func(p *Profile) { p.Duration.Duration = 14 * time.Minute }, []string{`duration: 14m0s is outside 15m0s..12h0m0s`}},
		{"duration long", func(p *Profile) { p.Duration.Duration = 13 * time.Hour }, []string{`duration: 13h0m0s is outside`}},
		{"duration min ok", func(p *Profile) { p.Duration.Duration = 15 * time.Minute }, nil},
		{"login timeout negative", func(p *Profile) { p.LoginTimeout.Duration = -time.Second }, []string{`login_timeout: -1s is negative`}},
		{"store bad", func(p *Profile) { p.Store = "vault" }, []string{`store: "vault" is not a store; use keyring, file or memory`}},
		{"store memory", func(p *Profile) { p.Store = "memory" }, nil},
		{"region bad", func(p *Profile) { p.Region = "US-East" }, []string{`region: "US-East" does not look like an AWS region`}},
		{"partition unknown", func(p *Profile) { p.Partition = "aws-mars" }, []string{`partition: "aws-mars" is unknown`}},
		{"partition mismatch", func(p *Profile) { p.Region, p.Partition = "cn-north-1", "aws" }, []string{`partition: "aws" does not match region "cn-north-1" (partition aws-cn)`}},
		{"sts endpoint relative", func(p *Profile) { p.STSEndpoint = "sts.amazonaws.com" }, []string{`sts_endpoint: "sts.amazonaws.com" is not an absolute http(s) URL`}},
		{"sts endpoint scheme", func(p *Profile) { p.STSEndpoint = "ftp://sts.amazonaws.com" }, []string{`sts_endpoint: "ftp://sts.amazonaws.com"`}},
		{"sts endpoint plain http", func(p *Profile) { p.STSEndpoint = "http://sts.example.org" }, []string{`sts_endpoint: "http://sts.example.org" uses http`}},
		{"sts endpoint http on loopback", func(p *Profile) { p.STSEndpoint = "http://127.0.0.1:18500" }, nil},
		{"auth unknown", func(p *Profile) { p.Auth = "kerberos" }, []string{`auth: "kerberos" is unknown`}},
		{"ecp with env password", func(p *Profile) { p.Auth, p.ECPPassword = AuthECP, "env:SVC_PASSWORD" }, nil},
		{"ecp with a literal password", func(p *Profile) { p.Auth, p.ECPPassword = AuthECP, "hunter2" }, []string{`ecp_password: "hunter2" is not keyring, env:VAR or file:/path`}},
		{"ecp url relative", func(p *Profile) { p.Auth, p.ECPURL = AuthECP, "/idp/ecp" }, []string{`ecp_url: "/idp/ecp"`}},
		{"oidc without metadata or acs", func(p *Profile) {
			p.Auth, p.IdPMetadataURL, p.ACSURL, p.OIDCToken = AuthOIDC, "", "", "gitlab:AWS_ID_TOKEN"
		}, nil},
		{"oidc without role", func(p *Profile) { p.Auth, p.Role = AuthOIDC, "" }, []string{`role: auth oidc needs the role`}},
		{"oidc bad token source", func(p *Profile) { p.Auth, p.OIDCToken = AuthOIDC, "jenkins" }, []string{`oidc_token: "jenkins"`}},
		{"role ARN ok", func(p *Profile) { p.Role = "arn:aws:iam::123456789012:role/path/Other" }, nil},
		{"role bad ARN", func(p *Profile) { p.Role = "arn:aws:iam::12345:role/X" }, []string{`role: "arn:aws:iam::12345:role/X" is not a role ARN`}},
		{"role user ARN", func(p *Profile) { p.Role = "arn:aws:iam::123456789012:user/X" }, []string{`role: "arn:aws:iam::123456789012:user/X" is not a role ARN`}},
		{"role unknown alias", func(p *Profile) { p.Role = "admin" }, []string{`role: "admin" is neither a role ARN nor a role alias (known aliases: train)`}},
		{"role wrong partition", func(p *Profile) { p.Role = "arn:aws-cn:iam::123456789012:role/X" }, []string{`role: "arn:aws-cn:iam::123456789012:role/X" is in partition aws-cn but the profile uses aws`}},
		{"alias not ARN", func(p *Profile) { p.RoleAliases["ro"] = "train" }, []string{`role_aliases.ro: "train" is not a role ARN`}},
		{"alias bad ARN", func(p *Profile) { p.RoleAliases["ro"] = "arn:aws:iam::123456789012:role/" }, []string{`role_aliases.ro: "arn:aws:iam::123456789012:role/" is not a role ARN`}},
		{"project unknown alias", func(p *Profile) { p.Projects["nlp"] = "nope" }, []string{`projects.nlp: "nope" is neither a role ARN nor a role alias`}},
		{"project bad alias target", func(p *Profile) { p.RoleAliases["train"] = "bad" }, []string{`role_aliases.train: "bad" is not a role ARN`}},
		{"several problems", func(p *Profile) { p.ACSURL, p.Store = "http://127.0.0.1/acs", "x" }, []string{`acs_url: port missing`, `store: "x"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validProfile()
			tt.mutate(p)
			before := *p
			err := p.Validate()
			if p.Region != before.Region || p.Store != before.Store {
				t.Fatalf("Validate changed the profile: region %q store %q", p.Region, p.Store)
			}
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want %q", tt.want)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("Validate() gave %d problems, want %d:\n%v", len(lines), len(tt.want), err)
			}
			for i, line := range lines {
				if !problemLine.MatchString(line) {
					t.Errorf("problem %q does not read `profile \"dev\": key: what; fix`", line)
				}
				if !strings.Contains(line, tt.want[i]) {
					t.Errorf("problem %d = %q, want it to contain %q", i, line, tt.want[i])
				}
			}
		})
	}
}
