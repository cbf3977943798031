package config

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Session length limits of AssumeRoleWithSAML.
const (
	MinDuration = 15 * time.Minute
	MaxDuration = 12 * time.Hour
)

var regionShape = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

// problems collects one error per problem, each
// `profile "NAME": KEY: what is wrong; how to fix it`.
type problems struct {
	profile string
	errs    []error
}

func (ps *problems) addf(key, format string, args ...any) {
	ps.errs = append(ps.errs, fmt.Errorf("profile %q: %s: %s", ps.profile, key, fmt.Sprintf(format, args...)))
}

// Validate checks the profile as ApplyDefaults leaves it (p itself is not
// changed) and returns all problems joined with errors.Join, one line each,
// or nil.
func (p *Profile) Validate() error {
	c := p.clone()
	c.Name = p.Name
	c.ApplyDefaults()
	ps := &problems{profile: c.Name}
	c.checkAuth(ps)
	if c.Auth != AuthOIDC { // web identity needs no IdP metadata and no ACS
		c.checkMetadata(ps)
		c.checkACS(ps)
	}
	c.checkRecipients(ps)
	c.checkAWS(ps)
	c.checkRoles(ps)
	c.checkSession(ps)
	return errors.Join(ps.errs...)
}

func (p *Profile) checkMetadata(ps *problems) {
	switch {
	case p.IdPMetadataURL == "" && p.IdPMetadataFile == "":
		ps.addf("idp_metadata_url", "neither idp_metadata_url nor idp_metadata_file is set; set the IdP's metadata URL, or idp_metadata_file for a saved copy")
		return
	case p.IdPMetadataURL != "" && p.IdPMetadataFile != "":
		ps.addf("idp_metadata_url", "both idp_metadata_url and idp_metadata_file are set; keep only one")
		return
	case p.IdPMetadataURL == "":
		return
	}
	u, err := url.Parse(p.IdPMetadataURL)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "":
		ps.addf("idp_metadata_url", "%q is not an absolute URL; use the IdP's https metadata URL", p.IdPMetadataURL)
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	case u.Scheme == "http":
		ps.addf("idp_metadata_url", "%q uses http; use https (http is allowed only for 127.0.0.1, ::1 and localhost)", p.IdPMetadataURL)
	default:
		ps.addf("idp_metadata_url", "%q is not an https URL; use the IdP's https metadata URL", p.IdPMetadataURL)
	}
}

func (p *Profile) checkACS(ps *problems) {
	const key = "acs_url"
	if p.ACSURL == "" {
		ps.addf(key, "not set; set a fixed loopback URL the IdP knows, e.g. http://127.0.0.1:18181/saml/acs")
		return
	}
	u, err := url.Parse(p.ACSURL)
	if err != nil || !u.IsAbs() || u.Host == "" {
		ps.addf(key, "%q is not an absolute URL; use a loopback URL such as http://127.0.0.1:18181/saml/acs", p.ACSURL)
		return
	}
	port, path := u.Port(), u.EscapedPath()
	if path == "" || path == "/" {
		path = "/saml/acs"
	}
	example := "http://127.0.0.1:18181" + path
	n, perr := strconv.Atoi(port)
	switch {
	case u.Scheme != "http":
		ps.addf(key, "%q must use http (the ACS is a plain http listener on loopback); use e.g. %s", p.ACSURL, example)
	case u.Hostname() != "127.0.0.1":
		// Not even localhost: it may resolve to ::1 or elsewhere, and the
		// IdP must post to exactly the address ptsaml listens on.
		ps.addf(key, "host %q is not 127.0.0.1; the ACS listens on 127.0.0.1 only, e.g. %s", u.Hostname(), example)
	case port == "":
		ps.addf(key, "port missing in %q; set a fixed port the IdP knows, e.g. %s", p.ACSURL, example)
	case perr != nil || n < 1 || n > 65535:
		ps.addf(key, "port %q in %q is not a fixed port 1-65535; the IdP must know the exact ACS URL, e.g. %s", port, p.ACSURL, example)
	case u.EscapedPath() == "" || u.EscapedPath() == "/":
		ps.addf(key, "path missing in %q; add the ACS path the IdP knows, e.g. %s", p.ACSURL, "http://"+u.Host+"/saml/acs")
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		ps.addf(key, "%q has user info, a query or a fragment; use a plain URL such as %s", p.ACSURL, "http://"+u.Host+u.EscapedPath())
	}
}

