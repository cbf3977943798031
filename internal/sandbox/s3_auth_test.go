package sandbox

import (
	"encoding/json"
	"encoding/xml"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/ptsaml/ptsaml/internal/testing/syncbuf"
)

// TestS3Rejections: requests not signed with live sandbox credentials get
// S3's error codes and statuses through the real SDK client.
func TestS3Rejections(t *testing.T) {
	srv, _, creds := s3Creds(t, Options{})
	key, secret, token := *creds.AccessKeyId, *creds.SecretAccessKey, *creds.SessionToken
	tests := []struct {
		name       string
		creds      aws.CredentialsProvider
		wantCode   string
		wantStatus int
	}{
		{"unsigned", aws.AnonymousCredentials{}, "AccessDenied", 403},
		{"unknown key", credentials.NewStaticCredentialsProvider("ASIAUNKNOWNUNKNOWN00", secret, token), "InvalidAccessKeyId", 403},
		{"wrong session token", credentials.NewStaticCredentialsProvider(key, secret, "other-token"), "InvalidToken", 400},
		{"no session token", credentials.NewStaticCredentialsProvider(key, secret, ""), "InvalidToken", 400},
		{"wrong secret", credentials.NewStaticCredentialsProvider(key, "wrong-secret", token), "SignatureDoesNotMatch", 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s3Client(srv, tc.creds).PutObject(t.Context(), &s3.PutObjectInput{
				Bucket: aws.String(DataBucket), Key: aws.String("x"), Body: strings.NewReader("x")})
			if code, status := apiError(err); code != tc.wantCode || status != tc.wantStatus {
				t.Fatalf("PutObject = %v; want %s, HTTP %d", err, tc.wantCode, tc.wantStatus)
			}
		})
	}
	if recs, _ := srv.S3Requests(); len(recs) != len(tests) || recs[0].Verdict != verdictDenied {
		t.Errorf("records = %+v; want %d denied", recs, len(tests))
	}
}

