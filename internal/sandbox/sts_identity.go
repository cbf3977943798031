package sandbox

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	sigV4Algorithm = "AWS4-HMAC-SHA256"
	amzDateFormat  = "20060102T150405Z"
	maxSigningSkew = 15 * time.Minute
)

type getCallerIdentityResponse struct {
	XMLName   xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ GetCallerIdentityResponse"`
	Arn       string   `xml:"GetCallerIdentityResult>Arn"`
	UserID    string   `xml:"GetCallerIdentityResult>UserId"`
	Account   string   `xml:"GetCallerIdentityResult>Account"`
	RequestID string   `xml:"ResponseMetadata>RequestId"`
}

func (s *stsService) serveGetCallerIdentity(w http.ResponseWriter, r *http.Request, reqID string, body []byte) {
	s.identityCalls.Add(1)
	c, e := s.callerIdentity(r, body)
	if e != nil {
		s.log.Info("sandbox sts: GetCallerIdentity rejected", "code", e.Code, "reason", e.Message, "request_id", reqID)
		writeSTSError(w, reqID, e)
		return
	}
	s.log.Info("sandbox sts: GetCallerIdentity", "arn", c.Arn, "access_key_id", c.AccessKeyID, "request_id", reqID)
	writeXML(w, reqID, http.StatusOK, getCallerIdentityResponse{Arn: c.Arn, UserID: c.UserID, Account: Account, RequestID: reqID})
}

// sigV4Auth is a parsed Authorization header.
type sigV4Auth struct {
	AccessKeyID, Date, Region, Service string
	SignedHeaders                      []string
	Signature                          string
}

func parseSigV4(header string) (sigV4Auth, bool) {
	var a sigV4Auth
	rest, ok := strings.CutPrefix(header, sigV4Algorithm+" ")
	if !ok {
		return a, false
	}
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			scope := strings.Split(v, "/")
			if len(scope) != 5 || scope[4] != "aws4_request" {
				return a, false
			}
			a.AccessKeyID, a.Date, a.Region, a.Service = scope[0], scope[1], scope[2], scope[3]
		case "SignedHeaders":
			a.SignedHeaders = strings.Split(v, ";")
		case "Signature":
			a.Signature = v
		}
	}
	return a, a.AccessKeyID != "" && len(a.SignedHeaders) > 0 && a.Signature != ""
}

// callerIdentity authenticates a SigV4-signed call with credentials this
// STS issued, in AWS's order: key, token, expiry, signature, signing time.
func (s *stsService) callerIdentity(r *http.Request, body []byte) (issued, *stsError) {
	header := r.Header.Get("Authorization")
	if header == "" {
		return issued{}, &stsError{Status: http.StatusForbidden, Code: "MissingAuthenticationToken", Message: "Request is missing Authentication Token"}
	}
	auth, ok := parseSigV4(header)
	if !ok {
		return issued{}, &stsError{Status: http.StatusBadRequest, Code: "IncompleteSignature",
			Message: "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' (AWS4-HMAC-SHA256)"}
	}
	invalid := &stsError{Status: http.StatusForbidden, Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid."}
	c, ok := s.creds.get(auth.AccessKeyID)
	if !ok {
		return issued{}, invalid
	}
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("X-Amz-Security-Token")), []byte(c.SessionToken)) != 1 {
		return issued{}, invalid
	}
	now := s.clock.Now()
	if !now.Before(c.Expiration) {
		return issued{}, &stsError{Status: http.StatusForbidden, Code: "ExpiredToken", Message: "The security token included in the request is expired"}
	}
	mismatch := &stsError{Status: http.StatusForbidden, Code: "SignatureDoesNotMatch",
		Message: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."}
	signedAt, err := time.Parse(amzDateFormat, r.Header.Get("X-Amz-Date"))
	if err != nil || auth.Service != "sts" || !strings.HasPrefix(r.Header.Get("X-Amz-Date"), auth.Date) {
		return issued{}, mismatch
	}
	want, err := resign(r.Context(), r, body, auth, c, signedAt)
	if err != nil || subtle.ConstantTimeCompare([]byte(want), []byte(auth.Signature)) != 1 {
		return issued{}, mismatch
	}
	if d := now.Sub(signedAt); d > maxSigningSkew || d < -maxSigningSkew {
		return issued{}, &stsError{Status: http.StatusForbidden, Code: "SignatureDoesNotMatch",
			Message: "Signature expired: " + signedAt.Format(amzDateFormat) + " is not within 15 minutes of the server time " + now.UTC().Format(amzDateFormat)}
	}
	return c, nil
}

// resign rebuilds the request from the headers the client says it signed,
// signs it with aws-sdk-go-v2's own SigV4 signer and the issued secret, and
// returns the signature the client should have sent.
func resign(ctx context.Context, r *http.Request, body []byte, auth sigV4Auth, c issued, signedAt time.Time) (string, error) {
	u := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
	req, err := http.NewRequestWithContext(ctx, r.Method, u.String(), nil)
	if err != nil {
		return "", err
	}
	req.Host = r.Host
	for _, h := range auth.SignedHeaders {
		switch h {
		case "host":
		case "content-length":
			req.ContentLength = r.ContentLength
		default:
			req.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), auth.Service, auth.Region, signedAt); err != nil {
		return "", err
	}
	got, ok := parseSigV4(req.Header.Get("Authorization"))
	if !ok {
		return "", errMalformedResign
	}
	return got.Signature, nil
}

var errMalformedResign = errors.New("re-signed request has no SigV4 Authorization header")
