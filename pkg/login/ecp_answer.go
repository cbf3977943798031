package login

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/crewjam/saml"
)

const samlpNS = "urn:oasis:names:tc:SAML:2.0:protocol"

// ecpAnswer is what the IdP's SOAP answer says, read without trusting it:
// the ECP header blocks, a SOAP fault, or the samlp:Response (exact bytes,
// for Validate and STS) with its status.
type ecpAnswer struct {
	acsCount   int    // ecp:Response header blocks
	acsURL     string // their AssertionConsumerServiceURL
	relayState string // ecp:RelayState, "" when absent

	fault                 bool
	faultCode, faultText  string
	response              []byte // the samlp:Response element as a document
	status, statusMessage string
	subStatus             []string
}

// parseECPAnswer reads a SOAP 1.1 envelope strictly. The samlp:Response is
// cut out byte for byte, so its signatures still verify; namespace
// declarations it inherits from the envelope are added to its start tag.
func parseECPAnswer(b []byte) (*ecpAnswer, error) {
	a := &ecpAnswer{}
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = true
	var path []xml.Name
	var inherited []xml.Attr // namespace declarations of Envelope and Body
	var text *string         // where character data goes
	start, bodyChildren := -1, 0
	for {
		off := int(dec.InputOffset())
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("not well-formed XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, errors.New("the SOAP answer contains a DOCTYPE or other directive")
		case xml.StartElement:
			path = append(path, t.Name)
			text = nil
			if len(path) <= 2 {
				inherited = append(inherited, nsDecls(t.Attr)...)
			}
			if len(path) == 3 && path[1] == (xml.Name{Space: soapEnvelopeNS, Local: "Body"}) {
				if bodyChildren++; bodyChildren > 1 {
					return nil, errors.New("the SOAP body holds more than one element")
				}
				if t.Name == (xml.Name{Space: samlpNS, Local: "Response"}) {
					start = off
				}
			}
			if err := a.element(path, t, &text); err != nil {
				return nil, err
			}
		case xml.EndElement:
			if len(path) == 3 && start >= 0 && a.response == nil {
				a.response = detach(b[start:dec.InputOffset()], inherited)
			}
			path = path[:len(path)-1]
			text = nil
		case xml.CharData:
			if text != nil {
				*text += string(t)
			}
		}
	}
	if bodyChildren == 0 {
		return nil, errors.New("no SOAP body, or an empty one")
	}
	if !a.fault && a.response == nil {
		return nil, errors.New("the SOAP body holds no SAML Response")
	}
	return a, nil
}

// element records what one start tag tells, by its place in the envelope.
func (a *ecpAnswer) element(path []xml.Name, t xml.StartElement, text **string) error {
	attr := func(name string) string {
		for _, at := range t.Attr {
			if at.Name.Local == name && at.Name.Space == "" {
				return at.Value
			}
		}
		return ""
	}
	soap := func(i int, local string) bool { return path[i] == xml.Name{Space: soapEnvelopeNS, Local: local} }
	samlp := func(i int, local string) bool { return path[i] == xml.Name{Space: samlpNS, Local: local} }
	switch n := len(path); {
	case n == 1 && !soap(0, "Envelope"):
		return fmt.Errorf("the answer is %s, not a SOAP 1.1 Envelope", quote(t.Name.Local))
	case n == 3 && soap(1, "Header") && t.Name == xml.Name{Space: ecpNS, Local: "Response"}:
		a.acsCount++
		a.acsURL = attr("AssertionConsumerServiceURL")
	case n == 3 && soap(1, "Header") && t.Name == xml.Name{Space: ecpNS, Local: "RelayState"}:
		*text = &a.relayState
	case n == 3 && soap(1, "Body") && soap(2, "Fault"):
		a.fault = true
	case n == 4 && soap(1, "Body") && soap(2, "Fault") && t.Name.Local == "faultcode":
		*text = &a.faultCode
	case n == 4 && soap(1, "Body") && soap(2, "Fault") && t.Name.Local == "faultstring":
		*text = &a.faultText
	case n >= 5 && soap(1, "Body") && samlp(2, "Response") && samlp(3, "Status") && samlp(4, "StatusCode") && samlp(n-1, "StatusCode"):
		if n == 5 {
			a.status = attr("Value")
		} else {
			a.subStatus = append(a.subStatus, attr("Value"))
		}
	case n == 5 && soap(1, "Body") && samlp(2, "Response") && samlp(3, "Status") && samlp(4, "StatusMessage"):
		*text = &a.statusMessage
	}
	return nil
}

