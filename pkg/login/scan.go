package login

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/crewjam/saml"
)

// scan is what a first pass over the raw, not yet verified, response XML
// finds. It leads to rejections with a precise reason, and tells crewjam
// which (already accepted) Recipient and Destination to hold the signed
// content to; acceptance itself rests on crewjam's verification.
type scan struct {
	doctype               bool
	comment               bool // an XML comment anywhere in the response
	rootOK                bool
	assertions, encrypted int
	sha1                  string // a SHA-1 SignatureMethod/DigestMethod algorithm, if any
	destination           string
	responseInResponseTo  string
	scdInResponseTo       []string
	issuer, assertionID   string
	facts                 facts
}

// facts are the time and recipient facts checked both on the raw response
// (for a precise reason) and on the verified assertion (for safety).
type facts struct {
	confirmations    int // SubjectConfirmation elements
	methods          []string
	recipients       []string
	scdNotOnOrAfter  []time.Time // zero when absent
	condNotOnOrAfter time.Time
	issueInstant     time.Time // assertion
	respIssueInstant time.Time // response; zero when unknown
}

// scanXML walks the document with a strict XML decoder. Any element named
// Assertion counts, whatever its namespace or depth (Advice, Extensions,
// Object), so nesting tricks meet the "exactly one" rule.
func scanXML(doc []byte) (*scan, error) {
	s := &scan{}
	dec := xml.NewDecoder(bytes.NewReader(doc))
	dec.Strict = true
	depth := 0
	var path []string
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return s, err
		}
		switch t := tok.(type) {
		case xml.Directive:
			s.doctype = true
			return s, nil
		case xml.Comment:
			// Exclusive canonicalisation drops comments, so a comment inside
			// a signed value (NameID, Role) changes what a reader sees
			// without breaking the signature (CVE-2017-11427 class). IdPs
			// do not put comments in responses: refuse them all.
			s.comment = true
		case xml.StartElement:
			depth++
			path = append(path, t.Name.Local)
			s.element(t, depth)
		case xml.EndElement:
			depth--
			if len(path) > 0 {
				path = path[:len(path)-1]
			}
		case xml.CharData:
			if len(path) >= 2 && path[len(path)-1] == "Issuer" && path[len(path)-2] == "Assertion" && s.issuer == "" {
				s.issuer = strings.TrimSpace(string(t))
			}
		}
	}
	if depth != 0 {
		return s, errors.New("unbalanced elements")
	}
	return s, nil
}

func (s *scan) element(t xml.StartElement, depth int) {
	attr := func(name string) (string, bool) {
		for _, a := range t.Attr {
			if a.Name.Local == name && a.Name.Space == "" {
				return a.Value, true
			}
		}
		return "", false
	}
	switch t.Name.Local {
	case "Response":
		if depth == 1 {
			s.rootOK = true
			s.destination, _ = attr("Destination")
			s.responseInResponseTo, _ = attr("InResponseTo")
			if v, ok := attr("IssueInstant"); ok {
				s.facts.respIssueInstant = parseTime(v)
			}
		}
	case "Assertion":
		s.assertions++
		s.assertionID, _ = attr("ID")
		if v, ok := attr("IssueInstant"); ok {
			s.facts.issueInstant = parseTime(v)
		}
	case "EncryptedAssertion":
		s.encrypted++
	case "SubjectConfirmation":
		s.facts.confirmations++
		m, _ := attr("Method")
		s.facts.methods = append(s.facts.methods, m)
	case "SubjectConfirmationData":
		r, _ := attr("Recipient")
		s.facts.recipients = append(s.facts.recipients, r)
		irt, _ := attr("InResponseTo")
		s.scdInResponseTo = append(s.scdInResponseTo, irt)
		v, _ := attr("NotOnOrAfter")
		s.facts.scdNotOnOrAfter = append(s.facts.scdNotOnOrAfter, parseTime(v))
	case "Conditions":
		if v, ok := attr("NotOnOrAfter"); ok {
			s.facts.condNotOnOrAfter = parseTime(v)
		}
	case "SignatureMethod", "DigestMethod":
		alg, _ := attr("Algorithm")
		if strings.Contains(strings.ToLower(alg), "sha1") && s.sha1 == "" {
			s.sha1 = alg
		}
	}
}

// parseTime reads a SAML time as crewjam does; an unreadable one is zero.
func parseTime(v string) time.Time {
	var rt saml.RelaxedTime
	if err := rt.UnmarshalText([]byte(v)); err != nil {
		return time.Time{}
	}
	return time.Time(rt)
}
