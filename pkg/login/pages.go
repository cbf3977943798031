package login

import (
	"html/template"
	"net/http"
)

var page = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ptsaml: {{.Title}}</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto">
<h1>{{.Title}}</h1>
<p>{{.Line}}</p>
{{if .Hint}}<p>{{.Hint}}</p>{{end}}
</body></html>
`))

type pageData struct{ Title, Line, Hint string }

// writePage answers the browser with a small page. Nothing from the request
// is echoed except through html/template escaping of our one-line reason.
func writePage(w http.ResponseWriter, code int, d pageData) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(code)
	_ = page.Execute(w, d)
}

func successPage(w http.ResponseWriter) {
	writePage(w, http.StatusOK, pageData{
		Title: "Signed in",
		Line:  "Signed in — you can close this tab and return to the terminal.",
	})
}

func failurePage(w http.ResponseWriter, code int, rej *RejectedError) {
	writePage(w, code, pageData{
		Title: "Sign-in refused",
		Line:  "ptsaml refused this SAML response: " + rej.Reason,
		Hint:  rej.Hint,
	})
}
