package sandbox

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

type assumeRoleWithWebIdentityResponse struct {
	XMLName   xml.Name          `xml:"https://sts.amazonaws.com/doc/2011-06-15/ AssumeRoleWithWebIdentityResponse"`
	Result    webIdentityResult `xml:"AssumeRoleWithWebIdentityResult"`
	RequestID string            `xml:"ResponseMetadata>RequestId"`
}

type webIdentityResult struct {
	SubjectFromWebIdentityToken string             `xml:"SubjectFromWebIdentityToken"`
	Audience                    string             `xml:"Audience"`
	AssumedRoleUser             assumedRoleUserXML `xml:"AssumedRoleUser"`
	Credentials                 credentialsXML     `xml:"Credentials"`
	Provider                    string             `xml:"Provider"`
}

type assumedRoleUserXML struct {
	AssumedRoleID string `xml:"AssumedRoleId"`
	Arn           string `xml:"Arn"`
}

type credentialsXML struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

// roleSessionNameRule is the model's pattern for RoleSessionName.
var roleSessionNameRule = regexp.MustCompile(`^[\w+=,.@-]*$`)

// webIdentityParams are AssumeRoleWithWebIdentity's model constraints.
var webIdentityParams = []paramRule{
	{field: "RoleArn", member: "roleArn", lo: 20, hi: 2048, echo: true},
	{field: "RoleSessionName", member: "roleSessionName", lo: 2, hi: 64, echo: true,
		pattern: roleSessionNameRule, patternText: `[\w+=,.@-]*`},
	{field: "WebIdentityToken", member: "webIdentityToken", lo: 4, hi: 20000}, // never echo a token
}

// serveAssumeRoleWithWebIdentity answers one AssumeRoleWithWebIdentity
// call (unsigned, as at AWS), counts it and logs one line (never the
// token or a secret).
func (s *stsService) serveAssumeRoleWithWebIdentity(w http.ResponseWriter, reqID string, form url.Values) {
	s.webIdentityCalls.Add(1)
	res, e := s.assumeWebIdentity(form)
	if e != nil {
		s.webIdentityRejected.Add(1)
		s.log.Info("sandbox sts: AssumeRoleWithWebIdentity rejected", "code", e.Code, "reason", e.Message,
			"role", form.Get("RoleArn"), "request_id", reqID)
		writeSTSError(w, reqID, e)
		return
	}
	s.webIdentityAccepted.Add(1)
	s.log.Info("sandbox sts: AssumeRoleWithWebIdentity accepted", "role", form.Get("RoleArn"),
		"session", res.AssumedRoleUser.Arn, "sub", res.SubjectFromWebIdentityToken,
		"access_key_id", res.Credentials.AccessKeyID, "expires", res.Credentials.Expiration, "request_id", reqID)
	writeXML(w, reqID, http.StatusOK, assumeRoleWithWebIdentityResponse{Result: *res, RequestID: reqID})
}

// assumeWebIdentity decides one call: parameters, token, role, duration.
func (s *stsService) assumeWebIdentity(form url.Values) (*webIdentityResult, *stsError) {
	if v := form.Get("Version"); v != stsVersion {
		return nil, unknownAction(form.Get("Action"), v)
	}
	duration, e := validateParams(form, webIdentityParams)
	if e != nil {
		return nil, e
	}
	now := s.clock.Now()
	id, e := s.oidc.verify(form.Get("WebIdentityToken"), now)
	if e != nil {
		return nil, e
	}
	roleARN, session := form.Get("RoleArn"), form.Get("RoleSessionName")
	if !roles[roleARN] {
		return nil, &stsError{Status: http.StatusForbidden, Code: "AccessDenied",
			Message: "Not authorized to perform sts:AssumeRoleWithWebIdentity"}
	}
	c := s.issue(roleARN, session, now, now.Add(duration))
	return &webIdentityResult{
		SubjectFromWebIdentityToken: id.Subject,
		Audience:                    id.Audience,
		AssumedRoleUser:             assumedRoleUserXML{AssumedRoleID: c.UserID, Arn: c.Arn},
		Credentials: credentialsXML{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey,
			SessionToken: c.SessionToken, Expiration: c.Expiration.Format(time.RFC3339)},
		Provider: strings.TrimPrefix(strings.TrimPrefix(id.Issuer, "https://"), "http://"),
	}, nil
}

// issue makes and remembers credentials for roleARN/session that end at
// expires, or earlier when Options.CredentialTTL caps them.
func (s *stsService) issue(roleARN, session string, now, expires time.Time) issued {
	if ttl := s.srv.opts.CredentialTTL; ttl > 0 && now.Add(ttl).Before(expires) {
		expires = now.Add(ttl)
	}
	roleName := roleARN[strings.LastIndex(roleARN, "/")+1:]
	c := issued{
		Expiration: expires.UTC().Truncate(time.Second),
		Arn:        "arn:aws:sts::" + Account + ":assumed-role/" + roleName + "/" + session,
		UserID:     roleID(roleARN) + ":" + session,
	}
	c.AccessKeyID, c.SecretAccessKey, c.SessionToken = newCredentials()
	s.creds.add(c, now)
	return c
}