func (p *Profile) checkRecipients(ps *problems) {
	for _, r := range p.Recipients {
		if r == RecipientACS || r == RecipientAWS || isAbsHTTP(r) {
			continue
		}
		ps.addf("recipients", "%q is neither \"acs\", \"aws\" nor an absolute URL; use acs, aws or a full URL such as https://signin.aws.amazon.com/saml", r)
	}
}

func (p *Profile) checkAWS(ps *problems) {
	regionOK := regionShape.MatchString(p.Region)
	if !regionOK {
		ps.addf("region", "%q does not look like an AWS region; use e.g. us-east-1", p.Region)
	}
	switch want := PartitionForRegion(p.Region); {
	case Audience(p.Partition) == "":
		ps.addf("partition", "%q is unknown; use aws, aws-us-gov or aws-cn, or leave it out to derive it from the region", p.Partition)
	case regionOK && p.Partition != want:
		ps.addf("partition", "%q does not match region %q (partition %s); fix the region or leave partition out", p.Partition, p.Region, want)
	}
	if p.STSEndpoint != "" {
		u, err := url.Parse(p.STSEndpoint)
		switch {
		case !isAbsHTTP(p.STSEndpoint):
			ps.addf("sts_endpoint", "%q is not an absolute http(s) URL; use e.g. https://sts.%s.amazonaws.com", p.STSEndpoint, DefaultRegion)
		case err == nil && u.Scheme == "http" && !isLoopback(u.Hostname()):
			// The assertion and the new secret key would cross the network in clear.
			ps.addf("sts_endpoint", "%q uses http; use https (http is allowed only for 127.0.0.1, ::1 and localhost)", p.STSEndpoint)
		}
	}
}

func (p *Profile) checkRoles(ps *problems) {
	// checkRef reports a role or project entry; an existing alias is
	// checked once, under role_aliases.
	checkRef := func(key, ref string) {
		if _, isAlias := p.RoleAliases[ref]; isAlias && !strings.HasPrefix(ref, "arn:") {
			return
		}
		if _, err := p.lookupRole(ref); err != nil {
			ps.addf(key, "%v", err)
		}
	}
	if p.Role != "" {
		checkRef("role", p.Role)
	}
	for _, alias := range slices.Sorted(maps.Keys(p.RoleAliases)) {
		arn := p.RoleAliases[alias]
		if !strings.HasPrefix(arn, "arn:") {
			ps.addf("role_aliases."+alias, "%q is not a role ARN (an alias must name an ARN, not another alias); use arn:PARTITION:iam::ACCOUNT:role/NAME", arn)
		} else if _, err := p.lookupRole(arn); err != nil {
			ps.addf("role_aliases."+alias, "%v", err)
		}
	}
	for _, project := range slices.Sorted(maps.Keys(p.Projects)) {
		checkRef("projects."+project, p.Projects[project])
	}
}

func (p *Profile) checkSession(ps *problems) {
	if d := p.Duration.Duration; d < MinDuration || d > MaxDuration {
		ps.addf("duration", "%s is outside %s..%s (the STS limits); choose e.g. 1h", d, MinDuration, MaxDuration)
	}
	if p.LoginTimeout.Duration < 0 {
		ps.addf("login_timeout", "%s is negative; use a positive duration such as 5m", p.LoginTimeout.Duration)
	}
	switch p.Store {
	case "keyring", "file", "memory":
	default:
		ps.addf("store", "%q is not a store; use keyring, file or memory", p.Store)
	}
}

// isLoopback reports whether host is localhost or a loopback IP.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// isAbsHTTP reports whether s is an absolute http or https URL with a host.
func isAbsHTTP(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
