package sandbox

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"regexp"
	"sort"
)

// samlProvider is one IAM SAML provider of the sandbox account: the
// certificates its metadata names and, for the sandbox IdP, the entity ID
// its assertions must carry as Issuer ("" = any, for extra providers
// registered by certificate only).
type samlProvider struct {
	issuer   string
	verifier samlVerifier
}

// providerARNPattern is an IAM SAML provider ARN in the sandbox account.
var providerARNPattern = regexp.MustCompile(`^arn:aws:iam::` + Account + `:saml-provider/[\w.-]{1,128}$`)

// parseExtraProviders checks Options.ExtraSAMLProviders: each key a SAML
// provider ARN of the sandbox account other than ProviderARN, each value
// one or more PEM CERTIFICATE blocks (the IdP's signing certificates).
func parseExtraProviders(in map[string][]byte) (map[string][]*x509.Certificate, error) {
	arns := make([]string, 0, len(in))
	for arn := range in {
		arns = append(arns, arn)
	}
	sort.Strings(arns)
	out := make(map[string][]*x509.Certificate, len(in))
	for _, arn := range arns {
		if arn == ProviderARN || !providerARNPattern.MatchString(arn) {
			return nil, fmt.Errorf("extra saml provider %q: want arn:aws:iam::%s:saml-provider/NAME, not the sandbox's own", arn, Account)
		}
		certs, err := parseCertificates(in[arn])
		if err != nil {
			return nil, fmt.Errorf("extra saml provider %s: %w", arn, err)
		}
		out[arn] = certs
	}
	return out, nil
}

func parseCertificates(buf []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var b *pem.Block
		b, buf = pem.Decode(buf)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse certificate: %w", err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("no PEM CERTIFICATE block")
	}
	return certs, nil
}
