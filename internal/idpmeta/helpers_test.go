package idpmeta

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

// newCert returns a base64 DER self-signed certificate for cn valid until notAfter.
func newCert(t *testing.T, cn string, notAfter time.Time) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    notAfter.AddDate(-1, 0, 0),
		NotAfter:     notAfter,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

// keyDescriptor renders a KeyDescriptor; use may be "".
func keyDescriptor(use, cert string) string {
	attr := ""
	if use != "" {
		attr = fmt.Sprintf(` use=%q`, use)
	}
	return fmt.Sprintf(`<KeyDescriptor%s><ds:KeyInfo><ds:X509Data><ds:X509Certificate>
%s
</ds:X509Certificate></ds:X509Data></ds:KeyInfo></KeyDescriptor>`, attr, cert)
}

// entity renders an EntityDescriptor for an IdP with the given KeyDescriptors.
func entity(entityID string, keys ...string) string {
	return fmt.Sprintf(`<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID=%q>
  <IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    %s
    <SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso"/>
  </IDPSSODescriptor>
</EntityDescriptor>`, entityID, strings.Join(keys, "\n    "))
}

// spEntity renders an SP's EntityDescriptor.
func spEntity(entityID string) string {
	return fmt.Sprintf(`<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID=%q>
  <SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example.com/acs" index="1"/>
  </SPSSODescriptor>
</EntityDescriptor>`, entityID)
}

// entities wraps EntityDescriptors in an EntitiesDescriptor.
func entities(inner ...string) string {
	return `<?xml version="1.0"?>
<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" Name="federation">` + strings.Join(inner, "\n") + `</EntitiesDescriptor>`
}

// goodMetadata is IdP metadata with a signing certificate valid for a year.
func goodMetadata(t *testing.T, entityID string) string {
	return entity(entityID, keyDescriptor("signing", newCert(t, "idp.example.com", testNow.AddDate(1, 0, 0))))
}
