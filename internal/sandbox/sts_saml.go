package sandbox

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"

	"github.com/ptsaml/ptsaml/internal/clock"
)

const (
	nsProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsDSig      = "http://www.w3.org/2000/09/xmldsig#"
)

// samlVerifier checks a SAMLResponse the way AWS checks one against the
// IAM SAML provider's metadata: with goxmldsig directly against the IdP's
// certificates, independently of ptsaml's own SP code, and reads the facts
// only from what the signature covers.
type samlVerifier struct {
	certs []*x509.Certificate
	clock clock.Clock
}

// verify decodes b64 and returns the signed assertion. It refuses (with
// InvalidIdentityToken) anything that is not a successful Response carrying
// exactly one Assertion and no EncryptedAssertion, an unsigned response, and
// any signature that does not verify against the provider's certificates.
func (v samlVerifier) verify(b64 string) (*saml.Assertion, *stsError) {
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(b64), ""))
	if err != nil {
		return nil, invalidToken("Invalid SAML response: the SAMLAssertion is not base64")
	}
	if strings.Contains(string(raw), "<!DOCTYPE") {
		return nil, invalidToken("Invalid SAML response: document type declarations are not allowed")
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil || doc.Root() == nil {
		return nil, invalidToken("Invalid SAML response: not well-formed XML")
	}
	root := doc.Root()
	if root.Tag != "Response" || root.NamespaceURI() != nsProtocol {
		return nil, invalidToken("Invalid SAML response: the root element is not a samlp:Response")
	}
	if n := countElements(root, nsAssertion, "EncryptedAssertion"); n > 0 {
		return nil, invalidToken("Invalid SAML response: encrypted assertions are not supported by the sandbox")
	}
	assertions := childElements(root, nsAssertion, "Assertion")
	if len(assertions) != 1 || countElements(root, nsAssertion, "Assertion") != 1 {
		return nil, invalidToken("Invalid SAML response: it must contain exactly one Assertion")
	}

	signedAssertion, err := v.checkSigned(assertions[0])
	if err != nil && !errors.Is(err, errUnsigned) {
		return nil, invalidToken("Response signature invalid")
	}
	signedResponse, rerr := v.checkSigned(root)
	if rerr != nil && !errors.Is(rerr, errUnsigned) {
		return nil, invalidToken("Response signature invalid")
	}
	if signedAssertion == nil && signedResponse != nil {
		if inner := childElements(signedResponse, nsAssertion, "Assertion"); len(inner) == 1 {
			signedAssertion = inner[0]
		}
	}
	if signedAssertion == nil {
		return nil, invalidToken("Response signature invalid")
	}
	if st := signedResponseStatus(root, signedResponse); st != saml.StatusSuccess {
		return nil, invalidToken("Invalid SAML response: status is not Success")
	}

	buf, err := detachedBytes(signedAssertion)
	if err != nil {
		return nil, invalidToken("Invalid SAML response: cannot read the signed assertion")
	}
	var a saml.Assertion
	if err := xml.Unmarshal(buf, &a); err != nil {
		return nil, invalidToken("Invalid SAML response: cannot read the signed assertion")
	}
	return &a, nil
}

var errUnsigned = errors.New("element is not signed")

// checkSigned verifies the enveloped signature of el, returning the element
// as the signature covers it, or errUnsigned when el has no Signature child.
func (v samlVerifier) checkSigned(el *etree.Element) (*etree.Element, error) {
	if len(childElements(el, nsDSig, "Signature")) == 0 {
		return nil, errUnsigned
	}
	detached, err := detach(el)
	if err != nil {
		return nil, err
	}
	vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: v.certs})
	vc.IdAttribute = "ID"
	vc.Clock = dsigClock(v.clock)
	signed, err := vc.Validate(detached)
	if err != nil {
		return nil, fmt.Errorf("validate signature: %w", err)
	}
	return signed, nil
}

// signedResponseStatus reads the top-level status code, from the signed
// Response when there is one.
func signedResponseStatus(root, signed *etree.Element) string {
	el := root
	if signed != nil {
		el = signed
	}
	for _, st := range childElements(el, nsProtocol, "Status") {
		for _, code := range childElements(st, nsProtocol, "StatusCode") {
			return code.SelectAttrValue("Value", "")
		}
	}
	return ""
}

func childElements(el *etree.Element, ns, tag string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if c.Tag == tag && c.NamespaceURI() == ns {
			out = append(out, c)
		}
	}
	return out
}

// countElements counts the elements named ns:tag anywhere below el.
func countElements(el *etree.Element, ns, tag string) int {
	n := 0
	for _, c := range el.ChildElements() {
		if c.Tag == tag && c.NamespaceURI() == ns {
			n++
		}
		n += countElements(c, ns, tag)
	}
	return n
}

// detach copies el with every namespace declaration in scope, so that it
// reads the same outside its document.
func detach(el *etree.Element) (*etree.Element, error) {
	ctx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		return nil, fmt.Errorf("namespace context: %w", err)
	}
	detached, err := etreeutils.NSDetatch(ctx, el)
	if err != nil {
		return nil, fmt.Errorf("detach element: %w", err)
	}
	return detached, nil
}

// detachedBytes serialises el on its own.
func detachedBytes(el *etree.Element) ([]byte, error) {
	detached, err := detach(el)
	if err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	doc.SetRoot(detached)
	return doc.WriteToBytes()
}