// TestS3ExpiredCredentials: once the sandbox clock passes Expiration, S3
// answers ExpiredToken (HTTP 400), and the request records show that every
// accepted request came before its credentials' expiry.
func TestS3ExpiredCredentials(t *testing.T) {
	srv, fake, creds := s3Creds(t, Options{CredentialTTL: time.Minute})
	ctx, c := t.Context(), s3Client(srv, staticCreds(creds))
	put := func() error {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(DataBucket), Key: aws.String("ckpt"), Body: strings.NewReader("w")})
		return err
	}
	for range 3 {
		if err := put(); err != nil {
			t.Fatalf("PutObject before expiry: %v", err)
		}
		fake.Advance(15 * time.Second)
	}
	fake.Advance(16 * time.Second) // 61 s after issue
	err := put()
	if code, status := apiError(err); code != "ExpiredToken" || status != 400 || !strings.Contains(err.Error(), "The provided token has expired.") {
		t.Fatalf("PutObject after expiry: %v; want ExpiredToken, HTTP 400", err)
	}

	resp, err := http.Get(srv.URL() + S3RequestsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc s3RequestLog
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatalf("decode %s: %v", S3RequestsPath, err)
	}
	var ok, expired int
	for _, r := range doc.Records {
		if r.AccessKeyID != *creds.AccessKeyId || !r.CredentialExpiration.Equal(*creds.Expiration) || r.Key != "ckpt" {
			t.Errorf("record %+v: want key ID %s, expiration %s, key ckpt", r, *creds.AccessKeyId, creds.Expiration)
		}
		switch r.Verdict {
		case verdictOK:
			ok++
			if !r.Time.Before(r.CredentialExpiration) || r.Status != 200 {
				t.Errorf("accepted record %+v: want a time before the credential's expiry, HTTP 200", r)
			}
		case verdictExpired:
			expired++
			if r.Time.Before(r.CredentialExpiration) || r.Code != "ExpiredToken" || r.Status != 400 {
				t.Errorf("expired record %+v: want a time at/after expiry, ExpiredToken, HTTP 400", r)
			}
		}
	}
	if ok != 3 || expired != 1 || doc.Total != 4 || doc.Dropped != 0 || doc.Capacity != maxS3Records {
		t.Errorf("records: %d ok, %d expired, %+v; want 3 ok, 1 expired", ok, expired, doc)
	}

	var st stats
	sresp, err := http.Get(srv.URL() + statsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer sresp.Body.Close()
	if err := json.NewDecoder(sresp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	if st.S3Requests != 4 || st.S3OK != 3 || st.S3Expired != 1 || st.S3Denied != 0 {
		t.Errorf("/stats = %+v; want s3_requests 4, s3_ok 3, s3_expired 1, s3_denied 0", st)
	}
}

// TestS3SignedRequests covers what the SDK never sends: a body that is not
// the one signed, aws-chunked payloads, a stale signing time, presigned
// URLs, another service's scope, and the session token leaking back
// through stored metadata.
func TestS3SignedRequests(t *testing.T) {
	srv, fake, creds := s3Creds(t, Options{})
	raw := rawS3{srv: srv, creds: creds}
	chunked := "5;chunk-signature=" + strings.Repeat("0", 64) + "\r\nhello\r\n0;chunk-signature=" + strings.Repeat("0", 64) + "\r\n\r\n"
	tests := []struct {
		name       string
		req        rawRequest
		wantCode   string
		wantStatus int
	}{
		{"signed payload", rawRequest{method: "PUT", path: "/ptsaml-data/raw", body: "hello"}, "", 200},
		{"unsigned payload", rawRequest{method: "PUT", path: "/ptsaml-data/raw2", body: "hello", hash: unsignedPayload}, "", 200},
		{"body differs from signed hash", rawRequest{method: "PUT", path: "/ptsaml-data/raw", body: "hellO", hash: sha256Hex("hello")},
			"XAmzContentSHA256Mismatch", 400},
		{"aws-chunked", rawRequest{method: "PUT", path: "/ptsaml-data/raw", body: chunked, hash: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"},
			"NotImplemented", 501},
		{"bad payload hash", rawRequest{method: "GET", path: "/ptsaml-data/raw", hash: "nonsense"}, "InvalidArgument", 400},
		{"no payload hash header", rawRequest{method: "GET", path: "/ptsaml-data/raw", noHashHeader: true}, "InvalidRequest", 400},
		{"signed 20 minutes ago", rawRequest{method: "GET", path: "/ptsaml-data/raw", signedAt: fake.Now().Add(-20 * time.Minute)},
			"RequestTimeTooSkewed", 403},
		{"presigned query", rawRequest{method: "GET", path: "/ptsaml-data/raw?X-Amz-Signature=00"}, "AccessDenied", 403},
		{"sts scope", rawRequest{method: "GET", path: "/ptsaml-data/raw", service: "sts"}, "AuthorizationHeaderMalformed", 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := raw.do(t, tc.req)
			var e s3ErrorBody
			_ = xml.Unmarshal(body, &e)
			if resp.StatusCode != tc.wantStatus || e.Code != tc.wantCode {
				t.Fatalf("HTTP %d %s (%s); want HTTP %d %s", resp.StatusCode, e.Code, e.Message, tc.wantStatus, tc.wantCode)
			}
		})
	}

	resp, body := raw.do(t, rawRequest{method: "GET", path: "/ptsaml-data/raw"})
	for name := range resp.Header {
		if strings.Contains(resp.Header.Get(name), *creds.SessionToken) || strings.EqualFold(name, "X-Amz-Security-Token") {
			t.Errorf("GET answer carries header %s: the session token must not be stored or echoed", name)
		}
	}
	if string(body) != "hello" {
		t.Errorf("GET raw = %q; want hello", body)
	}
}

type lockedBuffer = syncbuf.Buffer

// TestS3LogLines: one debug line per S3 request, with the key ID and never
// the secret or the session token.
func TestS3LogLines(t *testing.T) {
	var logs lockedBuffer
	srv, _, creds := s3Creds(t, Options{Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	ctx := t.Context()
	good := s3Client(srv, staticCreds(creds))
	bad := s3Client(srv, credentials.NewStaticCredentialsProvider(*creds.AccessKeyId, "wrong-secret", *creds.SessionToken))
	if _, err := good.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(DataBucket), Key: aws.String("k"), Body: strings.NewReader("v")}); err != nil {
		t.Fatal(err)
	}
	if _, err := bad.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(DataBucket), Key: aws.String("k")}); err == nil {
		t.Fatal("GetObject with a wrong secret succeeded")
	}
	if err := srv.Close(); err != nil { // waits for the handlers, so every line is written
		t.Fatal(err)
	}
	text := logs.String()
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, "sandbox s3: request") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 2 || !strings.Contains(lines[0], "access_key_id="+*creds.AccessKeyId) || !strings.Contains(lines[1], "verdict=denied") {
		t.Errorf("S3 log lines = %q; want 2 lines with the key ID, the second denied", lines)
	}
	for _, secret := range []string{*creds.SecretAccessKey, *creds.SessionToken, "wrong-secret"} {
		if strings.Contains(text, secret) {
			t.Errorf("a secret reached the log:\n%s", text)
		}
	}
}
