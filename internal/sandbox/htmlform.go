package sandbox

import (
	"io"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxPageText is how many bytes of a page's text an error message quotes.
const maxPageText = 300

// htmlPage is a page SignIn fetched: where it came from and its parsed tree.
type htmlPage struct {
	url *url.URL
	doc *html.Node
}

// parsePage parses body as the HTML served at pageURL. Parsing follows a
// browser with JavaScript off, so <noscript> content is markup, not raw text.
func parsePage(pageURL *url.URL, body io.Reader) (*htmlPage, error) {
	doc, err := html.ParseWithOptions(body, html.ParseOptionEnableScripting(false))
	if err != nil {
		return nil, err
	}
	return &htmlPage{url: pageURL, doc: doc}, nil
}

// htmlForm is what a browser would submit from a form without clicking any
// of its buttons.
type htmlForm struct {
	action      string     // absolute: the form's action resolved against the page URL
	fields      url.Values // named inputs with their values; the last of a repeated name wins
	hasPassword bool       // the form has an <input type="password">
}

// form returns the first form on the page that match accepts. Forms whose
// action is not a valid URL reference are skipped.
func (p *htmlPage) form(match func(htmlForm) bool) (htmlForm, bool) {
	for n := range p.doc.Descendants() {
		if n.Type != html.ElementNode || n.DataAtom != atom.Form {
			continue
		}
		action, err := p.url.Parse(attr(n, "action"))
		if err != nil {
			continue
		}
		f := htmlForm{action: action.String(), fields: url.Values{}}
		for in := range n.Descendants() {
			if in.Type != html.ElementNode || in.DataAtom != atom.Input {
				continue
			}
			typ := strings.ToLower(attr(in, "type"))
			if typ == "password" {
				f.hasPassword = true
			}
			if name := attr(in, "name"); name != "" && !isButton(typ) {
				f.fields.Set(name, attr(in, "value"))
			}
		}
		if match(f) {
			return f, true
		}
	}
	return htmlForm{}, false
}

// isButton reports whether an input of type typ is sent only when it is
// the button that submits the form.
func isButton(typ string) bool {
	return typ == "submit" || typ == "image" || typ == "reset" || typ == "button"
}

// text returns the start of the page's visible text, for error messages:
// the sandbox's own error line when there is one, otherwise the whole body
// without the sandbox banner. Runs of white space become one space.
func (p *htmlPage) text() string {
	root := p.doc
	for n := range p.doc.Descendants() {
		if n.Type == html.ElementNode && n.DataAtom == atom.P && hasClass(n, "error") {
			root = n
			break
		}
	}
	var words []string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		switch {
		case n.Type == html.TextNode:
			words = append(words, strings.Fields(n.Data)...)
			return
		case n.Type == html.ElementNode && hidden(n):
			return
		}
		for c := range n.ChildNodes() {
			walk(c)
		}
	}
	walk(root)
	return truncate(strings.Join(words, " "), maxPageText)
}

// hidden reports whether a browser shows none of n's text, or whether n is
// the sandbox banner, which every sandbox page carries.
func hidden(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Head, atom.Script, atom.Style, atom.Template:
		return true
	case atom.P:
		return hasClass(n, "banner")
	}
	return false
}

// truncate cuts s to at most limit bytes, on a rune boundary, marking the
// cut with "...".
func truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	for limit > 0 && !utf8.RuneStart(s[limit]) {
		limit--
	}
	return s[:limit] + "..."
}

// attr returns the value of n's attribute key (lower case), or "".
func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasClass(n *html.Node, class string) bool {
	return slices.Contains(strings.Fields(attr(n, "class")), class)
}
