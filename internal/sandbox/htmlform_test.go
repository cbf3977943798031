package sandbox

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func mustParsePage(t *testing.T, pageURL, body string) *htmlPage {
	t.Helper()
	u, err := url.Parse(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	p, err := parsePage(u, strings.NewReader(body))
	if err != nil {
		t.Fatalf("parsePage: %v", err)
	}
	return p
}

func TestPageForm(t *testing.T) {
	const pageURL = "http://127.0.0.1:8080/saml/sso?SAMLRequest=x"
	anyForm := func(htmlForm) bool { return true }
	tests := []struct {
		name  string
		body  string
		match func(htmlForm) bool
		want  htmlForm
		found bool
	}{
		{
			name: "sandbox login form",
			body: `<html><head><title>t</title></head><body>
<form method="post" action="/saml/login" id="sandbox-login">
<input type="hidden" name="SAMLRequest" value="PHNhbWw+&amp;+/=">
<input type="hidden" name="RelayState" value="">
<p><label>Username <input type="text" name="username" value="al&quot;ice" autofocus></label></p>
<p><label>Password <input type="password" name="password"></label></p>
<p><input type="submit" name="go" value="Sign in"></p>
</form></body></html>`,
			match: anyForm,
			want: htmlForm{
				action:      "http://127.0.0.1:8080/saml/login",
				fields:      url.Values{"SAMLRequest": {"PHNhbWw+&+/="}, "RelayState": {""}, "username": {`al"ice`}, "password": {""}},
				hasPassword: true,
			},
			found: true,
		},
		{
			name:  "unquoted and single-quoted attributes, upper-case tags",
			body:  `<FORM ACTION='https://acs.example/saml/acs'><INPUT TYPE=HIDDEN NAME=SAMLResponse VALUE='abc'><input name=RelayState value=r></FORM>`,
			match: anyForm,
			want: htmlForm{
				action: "https://acs.example/saml/acs",
				fields: url.Values{"SAMLResponse": {"abc"}, "RelayState": {"r"}},
			},
			found: true,
		},
		{
			name:  "empty action posts to the page itself",
			body:  `<form><input name="a" value="1"></form>`,
			match: anyForm,
			want:  htmlForm{action: pageURL, fields: url.Values{"a": {"1"}}},
			found: true,
		},
		{
			name: "first matching form wins",
			body: `<form action="/one"><input name="x" value="1"></form>
<form action="/two"><input name="SAMLResponse" value="2"><input type="image" name="img"><input type="reset" name="r"><input type="button" name="b"></form>
<form action="/three"><input name="SAMLResponse" value="3"></form>`,
			match: func(f htmlForm) bool { return f.fields.Has("SAMLResponse") },
			want:  htmlForm{action: "http://127.0.0.1:8080/two", fields: url.Values{"SAMLResponse": {"2"}}},
			found: true,
		},
		{
			name:  "inputs in a comment or a script are not fields",
			body:  `<form action="/a"><!-- <input name="SAMLResponse" value="c"> --><script>"<input name='SAMLResponse'>"</script></form>`,
			match: func(f htmlForm) bool { return f.fields.Has("SAMLResponse") },
		},
		{
			name:  "invalid action is skipped",
			body:  `<form action="http://[::1"><input type="password" name="p"></form>`,
			match: anyForm,
		},
		{
			name:  "no form",
			body:  `<p>nothing here</p>`,
			match: anyForm,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, found := mustParsePage(t, pageURL, tc.body).form(tc.match)
			if found != tc.found {
				t.Fatalf("form found = %v, want %v (%+v)", found, tc.found, got)
			}
			if !found {
				return
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("form = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestPageText(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{
		{
			name: "banner, head and script are left out",
			body: `<!DOCTYPE html><html><head><title>T</title><style>p{}</style></head><body>
<p class="banner" id="sandbox-banner">TEST SANDBOX: not for production.</p>
<h1>Returning   to the
application</h1><script>document.forms[0].submit();</script>
<noscript><p>JavaScript is off.</p></noscript></body></html>`,
			want: "Returning to the application JavaScript is off.",
		},
		{
			name: "the sandbox error line is quoted on its own",
			body: `<p class="banner">TEST SANDBOX</p><h1>The sandbox IdP cannot answer</h1>
<p class="error" id="idp-error">ACS <code>http://x/acs</code> is not one of the sandbox&#39;s ACS URLs</p>`,
			want: "ACS http://x/acs is not one of the sandbox's ACS URLs",
		},
		{
			name: "plain text",
			body: "400 Bad Request: a &lt; b\n",
			want: "400 Bad Request: a < b",
		},
		{
			name: "long text is cut",
			body: strings.Repeat("word ", 100),
			want: strings.Repeat("word ", 60) + "...", // 300 bytes, the last a space
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := mustParsePage(t, "http://127.0.0.1/", tc.body).text(); got != tc.want {
				t.Errorf("text = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in    string
		limit int
		want  string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"abcdefghijk", 10, "abcdefghij..."},
		{"aaaaaaaaaé", 10, "aaaaaaaaa..."}, // é is two bytes: cut before it, not inside it
	}
	for _, tc := range tests {
		if got := truncate(tc.in, tc.limit); got != tc.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
		}
	}
}
