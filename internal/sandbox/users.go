package sandbox

import (
	"crypto/subtle"
	"sort"
)

// user is one sandbox account. The passwords are public on purpose.
type user struct {
	Name           string
	Password       string
	Roles          []string // role ARNs; each is paired with ProviderARN
	SourceIdentity string   // released as the SourceIdentity attribute when set
}

// sessionDurationSeconds is the SessionDuration attribute the IdP releases.
const sessionDurationSeconds = 43200

// users are the sandbox accounts: alice has one role, bob two (and a
// SourceIdentity), carol none (to exercise "no role offered").
var users = map[string]user{
	"alice": {Name: "alice", Password: "alice", Roles: []string{TrainRoleARN}},
	"bob":   {Name: "bob", Password: "bob", Roles: []string{TrainRoleARN, ReadOnlyRoleARN}, SourceIdentity: "bob"},
	"carol": {Name: "carol", Password: "carol"},
}

// roles are the IAM roles that exist in the sandbox account; all trust
// ProviderARN.
var roles = map[string]bool{TrainRoleARN: true, ReadOnlyRoleARN: true}

// authenticate returns the user when name and password match. The password
// comparison takes constant time, as a real IdP's would.
func authenticate(name, password string) (user, bool) {
	u, ok := users[name]
	if !ok {
		return user{}, false
	}
	if subtle.ConstantTimeCompare([]byte(u.Password), []byte(password)) != 1 {
		return user{}, false
	}
	return u, true
}

// userNames lists the sandbox users in a stable order, for pages.
func userNames() []string {
	names := make([]string, 0, len(users))
	for n := range users {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
