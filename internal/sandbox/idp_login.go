package sandbox

import (
	"encoding/base64"
	"log/slog"
	"net/http"
	"time"

	"github.com/crewjam/saml"

	"github.com/ptsaml/ptsaml/internal/clock"
)

// loginForm is the IdP's SessionProvider: a username/password form, asked
// on every login (the sandbox keeps no IdP session, so switching user is
// just signing in again).
type loginForm struct {
	log   *slog.Logger
	clock clock.Clock
}

type loginPage struct {
	Action, SAMLRequest, RelayState, SPEntityID, Username, Error string
}

// GetSession returns the session for a valid username/password POST, and
// otherwise answers with the login form (with an error line after a failed
// attempt) and returns nil.
func (f loginForm) GetSession(w http.ResponseWriter, r *http.Request, req *saml.IdpAuthnRequest) *saml.Session {
	page := loginPage{
		Action:      req.IDP.SSOURL.String(),
		SAMLRequest: base64.StdEncoding.EncodeToString(req.RequestBuffer),
		RelayState:  req.RelayState,
		SPEntityID:  req.ServiceProviderMetadata.EntityID,
	}
	if r.Method == http.MethodPost && r.PostForm.Has("username") {
		name := r.PostForm.Get("username")
		if u, ok := authenticate(name, r.PostForm.Get("password")); ok {
			f.log.Info("sandbox idp: signed in", "user", u.Name, "sp", page.SPEntityID)
			return f.session(u)
		}
		f.log.Info("sandbox idp: sign-in refused", "user", name)
		page.Username = name
		page.Error = "Invalid username or password."
	}
	renderPage(w, f.log, http.StatusOK, "login", page)
	return nil
}

func (f loginForm) session(u user) *saml.Session {
	now := f.clock.Now()
	id := randomID("sess-")
	return &saml.Session{
		ID:           id,
		CreateTime:   now,
		ExpireTime:   now.Add(sessionDurationSeconds * time.Second),
		Index:        id,
		NameID:       u.Name,
		NameIDFormat: string(saml.PersistentNameIDFormat),
		UserName:     u.Name,
	}
}
