package sandbox

import (
	"crypto/x509"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync/atomic"

	"github.com/ptsaml/ptsaml/internal/clock"
)

const (
	stsVersion   = "2011-06-15"
	stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
	maxSTSBody   = 256 << 10 // SAMLAssertion is at most 100,000 characters
)

// stsService is the AWS-like STS Query API: AssumeRoleWithSAML and
// AssumeRoleWithWebIdentity (unsigned) and GetCallerIdentity (SigV4-signed
// with credentials it issued).
type stsService struct {
	srv       *Server
	clock     clock.Clock
	log       *slog.Logger
	providers map[string]samlProvider // by SAML provider ARN
	oidc      oidcProvider
	creds     *credentialStore

	assumeCalls, assumeAccepted, assumeRejected, identityCalls atomic.Int64
	webIdentityCalls, webIdentityAccepted, webIdentityRejected atomic.Int64
}

// newSTS trusts the sandbox IdP (cert), the extra SAML providers and the
// sandbox OIDC issuer.
func newSTS(s *Server, cert *x509.Certificate, extra map[string][]*x509.Certificate) *stsService {
	providers := map[string]samlProvider{
		ProviderARN: {issuer: s.MetadataURL(), verifier: samlVerifier{certs: []*x509.Certificate{cert}, clock: s.clock}},
	}
	for arn, certs := range extra {
		providers[arn] = samlProvider{verifier: samlVerifier{certs: certs, clock: s.clock}}
	}
	return &stsService{
		srv:       s,
		clock:     s.clock,
		log:       s.log,
		providers: providers,
		oidc:      oidcProvider{issuer: s.oidc.url, audience: s.oidc.audience, keys: s.oidc.keys},
		creds:     newCredentialStore(),
	}
}

// stsError is an STS error answer: HTTP status, AWS error code, message.
type stsError struct {
	Status        int
	Code, Message string
}

func (e *stsError) Error() string { return e.Code + ": " + e.Message }

func invalidToken(msg string) *stsError {
	return &stsError{Status: http.StatusBadRequest, Code: "InvalidIdentityToken", Message: msg}
}

func (s *stsService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := newRequestID()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSTSBody))
	if err != nil {
		writeSTSError(w, reqID, &stsError{Status: http.StatusRequestEntityTooLarge, Code: "RequestEntityTooLarge",
			Message: "Request body must be at most 256 KiB"})
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		writeSTSError(w, reqID, &stsError{Status: http.StatusBadRequest, Code: "MalformedQueryString",
			Message: "The request body is not form-encoded"})
		return
	}
	for k, v := range r.URL.Query() {
		if !form.Has(k) {
			form[k] = v
		}
	}
	action, version := form.Get("Action"), form.Get("Version")
	if e := s.srv.faults.stsFault(action); e != nil {
		s.log.Warn("sandbox sts: injected failure", "action", action, "status", e.Status, "code", e.Code)
		writeSTSError(w, reqID, e)
		return
	}
	switch {
	case action == "AssumeRoleWithSAML":
		s.serveAssumeRoleWithSAML(w, reqID, form)
	case action == "AssumeRoleWithWebIdentity":
		s.serveAssumeRoleWithWebIdentity(w, reqID, form)
	case action == "GetCallerIdentity" && version == stsVersion:
		s.serveGetCallerIdentity(w, r, reqID, body)
	default:
		writeSTSError(w, reqID, unknownAction(action, version))
	}
}

func unknownAction(action, version string) *stsError {
	return &stsError{Status: http.StatusBadRequest, Code: "InvalidAction",
		Message: "Could not find operation " + action + " for version " + version}
}

type errorResponse struct {
	XMLName   xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ ErrorResponse"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

func writeSTSError(w http.ResponseWriter, reqID string, e *stsError) {
	typ := "Sender"
	if e.Status >= 500 {
		typ = "Receiver"
	}
	writeXML(w, reqID, e.Status, errorResponse{Type: typ, Code: e.Code, Message: e.Message, RequestID: reqID})
}

func writeXML(w http.ResponseWriter, reqID string, status int, v any) {
	buf, err := xml.Marshal(v)
	if err != nil {
		http.Error(w, "marshal sts answer", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("x-amzn-RequestId", reqID)
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(buf)
}