// nsDecls picks the namespace declarations out of attributes.
func nsDecls(attrs []xml.Attr) []xml.Attr {
	var out []xml.Attr
	for _, at := range attrs {
		if at.Name.Space == "xmlns" || (at.Name.Space == "" && at.Name.Local == "xmlns") {
			out = append(out, at)
		}
	}
	return out
}

// detach makes the element el a document of its own: every inherited
// namespace declaration it does not make itself is added to its start tag
// (exclusive canonicalization ignores the unused ones).
func detach(el []byte, inherited []xml.Attr) []byte {
	end := bytes.IndexAny(el, " \t\r\n/>")
	if end < 0 {
		return el
	}
	own := map[string]bool{}
	if tag, err := xml.NewDecoder(bytes.NewReader(el)).RawToken(); err == nil {
		if st, ok := tag.(xml.StartElement); ok {
			for _, at := range nsDecls(st.Attr) {
				own[at.Name.Space+":"+at.Name.Local] = true
			}
		}
	}
	var add bytes.Buffer
	seen := map[string]bool{}
	for _, at := range slices.Backward(inherited) { // innermost wins
		key := at.Name.Space + ":" + at.Name.Local
		if own[key] || seen[key] {
			continue
		}
		seen[key] = true
		name := "xmlns"
		if at.Name.Space == "xmlns" {
			name += ":" + at.Name.Local
		}
		add.WriteString(" " + name + `="`)
		_ = xml.EscapeText(&add, []byte(at.Value))
		add.WriteString(`"`)
	}
	out := make([]byte, 0, len(el)+add.Len())
	out = append(out, el[:end]...)
	out = append(out, add.Bytes()...)
	return append(out, el[end:]...)
}

// authWords are what IdPs put in a fault or status message when the user
// name or password is wrong.
var authWords = []string{"authenticat", "credential", "password", "wronguserpass", "unauthori", "invalid_user", "invalid user"}

// credentialsOrStatus turns a SOAP fault or a non-success SAML status into
// one line: ErrECPCredentials when it is about the account, else a refusal.
// Nothing the IdP wrote can echo the password into the message.
func (a *ecpAnswer) credentialsOrStatus(ecp ECPConfig, host string) error {
	clean := func(s string) string {
		// Redact before folding white space, which would change a password
		// that holds any, then redact the folded form too.
		if ecp.Password != "" {
			s = strings.ReplaceAll(s, ecp.Password, "[redacted]")
		}
		s = strings.Join(strings.Fields(s), " ")
		if folded := strings.Join(strings.Fields(ecp.Password), " "); folded != "" {
			s = strings.ReplaceAll(s, folded, "[redacted]")
		}
		return quote(s)
	}
	about := func(s string) bool {
		s = strings.ToLower(s)
		return slices.ContainsFunc(authWords, func(w string) bool { return strings.Contains(s, w) })
	}
	switch {
	case a.fault && about(a.faultCode+" "+a.faultText):
		return fmt.Errorf("%w for %s at %s (SOAP fault %s)", ErrECPCredentials, quote(ecp.Username), host, clean(a.faultText))
	case a.fault:
		return fmt.Errorf("%s answered with a SOAP fault %s: %s", host, clean(a.faultCode), clean(a.faultText))
	case a.status == saml.StatusSuccess:
		return nil
	}
	status := strings.TrimPrefix(a.status, "urn:oasis:names:tc:SAML:2.0:status:")
	for _, s := range a.subStatus {
		status += "/" + strings.TrimPrefix(s, "urn:oasis:names:tc:SAML:2.0:status:")
	}
	if strings.TrimSpace(a.statusMessage) != "" {
		status += " " + clean(a.statusMessage)
	}
	if slices.Contains(a.subStatus, saml.StatusAuthnFailed) || slices.Contains(a.subStatus, saml.StatusUnknownPrincipal) ||
		about(a.statusMessage) {
		return fmt.Errorf("%w for %s at %s (status %s)", ErrECPCredentials, quote(ecp.Username), host, status)
	}
	return fmt.Errorf("%s refused the login (status %s)", host, status)
}
