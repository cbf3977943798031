package samltest

import (
	"bytes"
	"crypto/x509"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

func TestBuildMutatedSignsTheMutatedContent(t *testing.T) {
	now := time.Date(2026, 11, 29, 18, 0, 0, 0, time.UTC)
	idp, err := NewIdP("https://idp.example.org", "https://idp.example.org/sso", now)
	if err != nil {
		t.Fatal(err)
	}
	vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{idp.Cert}})
	vc.Clock = dsig.NewFakeClockAt(now)
	for _, sign := range []Sign{SignBoth, SignAssertion, SignResponse} {
		raw, err := idp.BuildMutated(Options{Now: now, Sign: sign}, func(resp *etree.Element) error {
			return SetText(resp, "Audience", "", "urn:example:changed")
		})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(raw, []byte("urn:example:changed")) {
			t.Fatalf("sign %d: mutation missing", sign)
		}
		doc, err := Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		var signed []*etree.Element
		if sign != SignAssertion {
			signed = append(signed, doc.Root())
		}
		if sign != SignResponse {
			signed = append(signed, doc.Root().SelectElement("Assertion"))
		}
		for _, el := range signed {
			if _, err := vc.Validate(el); err != nil {
				t.Errorf("sign %d: %s signature: %v", sign, el.Tag, err)
			}
		}
		if n := bytes.Count(raw, []byte("<ds:Signature ")); n != len(signed) {
			t.Errorf("sign %d: %d signatures, want %d", sign, n, len(signed))
		}
	}
}

func TestXSWPlacementsKeepTheGenuineSignedElement(t *testing.T) {
	now := time.Date(2026, 11, 29, 18, 0, 0, 0, time.UTC)
	idp, err := NewIdP("https://idp.example.org", "https://idp.example.org/sso", now)
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= 8; n++ {
		sign := SignAssertion
		if n <= 2 {
			sign = SignResponse
		}
		raw, err := idp.Build(Options{Now: now, Sign: sign})
		if err != nil {
			t.Fatal(err)
		}
		out, err := XSW(raw, n, "admin@example.org")
		if err != nil {
			t.Fatalf("xsw%d: %v", n, err)
		}
		if got := bytes.Count(out, []byte("<saml:Assertion ")); got != 2 {
			t.Errorf("xsw%d: %d assertions, want 2", n, got)
		}
		if !bytes.Contains(out, []byte("admin@example.org")) || !bytes.Contains(out, []byte("alice@example.org")) {
			t.Errorf("xsw%d: the evil and the genuine NameID are not both present", n)
		}
	}
}
