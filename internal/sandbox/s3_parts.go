package sandbox

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"sync"
)

const (
	// minPartSize is S3's smallest part but the last of a multipart upload;
	// gofakes3 does not check it, S3 refuses CompleteMultipartUpload.
	minPartSize = 5 << 20
	// maxOpenUploads bounds the part sizes remembered for unfinished uploads.
	maxOpenUploads = 10000
)

// partSizes remembers the size of every uploaded part, per upload ID, so
// that CompleteMultipartUpload can be refused with S3's EntityTooSmall.
type partSizes struct {
	mu      sync.Mutex
	uploads map[string]map[int]int64
}

func newPartSizes() *partSizes { return &partSizes{uploads: make(map[string]map[int]int64)} }

// observe remembers a stored part and forgets finished uploads.
func (p *partSizes) observe(r *http.Request, body *requestBody, status int) {
	q := r.URL.Query()
	id := q.Get("uploadId")
	if id == "" || status/100 != 2 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch r.Method {
	case http.MethodPut:
		n, err := strconv.Atoi(q.Get("partNumber"))
		if err != nil {
			return
		}
		size := r.ContentLength
		if body.stream == nil {
			size = int64(len(body.bytes()))
		}
		parts, ok := p.uploads[id]
		if !ok {
			if len(p.uploads) >= maxOpenUploads {
				for old := range p.uploads {
					delete(p.uploads, old)
					break
				}
			}
			parts = make(map[int]int64)
			p.uploads[id] = parts
		}
		parts[n] = size
	case http.MethodPost, http.MethodDelete:
		delete(p.uploads, id)
	}
}

type completeUpload struct {
	Parts []struct {
		PartNumber int `xml:"PartNumber"`
	} `xml:"Part"`
}

// checkComplete refuses a CompleteMultipartUpload that lists a part
// smaller than 5 MiB anywhere but last, as S3 does.
func (p *partSizes) checkComplete(r *http.Request, body *requestBody) *s3Error {
	id := r.URL.Query().Get("uploadId")
	if r.Method != http.MethodPost || id == "" || body == nil || body.stream != nil {
		return nil
	}
	var in completeUpload
	if err := xml.Unmarshal(body.bytes(), &in); err != nil {
		return nil // the store answers MalformedXML
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, part := range in.Parts {
		size, known := p.uploads[id][part.PartNumber]
		if known && i < len(in.Parts)-1 && size < minPartSize {
			return &s3Error{Status: http.StatusBadRequest, Code: "EntityTooSmall", accepted: true,
				Message: "Your proposed upload is smaller than the minimum allowed object size."}
		}
	}
	return nil
}
