package sandbox

import (
	"html/template"
	"log/slog"
	"net/http"
)

// pageTemplates holds every HTML page the sandbox serves. Each one carries
// the "test sandbox, not for production" banner from the layout.
var pageTemplates = template.Must(template.New("layout").Parse(`
{{define "top"}}<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.}} - ptsaml test sandbox</title>
<style>body{font-family:sans-serif;max-width:46em;margin:2em auto}
.banner{background:#b00020;color:#fff;padding:.6em 1em;font-weight:bold}
.error{color:#b00020}code{background:#eee}</style></head><body>
<p class="banner" id="sandbox-banner">` + Banner + `: test users with public passwords; the credentials it issues open nothing.</p>
<h1>{{.}}</h1>{{end}}
{{define "bottom"}}</body></html>{{end}}

{{define "index"}}{{template "top" "ptsaml sandbox"}}
<p>This is ptsaml's built-in test bed: a SAML identity provider, an AWS-like STS and an in-memory S3 on loopback.
It exists to show the login flow and to run tests. Do not use it for anything real.</p>
<h2>Test users</h2><ul>{{range .Users}}<li><code>{{.Name}}</code> / password <code>{{.Password}}</code>:
{{if .Roles}}{{range .Roles}} <code>{{.}}</code>{{end}}{{else}}no AWS role{{end}}</li>{{end}}</ul>
<h2>Endpoints</h2><ul>
<li>IdP metadata: <code>{{.MetadataURL}}</code></li>
<li>STS (Query API): <code>{{.STSEndpoint}}</code></li>
<li>S3 (path-style, SigV4 with credentials from this STS; bucket <code>{{.DataBucket}}</code>): <code>{{.S3Endpoint}}</code></li>
<li>Counters: <code>{{.StatsURL}}</code>, S3 requests: <code>{{.S3RequestsURL}}</code></li></ul>
<p>SAML provider ARN: <code>{{.ProviderARN}}</code></p>
{{template "bottom"}}{{end}}

{{define "login"}}{{template "top" "Sign in to the ptsaml sandbox IdP"}}
<p>Service provider <code>{{.SPEntityID}}</code> asks you to sign in. Test users: alice/alice, bob/bob, carol/carol.</p>
{{if .Error}}<p class="error" id="login-error">{{.Error}}</p>{{end}}
<form method="post" action="{{.Action}}" id="sandbox-login">
<input type="hidden" name="SAMLRequest" value="{{.SAMLRequest}}">
<input type="hidden" name="RelayState" value="{{.RelayState}}">
<p><label>Username <input type="text" name="username" value="{{.Username}}" autofocus></label></p>
<p><label>Password <input type="password" name="password"></label></p>
<p><input type="submit" value="Sign in"></p>
</form>
{{template "bottom"}}{{end}}

{{define "post"}}{{template "top" "Returning to the application"}}
<form method="post" action="{{.URL}}" id="SAMLResponseForm">
<input type="hidden" name="SAMLResponse" value="{{.SAMLResponse}}">
<input type="hidden" name="RelayState" value="{{.RelayState}}">
<noscript><p>JavaScript is off: press the button to continue.</p></noscript>
<input type="submit" id="SAMLSubmitButton" value="Continue">
</form>
<script>document.getElementById('SAMLResponseForm').submit();</script>
{{template "bottom"}}{{end}}

{{define "error"}}{{template "top" "The sandbox IdP cannot answer this request"}}
<p class="error" id="idp-error">{{.}}</p>
{{template "bottom"}}{{end}}
`))

// responseFormTemplate is crewjam's ResponseFormTemplate: the auto-posting
// form that carries SAMLResponse and RelayState to the ACS.
var responseFormTemplate = pageTemplates.Lookup("post")

// renderPage writes the named template with status; a template failure is
// logged, since the status line has gone out already.
func renderPage(w http.ResponseWriter, log *slog.Logger, status int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := pageTemplates.ExecuteTemplate(w, name, data); err != nil {
		log.Warn("sandbox: render page", "page", name, "err", err)
	}
}
