package idpmeta

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/crewjam/saml"
)

// ExpiryWarning is how long before a signing certificate expires Load
// starts warning about it.
const ExpiryWarning = 30 * 24 * time.Hour

// Parse decodes IdP metadata: an EntityDescriptor, or an EntitiesDescriptor
// holding exactly one entity with an IDPSSODescriptor. It checks that the
// IdP has at least one usable signing certificate.
func Parse(data []byte) (*saml.EntityDescriptor, error) {
	root, err := rootElement(data)
	if err != nil {
		return nil, err
	}
	var ed *saml.EntityDescriptor
	switch root {
	case "EntityDescriptor":
		ed = new(saml.EntityDescriptor)
		if err := xml.Unmarshal(data, ed); err != nil {
			return nil, fmt.Errorf("parse idp metadata: %w", err)
		}
	case "EntitiesDescriptor":
		var all saml.EntitiesDescriptor
		if err := xml.Unmarshal(data, &all); err != nil {
			return nil, fmt.Errorf("parse idp metadata: %w", err)
		}
		if ed, err = onlyIdP(&all); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("parse idp metadata: root element is %s, want EntityDescriptor or EntitiesDescriptor; check the metadata URL or file", root)
	}
	if len(ed.IDPSSODescriptors) == 0 {
		return nil, fmt.Errorf("parse idp metadata: entity %q has no IDPSSODescriptor; is this the IdP's metadata (not an SP's)?", ed.EntityID)
	}
	if _, err := SigningCerts(ed); err != nil {
		return nil, err
	}
	return ed, nil
}

// rootElement returns the local name of the first element of data.
func rootElement(data []byte) (string, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return "", errors.New("parse idp metadata: no XML element found")
		}
		if err != nil {
			return "", fmt.Errorf("parse idp metadata: %w", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se.Name.Local, nil
		}
	}
}

// onlyIdP returns the single IdP entity of an EntitiesDescriptor, nested
// ones included.
func onlyIdP(all *saml.EntitiesDescriptor) (*saml.EntityDescriptor, error) {
	var idps []*saml.EntityDescriptor
	var walk func(e *saml.EntitiesDescriptor)
	walk = func(e *saml.EntitiesDescriptor) {
		for i := range e.EntityDescriptors {
			if len(e.EntityDescriptors[i].IDPSSODescriptors) > 0 {
				idps = append(idps, &e.EntityDescriptors[i])
			}
		}
		for i := range e.EntitiesDescriptors {
			walk(&e.EntitiesDescriptors[i])
		}
	}
	walk(all)
	switch len(idps) {
	case 1:
		return idps[0], nil
	case 0:
		return nil, errors.New("parse idp metadata: EntitiesDescriptor holds no IdP entity; use the metadata of your IdP")
	}
	ids := make([]string, len(idps))
	for i, e := range idps {
		ids[i] = e.EntityID
	}
	return nil, fmt.Errorf("parse idp metadata: EntitiesDescriptor holds %d IdPs (%s); use the metadata of a single IdP",
		len(idps), strings.Join(ids, ", "))
}

// SigningCerts returns the IdP's signing certificates: those of the
// IDPSSODescriptor KeyDescriptors with use="signing" or no use. It is an
// error when there is none or one does not parse.
func SigningCerts(ed *saml.EntityDescriptor) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for _, idp := range ed.IDPSSODescriptors {
		for _, kd := range idp.KeyDescriptors {
			if kd.Use != "" && kd.Use != "signing" {
				continue
			}
			for _, c := range kd.KeyInfo.X509Data.X509Certificates {
				der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(c.Data), ""))
				if err != nil {
					return nil, fmt.Errorf("parse idp signing certificate: %w", err)
				}
				cert, err := x509.ParseCertificate(der)
				if err != nil {
					return nil, fmt.Errorf("parse idp signing certificate: %w", err)
				}
				certs = append(certs, cert)
			}
		}
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("parse idp metadata: entity %q has no signing certificate in its IDPSSODescriptor; ask the IdP admin for complete metadata", ed.EntityID)
	}
	return certs, nil
}

// CertWarnings returns one line for each signing certificate that has
// expired at now or expires within ExpiryWarning of it.
func CertWarnings(ed *saml.EntityDescriptor, now time.Time) []string {
	certs, err := SigningCerts(ed)
	if err != nil {
		return nil
	}
	var out []string
	for _, c := range certs {
		left := c.NotAfter.Sub(now)
		if left > ExpiryWarning {
			continue
		}
		name := c.Subject.String()
		if c.Subject.CommonName != "" {
			name = "CN=" + c.Subject.CommonName
		}
		date := c.NotAfter.UTC().Format(time.DateOnly)
		days := calendarDays(now, c.NotAfter)
		if left <= 0 {
			out = append(out, fmt.Sprintf("IdP signing certificate %s expired on %s (%s): ask the IdP admin for the new metadata", name, date, ago(-days)))
			continue
		}
		out = append(out, fmt.Sprintf("IdP signing certificate %s expires on %s (%s): ask the IdP admin for the new metadata", name, date, in(days)))
	}
	return out
}

// calendarDays counts UTC calendar days from a to b.
func calendarDays(a, b time.Time) int {
	day := func(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }
	return int(day(b).Sub(day(a)).Hours() / 24)
}

func in(days int) string {
	switch days {
	case 0:
		return "today"
	case 1:
		return "tomorrow"
	}
	return fmt.Sprintf("in %d days", days)
}

func ago(days int) string {
	switch days {
	case 0:
		return "today"
	case 1:
		return "yesterday"
	}
	return fmt.Sprintf("%d days ago", days)
}
