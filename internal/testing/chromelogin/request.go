package chromelogin

import (
	"bytes"
	"compress/flate"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net/url"
	"time"
)

// AuthnRequestURL builds an SP-initiated login URL (HTTP-Redirect binding) for
// tests that have no SAML service provider of their own: an unsigned
// AuthnRequest from spEntityID asking the IdP at ssoURL to post to acsURL.
func AuthnRequestURL(ssoURL, acsURL, spEntityID, relayState string, now time.Time) (string, error) {
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return "", fmt.Errorf("request id: %w", err)
	}
	var esc bytes.Buffer
	for _, s := range []string{ssoURL, acsURL, spEntityID} {
		if err := xml.EscapeText(&esc, []byte(s)); err != nil {
			return "", fmt.Errorf("escape: %w", err)
		}
		esc.WriteByte(0)
	}
	parts := bytes.Split(esc.Bytes(), []byte{0})
	req := fmt.Sprintf(`<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" `+
		`xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_%s" Version="2.0" IssueInstant="%s" `+
		`Destination="%s" AssertionConsumerServiceURL="%s" `+
		`ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST">`+
		`<saml:Issuer>%s</saml:Issuer></samlp:AuthnRequest>`,
		hex.EncodeToString(id), now.UTC().Format("2006-01-02T15:04:05Z"), parts[0], parts[1], parts[2])
	var deflated bytes.Buffer
	w, err := flate.NewWriter(&deflated, flate.BestCompression)
	if err != nil {
		return "", fmt.Errorf("deflate: %w", err)
	}
	if _, err := w.Write([]byte(req)); err != nil {
		return "", fmt.Errorf("deflate: %w", err)
	}
	if err := w.Close(); err != nil {
		return "", fmt.Errorf("deflate: %w", err)
	}
	q := url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString(deflated.Bytes())}}
	if relayState != "" {
		q.Set("RelayState", relayState)
	}
	return ssoURL + "?" + q.Encode(), nil
}
