package sandbox

import (
	"context"
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	unsignedPayload = "UNSIGNED-PAYLOAD"
	streamingPrefix = "STREAMING-"
)

// authenticate checks a SigV4-signed S3 request against the credentials
// the sandbox STS issued, in this order: header shape, key, session token,
// expiry (sandbox clock), signature, signing time, payload hash. It returns
// the credentials (only the claimed key ID when the key is unknown), the
// request body, read and checked when the client signed its hash, and the
// time by the sandbox clock at which expiry was decided.
func (s *s3Service) authenticate(r *http.Request) (issued, *requestBody, time.Time, *s3Error) {
	now := s.clock.Now()
	c, body, e := s.check(r, now)
	return c, body, now, e
}

func (s *s3Service) check(r *http.Request, now time.Time) (issued, *requestBody, *s3Error) {
	q := r.URL.Query()
	if q.Has("X-Amz-Signature") || q.Has("X-Amz-Credential") {
		return issued{}, nil, accessDenied("ptsaml sandbox S3 accepts only the Authorization header, not presigned URLs")
	}
	header := r.Header.Get("Authorization")
	switch {
	case header == "":
		return issued{}, nil, accessDenied("Access Denied")
	case strings.HasPrefix(header, "AWS "):
		return issued{}, nil, &s3Error{Status: http.StatusBadRequest, Code: "InvalidRequest",
			Message: "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."}
	}
	auth, ok := parseSigV4(header)
	if !ok {
		return issued{}, nil, malformedAuth("the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
	}
	claimed := issued{AccessKeyID: auth.AccessKeyID}
	if auth.Service != "s3" {
		return claimed, nil, malformedAuth("incorrect service \"" + auth.Service + "\". This endpoint belongs to \"s3\".")
	}
	c, ok := s.creds.get(auth.AccessKeyID)
	if !ok {
		return claimed, nil, &s3Error{Status: http.StatusForbidden, Code: "InvalidAccessKeyId",
			Message: "The AWS Access Key Id you provided does not exist in our records.", AccessKeyID: auth.AccessKeyID}
	}
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("X-Amz-Security-Token")), []byte(c.SessionToken)) != 1 {
		return c, nil, &s3Error{Status: http.StatusBadRequest, Code: "InvalidToken",
			Message: "The provided token is malformed or otherwise invalid."}
	}
	if !now.Before(c.Expiration) {
		return c, nil, &s3Error{Status: http.StatusBadRequest, Code: "ExpiredToken",
			Message: "The provided token has expired.", expired: true}
	}
	amzDate := r.Header.Get("X-Amz-Date")
	signedAt, err := time.Parse(amzDateFormat, amzDate)
	if err != nil {
		return c, nil, accessDenied("AWS authentication requires a valid Date or x-amz-date header")
	}
	if !strings.HasPrefix(amzDate, auth.Date) {
		return c, nil, malformedAuth("Invalid credential date. Date is not the same as X-Amz-Date.")
	}
	payloadHash := r.Header.Get("X-Amz-Content-Sha256")
	if e := checkPayloadHash(payloadHash); e != nil {
		return c, nil, e
	}
	want, err := resignS3(r.Context(), r, auth, c, signedAt, payloadHash)
	if err != nil || subtle.ConstantTimeCompare([]byte(want), []byte(auth.Signature)) != 1 {
		return c, nil, &s3Error{Status: http.StatusForbidden, Code: "SignatureDoesNotMatch", AccessKeyID: c.AccessKeyID,
			Message: "The request signature we calculated does not match the signature you provided. Check your key and signing method."}
	}
	if d := now.Sub(signedAt); d > maxSigningSkew || d < -maxSigningSkew {
		return c, nil, &s3Error{Status: http.StatusForbidden, Code: "RequestTimeTooSkewed",
			Message: "The difference between the request time and the current time is too large."}
	}
	body, e := readBody(r, payloadHash)
	if e != nil {
		return c, nil, e
	}
	return c, body, nil
}

// checkPayloadHash accepts a hex SHA-256 or UNSIGNED-PAYLOAD, and refuses
// aws-chunked streaming payloads, which neither boto3 nor aws-sdk-go-v2
// send over plain HTTP.
func checkPayloadHash(h string) *s3Error {
	switch {
	case h == "":
		return &s3Error{Status: http.StatusBadRequest, Code: "InvalidRequest",
			Message: "Missing required header for this request: x-amz-content-sha256"}
	case h == unsignedPayload || isHexSHA256(h):
		return nil
	case strings.HasPrefix(h, streamingPrefix):
		return &s3Error{Status: http.StatusNotImplemented, Code: "NotImplemented",
			Message: "A header you provided implies functionality that is not implemented: the ptsaml sandbox S3 does not accept aws-chunked payloads (" + h + "); sign the payload hash or send UNSIGNED-PAYLOAD"}
	default:
		return &s3Error{Status: http.StatusBadRequest, Code: "InvalidArgument",
			Message: "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value."}
	}
}

func isHexSHA256(h string) bool {
	if len(h) != 64 {
		return false
	}
	for _, c := range h {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// resignS3 signs a copy of r made of the headers the client says it signed,
// with the issued secret, S3's canonical URI rules (the path exactly as
// sent, not escaped again) and the payload hash the client declared, and
// returns the signature the client should have sent.
func resignS3(ctx context.Context, r *http.Request, auth sigV4Auth, c issued, signedAt time.Time, payloadHash string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, r.Method, "http://"+r.Host+"/", nil)
	if err != nil {
		return "", err
	}
	req.URL = &url.URL{Scheme: "http", Host: r.Host, Opaque: "//" + r.Host + rawPath(r), RawQuery: r.URL.RawQuery}
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
	creds := aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err := signer.SignHTTP(ctx, creds, req, payloadHash, auth.Service, auth.Region, signedAt); err != nil {
		return "", err
	}
	got, ok := parseSigV4(req.Header.Get("Authorization"))
	if !ok {
		return "", errMalformedResign
	}
	return got.Signature, nil
}

// rawPath is the request path exactly as the client sent (and signed) it.
func rawPath(r *http.Request) string {
	if p, _, _ := strings.Cut(r.RequestURI, "?"); strings.HasPrefix(p, "/") {
		return p
	}
	return r.URL.EscapedPath()
}

func accessDenied(msg string) *s3Error {
	return &s3Error{Status: http.StatusForbidden, Code: "AccessDenied", Message: msg}
}

func malformedAuth(why string) *s3Error {
	return &s3Error{Status: http.StatusBadRequest, Code: "AuthorizationHeaderMalformed",
		Message: "The authorization header is malformed; " + why}
}
