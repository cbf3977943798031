package sandbox

import (
	"bytes"
	"compress/flate"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"
)

// Paths the IdP serves under the sandbox URL.
const (
	metadataPath = "/saml/metadata"
	ssoPath      = "/saml/sso"
)

// newIdentityProvider builds the crewjam IdP: our login form as
// SessionProvider, loopback-only SPs made up from each AuthnRequest, and an
// AssertionMaker that releases the AWS attributes with times from the
// IdP's clock (the sandbox clock plus SetIdPClockOffset).
func (s *Server) newIdentityProvider(key *rsa.PrivateKey, cert *x509.Certificate) *saml.IdentityProvider {
	base, _ := url.Parse(s.url)
	metadataURL, ssoURL := *base, *base
	metadataURL.Path, ssoURL.Path = metadataPath, ssoPath
	validFor := 48 * time.Hour
	return &saml.IdentityProvider{
		Key:                     key,
		Certificate:             cert,
		Logger:                  slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		MetadataURL:             metadataURL,
		SSOURL:                  ssoURL,
		ServiceProviderProvider: loopbackSPs{acsURLs: s.opts.ACSURLs, entityID: s.opts.SPEntityID},
		SessionProvider:         loginForm{log: s.log, clock: s.idpClock()},
		AssertionMaker:          awsAssertionMaker{clock: s.idpClock()},
		SignatureMethod:         dsig.RSASHA256SignatureMethod,
		ValidDuration:           &validFor,
		ResponseFormTemplate:    responseFormTemplate,
		Clock:                   dsigClock(s.clock),
		NameIDFormats:           []saml.NameIDFormat{saml.PersistentNameIDFormat},
		OnError: func(w http.ResponseWriter, _ *http.Request, status int, err error) {
			// crewjam's errors never carry an assertion or a password.
			s.log.Warn("sandbox idp: request refused", "status", status, "err", err)
			renderPage(w, s.log, status, "error", err.Error())
		},
	}
}

// serveMetadata serves the IdP metadata with an OrganizationName that says
// this is a test sandbox.
func (s *Server) serveMetadata(w http.ResponseWriter, _ *http.Request) {
	md := s.idp.Metadata()
	md.Organization = &saml.Organization{
		OrganizationNames:        []saml.LocalizedName{{Lang: "en", Value: Banner}},
		OrganizationDisplayNames: []saml.LocalizedName{{Lang: "en", Value: Banner}},
		OrganizationURLs:         []saml.LocalizedURI{{Lang: "en", Value: s.url + "/"}},
	}
	buf, err := xml.MarshalIndent(md, "", "  ")
	if err != nil {
		http.Error(w, "marshal metadata: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	_, _ = w.Write(buf)
}

// loopbackSPs is the IdP's ServiceProviderProvider. It knows no SP in
// advance: it accepts any SP whose AuthnRequest names a loopback ACS
// (http://127.0.0.1:PORT/...), or one of acsURLs when that list is set, and
// builds the SP's metadata from the request.
type loopbackSPs struct {
	acsURLs  []string
	entityID string // when set, the only SP entity ID accepted
}

func (p loopbackSPs) GetServiceProvider(r *http.Request, spID string) (*saml.EntityDescriptor, error) {
	if spID == "" || (p.entityID != "" && spID != p.entityID) {
		return nil, fmt.Errorf("sandbox accepts service provider %q only: %w", p.entityID, os.ErrNotExist)
	}
	req, err := authnRequestFrom(r)
	if err != nil {
		return nil, err
	}
	acs := req.AssertionConsumerServiceURL
	if err := p.checkACS(acs); err != nil {
		return nil, err
	}
	return &saml.EntityDescriptor{
		EntityID: spID,
		SPSSODescriptors: []saml.SPSSODescriptor{{
			SSODescriptor: saml.SSODescriptor{RoleDescriptor: saml.RoleDescriptor{
				ProtocolSupportEnumeration: "urn:oasis:names:tc:SAML:2.0:protocol",
			}},
			AssertionConsumerServices: []saml.IndexedEndpoint{{Binding: saml.HTTPPostBinding, Location: acs, Index: 1}},
		}},
	}, nil
}

// checkACS accepts acs when it is one of the configured ACS URLs, or, with
// none configured, any plain http URL on 127.0.0.1 with an explicit port.
func (p loopbackSPs) checkACS(acs string) error {
	if len(p.acsURLs) > 0 {
		if slices.Contains(p.acsURLs, acs) {
			return nil
		}
		return fmt.Errorf("assertion consumer service %q is not one of the sandbox's %v", acs, p.acsURLs)
	}
	if !isLoopbackACS(acs) {
		return fmt.Errorf("assertion consumer service %q is not a loopback http://127.0.0.1:PORT/... URL", acs)
	}
	return nil
}

// isLoopbackACS reports whether s is http://127.0.0.1:PORT/PATH.
func isLoopbackACS(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "http" || u.User != nil || u.Fragment != "" || u.Path == "" {
		return false
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil || host != "127.0.0.1" {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n > 0 && n < 65536
}

// authnRequestFrom decodes the AuthnRequest of r again (crewjam does not
// hand it to the ServiceProviderProvider): deflated in the query for the
// Redirect binding, plain in the form for POST (our login form re-posts it).
func authnRequestFrom(r *http.Request) (*saml.AuthnRequest, error) {
	var raw []byte
	switch r.Method {
	case http.MethodGet:
		compressed, err := base64.StdEncoding.DecodeString(r.URL.Query().Get("SAMLRequest"))
		if err != nil {
			return nil, fmt.Errorf("decode SAMLRequest: %w", err)
		}
		raw, err = io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(compressed)), 1<<20))
		if err != nil {
			return nil, fmt.Errorf("inflate SAMLRequest: %w", err)
		}
	default:
		var err error
		raw, err = base64.StdEncoding.DecodeString(r.PostFormValue("SAMLRequest"))
		if err != nil {
			return nil, fmt.Errorf("decode SAMLRequest: %w", err)
		}
	}
	var req saml.AuthnRequest
	if err := xml.Unmarshal(raw, &req); err != nil {
		return nil, fmt.Errorf("parse AuthnRequest: %w", err)
	}
	return &req, nil
}
