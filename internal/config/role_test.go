package config

import (
	"strings"
	"testing"
)

func TestResolveRole(t *testing.T) {
	const (
		train  = "arn:aws:iam::123456789012:role/Train"
		vision = "arn:aws:iam::123456789012:role/Vision"
		other  = "arn:aws:iam::210987654321:role/Other"
	)
	withRole := validProfile() // role "train", projects llm->train, vision->ARN
	noRole := validProfile()
	noRole.Role = ""
	tests := []struct {
		name          string
		p             *Profile
		flag, project string
		want          string
		wantErr       []string
	}{
		{"flag ARN beats all", withRole, other, "vision", other, nil},
		{"flag alias expanded", withRole, "train", "vision", train, nil},
		{"project ARN beats profile role", withRole, "", "vision", vision, nil},
		{"project alias expanded", withRole, "", "llm", train, nil},
		{"profile role alias", withRole, "", "", train, nil},
		{"nothing chosen", noRole, "", "", "", nil},
		{"unknown project", withRole, "", "nlp", "", []string{`project "nlp" is not in profile "dev"`, "known projects: llm, vision"}},
		{"unknown project, none configured", &Profile{Name: "dev"}, "", "nlp", "", []string{"known projects: none configured"}},
		{"unknown alias flag", withRole, "admin", "", "", []string{`"admin" is neither a role ARN nor a role alias (known aliases: train)`}},
		{"malformed ARN flag", withRole, "arn:aws:iam::1:role/X", "", "", []string{"is not a role ARN"}},
		{"other partition", withRole, "arn:aws-us-gov:iam::123456789012:role/X", "", "", []string{"partition aws-us-gov but the profile uses aws"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.p.ResolveRole(tt.flag, tt.project)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("ResolveRole = %q, want error", got)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ResolveRole(%q, %q) = %q, %v; want %q", tt.flag, tt.project, got, err, tt.want)
			}
		})
	}
}

func TestIsRoleARNNameLength(t *testing.T) {
	base := "arn:aws:iam::123456789012:role/"
	if !IsRoleARN(base + strings.Repeat("n", 512)) {
		t.Error("a 512-character role name was refused")
	}
	if IsRoleARN(base + strings.Repeat("n", 513)) {
		t.Error("a 513-character role name was accepted")
	}
}
