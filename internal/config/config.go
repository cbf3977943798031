// Package config reads, checks and writes ptsaml's YAML configuration file:
// named profiles that say which IdP to log in with, which loopback ACS URL
// the IdP posts to, which AWS partition, region and role to use, and where
// credentials are kept.
package config

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// EnvConfig names the environment variable that overrides the config path.
const EnvConfig = "PTSAML_CONFIG"

// FallbackProfile is the profile used when neither a name nor
// File.DefaultProfile is given.
const FallbackProfile = "default"

// File is the whole configuration file.
type File struct {
	DefaultProfile string              `yaml:"default_profile,omitempty"`
	Profiles       map[string]*Profile `yaml:"profiles"`
}

// Profile is one named set of settings. Fields left empty get defaults from
// ApplyDefaults; File.Profile returns profiles with defaults applied.
type Profile struct {
	Name string `yaml:"-"`

	IdPMetadataURL  string `yaml:"idp_metadata_url,omitempty"`
	IdPMetadataFile string `yaml:"idp_metadata_file,omitempty"`
	// SPEntityID is the Audience the assertion must carry; it defaults to
	// the partition's AWS audience (see Audience).
	SPEntityID string `yaml:"sp_entity_id"`
	// ACSURL is http://127.0.0.1:PORT/PATH (or localhost) with a fixed port:
	// the IdP only posts to the exact URL it has registered.
	ACSURL string `yaml:"acs_url"`
	// Recipients are the accepted Recipient/Destination values: "acs" (the
	// ACSURL), "aws" (the partition's sign-in URLs) or absolute URLs.
	// Default ["acs", "aws"].
	Recipients        []string `yaml:"recipients,omitempty"`
	AllowIdPInitiated bool     `yaml:"allow_idp_initiated,omitempty"`
	// Region defaults to us-east-1.
	Region string `yaml:"region,omitempty"`
	// Partition is aws, aws-us-gov or aws-cn; derived from Region when empty.
	Partition   string `yaml:"partition,omitempty"`
	STSEndpoint string `yaml:"sts_endpoint,omitempty"`
	// Role is a role ARN or a key of RoleAliases.
	Role string `yaml:"role,omitempty"`
	// RoleAliases maps a short name to a role ARN.
	RoleAliases map[string]string `yaml:"role_aliases,omitempty"`
	// Projects maps a project name to a role ARN or alias.
	Projects map[string]string `yaml:"projects,omitempty"`
	// Duration is the requested session length, 15m..12h, default 1h.
	Duration Duration `yaml:"duration,omitempty"`
	// Store is keyring (default), file or memory.
	Store string `yaml:"store,omitempty"`
	// BrowserCommand is a command line; the login URL is appended as the
	// last argument.
	BrowserCommand string `yaml:"browser_command,omitempty"`
	// LoginTimeout limits a whole login, default 5m.
	LoginTimeout Duration `yaml:"login_timeout,omitempty"`
	// Python is the interpreter `ptsaml run` starts, default python3.
	Python string `yaml:"python,omitempty"`

	// Auth is how the profile signs in: browser (default), ecp or oidc.
	Auth string `yaml:"auth,omitempty"`
	// ECPURL is the IdP's SAML ECP (SOAP) endpoint; default: the metadata's
	// SingleSignOnService with the SOAP binding.
	ECPURL string `yaml:"ecp_url,omitempty"`
	// ECPUsername is the service account (or $PTSAML_ECP_USERNAME).
	ECPUsername string `yaml:"ecp_username,omitempty"`
	// ECPPassword says where the service account's secret is: "keyring"
	// (default), "env:VAR" or "file:/path". Never the secret itself.
	ECPPassword string `yaml:"ecp_password,omitempty"`
	// OIDCToken says where a CI job token comes from: "github", "gitlab:VAR"
	// or "file:/path"; default: github inside GitHub Actions, else the file
	// named by $AWS_WEB_IDENTITY_TOKEN_FILE.
	OIDCToken string `yaml:"oidc_token,omitempty"`
	// OIDCAudience is the audience requested for the token, default sts.amazonaws.com.
	OIDCAudience string `yaml:"oidc_audience,omitempty"`
}

// Names returns the profile names, sorted.
func (f *File) Names() []string {
	return slices.Sorted(maps.Keys(f.Profiles))
}

// Profile returns a copy of the named profile with Name set and defaults
// applied. An empty name means DefaultProfile, then "default". Changing the
// copy does not change f.
func (f *File) Profile(name string) (*Profile, error) {
	if name == "" {
		name = f.DefaultProfile
	}
	if name == "" {
		name = FallbackProfile
	}
	p, ok := f.Profiles[name]
	if !ok {
		known := "none configured"
		if names := f.Names(); len(names) > 0 {
			known = "known: " + strings.Join(names, ", ")
		}
		return nil, fmt.Errorf("profile %q not found (%s); run ptsaml configure --profile %s", name, known, name)
	}
	c := p.clone()
	c.Name = name
	c.ApplyDefaults()
	return c, nil
}

// SetProfile stores a copy of p under name, creating the map if needed.
func (f *File) SetProfile(name string, p *Profile) error {
	if name == "" {
		return errors.New("set profile: empty profile name")
	}
	if f.Profiles == nil {
		f.Profiles = map[string]*Profile{}
	}
	c := p.clone()
	c.Name = ""
	f.Profiles[name] = c
	return nil
}

// clone returns a deep copy; a nil profile clones to an empty one.
func (p *Profile) clone() *Profile {
	if p == nil {
		return &Profile{}
	}
	c := *p
	c.Recipients = slices.Clone(p.Recipients)
	c.RoleAliases = maps.Clone(p.RoleAliases)
	c.Projects = maps.Clone(p.Projects)
	return &c
}
