package sandbox

import (
	"encoding/xml"
	"net/http"
)

// Verdicts of the S3 authentication check, as counted in /stats and kept
// in the request records.
const (
	verdictOK      = "ok"      // authenticated; the store answered (any status)
	verdictExpired = "expired" // the credentials had expired (ExpiredToken)
	verdictDenied  = "denied"  // refused before the store for any other reason
)

// s3Error is an S3 error answer.
type s3Error struct {
	Status        int
	Code, Message string
	AccessKeyID   string // echoed for InvalidAccessKeyId and SignatureDoesNotMatch, as S3 does
	expired       bool
	accepted      bool // the request was authenticated; the store's rules refused it
}

func (e *s3Error) verdict() string {
	switch {
	case e.accepted:
		return verdictOK
	case e.expired:
		return verdictExpired
	default:
		return verdictDenied
	}
}

type s3ErrorBody struct {
	XMLName     xml.Name `xml:"Error"`
	Code        string   `xml:"Code"`
	Message     string   `xml:"Message"`
	AccessKeyID string   `xml:"AWSAccessKeyId,omitempty"`
	RequestID   string   `xml:"RequestId"`
	HostID      string   `xml:"HostId"`
}

// writeS3Error answers with S3's XML error document (no body for HEAD, as
// S3 does); it never echoes a token or a signature.
func writeS3Error(w http.ResponseWriter, r *http.Request, reqID string, e *s3Error) {
	w.Header().Set("x-amz-request-id", reqID)
	w.Header().Set("Server", "AmazonS3")
	if r.Method == http.MethodHead {
		w.WriteHeader(e.Status)
		return
	}
	buf, err := xml.Marshal(s3ErrorBody{Code: e.Code, Message: e.Message, AccessKeyID: e.AccessKeyID,
		RequestID: reqID, HostID: Banner})
	if err != nil {
		http.Error(w, "marshal s3 error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(e.Status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(buf)
}
