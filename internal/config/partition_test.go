package config

import (
	"slices"
	"testing"
	"time"
)

func TestApplyDefaultsPerPartition(t *testing.T) {
	tests := []struct {
		region, partition, wantPartition, wantAudience string
		wantSignIn                                     []string
	}{
		{"", "", "aws", "urn:amazon:webservices",
			[]string{"https://signin.aws.amazon.com/saml", "https://us-east-1.signin.aws.amazon.com/saml"}},
		{"eu-central-1", "", "aws", "urn:amazon:webservices",
			[]string{"https://signin.aws.amazon.com/saml", "https://eu-central-1.signin.aws.amazon.com/saml"}},
		{"us-gov-west-1", "", "aws-us-gov", "urn:amazon:webservices:govcloud", []string{"https://signin.amazonaws-us-gov.com/saml"}},
		{"cn-northwest-1", "", "aws-cn", "urn:amazon:webservices:cn-north-1", []string{"https://signin.amazonaws.cn/saml"}},
		{"us-east-1", "aws-cn", "aws-cn", "urn:amazon:webservices:cn-north-1", []string{"https://signin.amazonaws.cn/saml"}},
	}
	for _, tt := range tests {
		t.Run(tt.region+"/"+tt.partition, func(t *testing.T) {
			p := &Profile{Region: tt.region, Partition: tt.partition}
			p.ApplyDefaults()
			if p.Partition != tt.wantPartition || p.SPEntityID != tt.wantAudience {
				t.Errorf("partition, sp_entity_id = %q, %q; want %q, %q", p.Partition, p.SPEntityID, tt.wantPartition, tt.wantAudience)
			}
			if got := p.SignInURLs(); !slices.Equal(got, tt.wantSignIn) {
				t.Errorf("SignInURLs = %v, want %v", got, tt.wantSignIn)
			}
		})
	}
}

func TestApplyDefaultsKeepsSetValues(t *testing.T) {
	p := &Profile{SPEntityID: "urn:ptsaml:test", Recipients: []string{"aws"}, Duration: Duration{2 * time.Hour},
		Store: "file", LoginTimeout: Duration{time.Minute}, Region: "eu-west-1"}
	p.ApplyDefaults()
	if p.SPEntityID != "urn:ptsaml:test" || !slices.Equal(p.Recipients, []string{"aws"}) || p.Duration.Duration != 2*time.Hour ||
		p.Store != "file" || p.LoginTimeout.Duration != time.Minute || p.Region != "eu-west-1" {
		t.Errorf("ApplyDefaults overwrote set values: %+v", p)
	}
	var q Profile
	q.ApplyDefaults()
	if !slices.Equal(q.Recipients, []string{"acs", "aws"}) || q.Duration.Duration != time.Hour ||
		q.Store != "keyring" || q.LoginTimeout.Duration != 5*time.Minute || q.Region != "us-east-1" {
		t.Errorf("defaults = %+v", q)
	}
}

func TestPartitionForRegion(t *testing.T) {
	for region, want := range map[string]string{
		"us-east-1": "aws", "ap-southeast-2": "aws", "us-gov-east-1": "aws-us-gov", "cn-north-1": "aws-cn", "": "aws",
	} {
		if got := PartitionForRegion(region); got != want {
			t.Errorf("PartitionForRegion(%q) = %q, want %q", region, got, want)
		}
	}
}

func TestAcceptedRecipients(t *testing.T) {
	acs := "http://127.0.0.1:18181/saml/acs"
	tests := []struct {
		name       string
		recipients []string
		want       []string
	}{
		{"defaults", nil, []string{acs, "https://signin.aws.amazon.com/saml", "https://eu-west-1.signin.aws.amazon.com/saml"}},
		{"acs only", []string{"acs"}, []string{acs}},
		{"explicit URL and duplicates", []string{"https://signin.aws.amazon.com/saml", "aws", "acs", "acs"},
			[]string{"https://signin.aws.amazon.com/saml", "https://eu-west-1.signin.aws.amazon.com/saml", acs}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Profile{ACSURL: acs, Region: "eu-west-1", Recipients: tt.recipients}
			p.ApplyDefaults()
			if got := p.AcceptedRecipients(); !slices.Equal(got, tt.want) {
				t.Errorf("AcceptedRecipients = %v, want %v", got, tt.want)
			}
		})
	}
}
