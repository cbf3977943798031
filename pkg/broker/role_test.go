package broker

import (
	"errors"
	"strings"
	"testing"

	"github.com/ptsaml/ptsaml/pkg/login"
)

type pickFunc func([]login.RolePair) (int, error)

func (f pickFunc) Pick(r []login.RolePair) (int, error) { return f(r) }

func TestChooseRole(t *testing.T) {
	both := []login.RolePair{trainRole, readRole}
	pickSecond := pickFunc(func([]login.RolePair) (int, error) { return 1, nil })
	tests := []struct {
		name    string
		offered []login.RolePair
		want    string
		pick    Picker
		wantARN string
		wantErr []string // substrings of the error
	}{
		{name: "exact match", offered: both, want: readRole.RoleARN, wantARN: readRole.RoleARN},
		{name: "single offered, none wanted", offered: both[:1], wantARN: trainRole.RoleARN},
		{name: "several, picker", offered: both, pick: pickSecond, wantARN: readRole.RoleARN},
		{name: "several, no picker", offered: both,
			wantErr: []string{"\n  " + trainRole.RoleARN + "\n", "\n  " + readRole.RoleARN + "\n", "choose with --role ARN or set role: in the profile"}},
		{name: "not offered", offered: both, want: "arn:aws:iam::123456789012:role/Admin",
			wantErr: []string{"role/Admin is not among", "\n  " + trainRole.RoleARN, "\n  " + readRole.RoleARN}},
		{name: "prefix is not a match", offered: both, want: "arn:aws:iam::123456789012:role/Train", wantErr: []string{"is not among"}},
		{name: "none offered", want: trainRole.RoleARN,
			wantErr: []string{"the IdP sent no AWS role for this user: ask the IdP admin to release https://aws.amazon.com/SAML/Attributes/Role"}},
		{name: "picker fails", offered: both, pick: pickFunc(func([]login.RolePair) (int, error) { return 0, errors.New("cancelled") }), wantErr: []string{"cancelled"}},
		{name: "picker out of range", offered: both, pick: pickFunc(func([]login.RolePair) (int, error) { return 2, nil }), wantErr: []string{"picker returned 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ChooseRole(tt.offered, tt.want, tt.pick)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("ChooseRole = %v, want error", got)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				return
			}
			if err != nil || got.RoleARN != tt.wantARN || got.PrincipalARN == "" {
				t.Errorf("ChooseRole = %+v, %v; want %s with its provider", got, err, tt.wantARN)
			}
		})
	}
}
