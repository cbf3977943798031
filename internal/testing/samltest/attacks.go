package samltest

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/beevik/etree"
)

// BuildMutated builds the response of o unsigned, lets mutate change the
// Response element, and then signs it as o.Sign says (the assertion first,
// then the Response around it). The signatures cover the mutated content.
func (i *IdP) BuildMutated(o Options, mutate func(resp *etree.Element) error) ([]byte, error) {
	sign := o.Sign
	o.Sign = SignNone
	raw, err := i.Build(o)
	if err != nil {
		return nil, err
	}
	doc, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	resp := doc.Root()
	if err := mutate(resp); err != nil {
		return nil, err
	}
	o.Sign = sign
	ctx, err := i.signingContext(o)
	if err != nil {
		return nil, err
	}
	if sign == SignBoth || sign == SignAssertion {
		for _, a := range FindAll(resp, "Assertion") {
			parent := a.Parent()
			idx := a.Index()
			parent.RemoveChildAt(idx)
			signed, err := ctx.SignEnveloped(a)
			if err != nil {
				return nil, fmt.Errorf("sign assertion: %w", err)
			}
			moveSignatureAfterIssuer(signed)
			parent.InsertChildAt(idx, signed)
		}
	}
	if sign == SignBoth || sign == SignResponse {
		signed, err := ctx.SignEnveloped(resp)
		if err != nil {
			return nil, fmt.Errorf("sign response: %w", err)
		}
		moveSignatureAfterIssuer(signed)
		resp = signed
	}
	return Serialize(resp)
}

func moveSignatureAfterIssuer(el *etree.Element) {
	// SignEnveloped appends the signature without indexing it: remove it
	// by position.
	var sig *etree.Element
	for i := len(el.Child) - 1; i >= 0; i-- {
		if c, ok := el.Child[i].(*etree.Element); ok {
			sig = c
			el.Child = append(el.Child[:i], el.Child[i+1:]...)
			break
		}
	}
	idx := 0
	if is := el.SelectElement("Issuer"); is != nil {
		idx = is.Index() + 1
	}
	el.InsertChildAt(idx, sig)
}

// Parse reads a response document.
func Parse(raw []byte) (*etree.Document, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		return nil, fmt.Errorf("parse response: %w", err)
	}
	if doc.Root() == nil {
		return nil, fmt.Errorf("parse response: no root element")
	}
	return doc, nil
}

// Serialize writes root as a whole document.
func Serialize(root *etree.Element) ([]byte, error) {
	doc := etree.NewDocument()
	doc.SetRoot(root)
	out, err := doc.WriteToBytes()
	if err != nil {
		return nil, fmt.Errorf("serialise response: %w", err)
	}
	return out, nil
}

// Rewrite parses a signed response, lets fn change it, and serialises it
// again: whatever fn changes is not covered by the signatures.
func Rewrite(raw []byte, fn func(resp *etree.Element) error) ([]byte, error) {
	doc, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	if err := fn(doc.Root()); err != nil {
		return nil, err
	}
	return Serialize(doc.Root())
}

// FindAll returns every descendant of el (el included) with the local name tag.
func FindAll(el *etree.Element, tag string) []*etree.Element {
	var out []*etree.Element
	if el.Tag == tag {
		out = append(out, el)
	}
	for _, c := range el.ChildElements() {
		out = append(out, FindAll(c, tag)...)
	}
	return out
}

// Find returns the first descendant of el (el included) named tag, or nil.
func Find(el *etree.Element, tag string) *etree.Element {
	if all := FindAll(el, tag); len(all) > 0 {
		return all[0]
	}
	return nil
}

// ChildSignature returns el's own ds:Signature child, or nil.
func ChildSignature(el *etree.Element) *etree.Element {
	for _, c := range el.ChildElements() {
		if c.Tag == "Signature" {
			return c
		}
	}
	return nil
}

// StripSignatures removes every ds:Signature below and at el.
func StripSignatures(el *etree.Element) {
	for _, s := range FindAll(el, "Signature") {
		s.Parent().RemoveChild(s)
	}
}

// SetText replaces the text of the first descendant named tag whose text is
// from with to; with no from ("") the first such element is changed.
func SetText(el *etree.Element, tag, from, to string) error {
	for _, e := range FindAll(el, tag) {
		if from == "" || e.Text() == from {
			e.SetText(to)
			return nil
		}
	}
	return fmt.Errorf("no %s element with text %q", tag, from)
}

// InsertComment splits the text of the first element named tag whose text
// is value at byte offset at, and puts an XML comment there. Canonical XML
// without comments drops it, so a signature over the element still holds.
func InsertComment(el *etree.Element, tag, value string, at int) error {
	for _, e := range FindAll(el, tag) {
		if e.Text() != value {
			continue
		}
		for _, t := range e.Child {
			if cd, ok := t.(*etree.CharData); ok {
				e.RemoveChild(cd)
			}
		}
		e.InsertChildAt(0, etree.NewText(value[:at]))
		e.InsertChildAt(1, etree.NewComment(""))
		e.InsertChildAt(2, etree.NewText(value[at:]))
		return nil
	}
	return fmt.Errorf("no %s element with text %q", tag, value)
}

