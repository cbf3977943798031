package samltest

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/beevik/etree"
)

// This file holds the hostile rewrites of signed responses: signature
// wrapping, XSLT transforms, swapped certificates, prologues, nesting.

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
