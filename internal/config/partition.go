package config

import (
	"slices"
	"strings"
	"time"
)

// AWS partitions ptsaml knows.
const (
	PartitionAWS   = "aws"
	PartitionGov   = "aws-us-gov"
	PartitionChina = "aws-cn"
)

// Defaults filled by ApplyDefaults.
const (
	DefaultRegion       = "us-east-1"
	DefaultDuration     = time.Hour
	DefaultStore        = "keyring"
	DefaultLoginTimeout = 5 * time.Minute
	DefaultPython       = "python3"
)

// Recipient keywords in Profile.Recipients.
const (
	RecipientACS = "acs" // the profile's ACSURL
	RecipientAWS = "aws" // the partition's sign-in URLs
)

// PartitionForRegion returns aws-us-gov for us-gov-*, aws-cn for cn-*, and
// aws otherwise.
func PartitionForRegion(region string) string {
	switch {
	case strings.HasPrefix(region, "us-gov-"):
		return PartitionGov
	case strings.HasPrefix(region, "cn-"):
		return PartitionChina
	default:
		return PartitionAWS
	}
}

// Audience returns the SAML audience (SP entity ID) AWS expects in the
// partition, or "" for an unknown partition.
func Audience(partition string) string {
	switch partition {
	case PartitionAWS:
		return "urn:amazon:webservices"
	case PartitionGov:
		return "urn:amazon:webservices:govcloud"
	case PartitionChina:
		return "urn:amazon:webservices:cn-north-1"
	}
	return ""
}

// ApplyDefaults fills empty fields: region us-east-1, partition from the
// region, sp_entity_id from the partition, recipients [acs aws], duration
// 1h, store keyring, login_timeout 5m. Set fields are left as they are.
func (p *Profile) ApplyDefaults() {
	if p.Region == "" {
		p.Region = DefaultRegion
	}
	if p.Partition == "" {
		p.Partition = PartitionForRegion(p.Region)
	}
	if p.SPEntityID == "" {
		p.SPEntityID = Audience(p.Partition)
	}
	if len(p.Recipients) == 0 {
		p.Recipients = []string{RecipientACS, RecipientAWS}
	}
	if p.Duration.Duration == 0 {
		p.Duration.Duration = DefaultDuration
	}
	if p.Store == "" {
		p.Store = DefaultStore
	}
	if p.LoginTimeout.Duration == 0 {
		p.LoginTimeout.Duration = DefaultLoginTimeout
	}
	if p.Python == "" {
		p.Python = DefaultPython
	}
	if p.Auth == "" {
		p.Auth = AuthBrowser
	}
	if p.Auth == AuthOIDC && p.OIDCAudience == "" {
		p.OIDCAudience = DefaultOIDCAudience
	}
}

// SignInURLs returns the AWS sign-in URLs of the profile's partition: for
// aws the global one and the profile region's one; for aws-us-gov and
// aws-cn the single one. An empty partition is derived from the region; an
// unknown partition gives nil.
func (p *Profile) SignInURLs() []string {
	partition := p.Partition
	if partition == "" {
		partition = PartitionForRegion(p.Region)
	}
	switch partition {
	case PartitionAWS:
		urls := []string{"https://signin.aws.amazon.com/saml"}
		if p.Region != "" {
			urls = append(urls, "https://"+p.Region+".signin.aws.amazon.com/saml")
		}
		return urls
	case PartitionGov:
		return []string{"https://signin.amazonaws-us-gov.com/saml"}
	case PartitionChina:
		return []string{"https://signin.amazonaws.cn/saml"}
	}
	return nil
}

// AcceptedRecipients expands Recipients ("acs" to ACSURL, "aws" to
// SignInURLs) into the exact accepted values, without duplicates, in order.
func (p *Profile) AcceptedRecipients() []string {
	var out []string
	add := func(u string) {
		if u != "" && !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	for _, r := range p.Recipients {
		switch r {
		case RecipientACS:
			add(p.ACSURL)
		case RecipientAWS:
			for _, u := range p.SignInURLs() {
				add(u)
			}
		default:
			add(r)
		}
	}
	return out
}