// Evil returns a copy of the assertion a with a fresh ID, its NameID set
// to nameID and, unless keepSignature, without its signature.
func Evil(a *etree.Element, nameID string, keepSignature bool) *etree.Element {
	e := a.Copy()
	e.CreateAttr("ID", randomID())
	if !keepSignature {
		if s := ChildSignature(e); s != nil {
			e.RemoveChild(s)
		}
	}
	if n := Find(e, "NameID"); n != nil {
		n.SetText(nameID)
	}
	return e
}

// Unsigned returns a copy of el without its own signature.
func Unsigned(el *etree.Element) *etree.Element {
	c := el.Copy()
	if s := ChildSignature(c); s != nil {
		c.RemoveChild(s)
	}
	return c
}

// XSW applies signature wrapping placement n (1–8, as the SAML Raider
// catalogue numbers them) to a signed response, with nameID in the
// attacker's assertion. XSW1 and XSW2 need a signed Response; XSW3–XSW8
// need a signed Assertion.
func XSW(raw []byte, n int, nameID string) ([]byte, error) {
	return Rewrite(raw, func(resp *etree.Element) error {
		orig := resp.SelectElement("Assertion")
		if orig == nil {
			return fmt.Errorf("xsw%d: no assertion", n)
		}
		switch n {
		case 1, 2:
			sig := ChildSignature(resp)
			if sig == nil {
				return fmt.Errorf("xsw%d: response is not signed", n)
			}
			genuine := Unsigned(resp)
			resp.CreateAttr("ID", randomID())
			if nm := Find(resp.SelectElement("Assertion"), "NameID"); nm != nil {
				nm.SetText(nameID)
			}
			if n == 1 {
				sig.AddChild(genuine)
			} else {
				resp.InsertChildAt(sig.Index(), genuine)
			}
		case 3:
			resp.InsertChildAt(orig.Index(), Evil(orig, nameID, false))
		case 4:
			evil := Evil(orig, nameID, false)
			idx := orig.Index()
			resp.RemoveChild(orig)
			evil.AddChild(orig)
			resp.InsertChildAt(idx, evil)
		case 5, 6, 8:
			evil := Evil(orig, nameID, true)
			genuine := Unsigned(orig)
			idx := orig.Index()
			resp.RemoveChild(orig)
			resp.InsertChildAt(idx, evil)
			switch n {
			case 5:
				resp.AddChild(genuine)
			case 6:
				ChildSignature(evil).AddChild(genuine)
			case 8:
				obj := etree.NewElement("ds:Object")
				obj.AddChild(genuine)
				ChildSignature(evil).AddChild(obj)
			}
		case 7:
			ext := etree.NewElement("samlp:Extensions")
			idx := orig.Index()
			resp.RemoveChild(orig)
			ext.AddChild(orig)
			resp.InsertChildAt(idx, ext)
			resp.InsertChildAt(idx+1, Evil(orig, nameID, false))
		default:
			return fmt.Errorf("no XSW placement %d", n)
		}
		return nil
	})
}

// AddXSLTTransform puts an XSLT transform into every signature's Reference.
func AddXSLTTransform(resp *etree.Element) error {
	ts := FindAll(resp, "Transforms")
	if len(ts) == 0 {
		return fmt.Errorf("no Transforms element")
	}
	for _, t := range ts {
		tr := etree.NewElement("ds:Transform")
		tr.CreateAttr("Algorithm", "http://www.w3.org/TR/1999/REC-xslt-19991116")
		ss := tr.CreateElement("xsl:stylesheet")
		ss.CreateAttr("xmlns:xsl", "http://www.w3.org/1999/XSL/Transform")
		ss.CreateAttr("version", "1.0")
		tpl := ss.CreateElement("xsl:template")
		tpl.CreateAttr("match", "/")
		tpl.CreateElement("xsl:copy-of").CreateAttr("select", "document('http://127.0.0.1:1/xslt')")
		t.InsertChildAt(0, tr)
	}
	return nil
}

// ReplaceCertificates puts der in place of every X509Certificate in KeyInfo.
func ReplaceCertificates(resp *etree.Element, der []byte) error {
	cs := FindAll(resp, "X509Certificate")
	if len(cs) == 0 {
		return fmt.Errorf("no X509Certificate element")
	}
	for _, c := range cs {
		c.SetText(base64.StdEncoding.EncodeToString(der))
	}
	return nil
}

// WithPrologue puts a DOCTYPE (or any other prologue) before the document.
func WithPrologue(raw []byte, prologue string) []byte {
	s := string(raw)
	if strings.HasPrefix(s, "<?xml") {
		if i := strings.Index(s, "?>"); i >= 0 {
			return []byte(s[:i+2] + prologue + s[i+2:])
		}
	}
	return []byte(prologue + s)
}

// Nested returns depth nested elements, as deep a document as fits.
func Nested(depth int) string {
	return strings.Repeat("<a>", depth) + strings.Repeat("</a>", depth)
}
