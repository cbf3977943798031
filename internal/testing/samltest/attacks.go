package samltest

import (
	"fmt"

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
