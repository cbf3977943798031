package broker

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ptsaml/ptsaml/pkg/login"
)

// RoleAttribute is the SAML attribute that carries the role/provider pairs.
const RoleAttribute = "https://aws.amazon.com/SAML/Attributes/Role"

// Picker asks a person to choose one of several roles and returns its index.
// The terminal picker lives in internal/cli.
type Picker interface {
	Pick(roles []login.RolePair) (int, error)
}

// ChooseRole picks the role to assume from the pairs the IdP offered. want is
// a role ARN (aliases are resolved by the config before) and must match an
// offered RoleARN exactly; "" means no choice was made: a single offered role
// is taken, several go to pick, and without a picker the error lists them.
func ChooseRole(offered []login.RolePair, want string, pick Picker) (login.RolePair, error) {
	if len(offered) == 0 {
		return login.RolePair{}, errors.New("choose role: the IdP sent no AWS role for this user: ask the IdP admin to release " + RoleAttribute)
	}
	if want != "" {
		for _, r := range offered {
			if r.RoleARN == want {
				return r, nil
			}
		}
		return login.RolePair{}, fmt.Errorf("choose role: %s is not among the roles the IdP offers this user:\n%s\nchoose one of them with --role ARN or ask the IdP admin to grant the role",
			want, roleList(offered))
	}
	if len(offered) == 1 {
		return offered[0], nil
	}
	if pick == nil {
		return login.RolePair{}, fmt.Errorf("choose role: the IdP offers %d roles:\n%s\nchoose with --role ARN or set role: in the profile",
			len(offered), roleList(offered))
	}
	i, err := pick.Pick(offered)
	if err != nil {
		return login.RolePair{}, fmt.Errorf("choose role: %w", err)
	}
	if i < 0 || i >= len(offered) {
		return login.RolePair{}, fmt.Errorf("choose role: picker returned %d, want 0..%d", i, len(offered)-1)
	}
	return offered[i], nil
}

// roleList renders one role ARN per line, indented.
func roleList(roles []login.RolePair) string {
	lines := make([]string, len(roles))
	for i, r := range roles {
		lines[i] = "  " + r.RoleARN
	}
	return strings.Join(lines, "\n")
}
