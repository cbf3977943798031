package sandbox

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"io"
	"net/http"
)

// requestBody is an S3 request body: read into memory when its hash was
// signed (it is checked before the store sees it) or when it is a small
// POST document, streamed otherwise.
type requestBody struct {
	buf    []byte
	stream io.ReadCloser
}

func (b *requestBody) reader() io.ReadCloser {
	if b.stream != nil {
		return b.stream
	}
	return io.NopCloser(bytes.NewReader(b.buf))
}

// bytes returns the buffered body, nil when it is streamed.
func (b *requestBody) bytes() []byte { return b.buf }

var entityTooLarge = &s3Error{Status: http.StatusBadRequest, Code: "EntityTooLarge",
	Message: "Your proposed upload exceeds the maximum allowed object size (the ptsaml sandbox S3 takes at most 512 MiB per request)."}

// readBody reads r's body within maxS3Body and, when payloadHash is a
// SHA-256, checks that the body is what the client signed.
func readBody(r *http.Request, payloadHash string) (*requestBody, *s3Error) {
	if r.ContentLength > maxS3Body {
		return nil, entityTooLarge
	}
	limited := http.MaxBytesReader(nil, r.Body, maxS3Body)
	if payloadHash == unsignedPayload && r.Method != http.MethodPost {
		return &requestBody{stream: limited}, nil
	}
	buf, err := io.ReadAll(limited)
	if err != nil {
		return nil, entityTooLarge
	}
	if payloadHash != unsignedPayload {
		sum := sha256.Sum256(buf)
		if subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(payloadHash)) != 1 {
			return nil, &s3Error{Status: http.StatusBadRequest, Code: "XAmzContentSHA256Mismatch",
				Message: "The provided 'x-amz-content-sha256' header does not match what was computed."}
		}
	}
	return &requestBody{buf: buf}, nil
}
