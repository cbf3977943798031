package submit

import (
	"slices"
	"testing"
)

func TestCleanEnvRemovesEachVariable(t *testing.T) {
	for _, name := range shadowingVars {
		t.Run(name, func(t *testing.T) {
			env := []string{"PATH=/usr/bin", name + "=x", "AWS_REGION=eu-west-1", "AWS_CONFIG_FILE=/c", "HOME=/h"}
			clean, removed := CleanEnv(env)
			want := []string{"PATH=/usr/bin", "AWS_REGION=eu-west-1", "AWS_CONFIG_FILE=/c", "HOME=/h"}
			if !slices.Equal(clean, want) {
				t.Errorf("clean = %q, want %q", clean, want)
			}
			if !slices.Equal(removed, []string{name}) {
				t.Errorf("removed = %q, want [%s]", removed, name)
			}
		})
	}
}

func TestCleanEnv(t *testing.T) {
	tests := []struct {
		name                string
		env, clean, removed []string
	}{
		{"empty", nil, []string{}, nil},
		{"nothing to remove", []string{"A=1", "AWS_REGION=x", "AWS_ENDPOINT_URL=http://e"},
			[]string{"A=1", "AWS_REGION=x", "AWS_ENDPOINT_URL=http://e"}, nil},
		{"duplicates removed, named once",
			[]string{"AWS_PROFILE=a", "A=1", "AWS_SESSION_TOKEN=t", "AWS_PROFILE=b", "A=2"},
			[]string{"A=1", "A=2"}, []string{"AWS_PROFILE", "AWS_SESSION_TOKEN"}},
		{"empty value still removed", []string{"AWS_ACCESS_KEY_ID="}, []string{}, []string{"AWS_ACCESS_KEY_ID"}},
		{"prefix is not the name", []string{"AWS_PROFILE_X=1", "XAWS_PROFILE=2", "AWS_PROFILE"},
			[]string{"AWS_PROFILE_X=1", "XAWS_PROFILE=2"}, []string{"AWS_PROFILE"}},
		{"value that looks like a name kept", []string{"NOTE=AWS_PROFILE=x"}, []string{"NOTE=AWS_PROFILE=x"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clean, removed := CleanEnv(tt.env)
			if !slices.Equal(clean, tt.clean) {
				t.Errorf("clean = %q, want %q", clean, tt.clean)
			}
			if !slices.Equal(removed, tt.removed) {
				t.Errorf("removed = %q, want %q", removed, tt.removed)
			}
		})
	}
}

func TestJobEnv(t *testing.T) {
	const url, token = "http://127.0.0.1:4000/credentials", "tok"
	base := []string{"PATH=/bin", "AWS_ACCESS_KEY_ID=AKIA", "AWS_REGION=us-east-1",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://other", "AWS_DEFAULT_REGION=us-east-2", "AWS_REGION=us-west-1"}
	tests := []struct {
		name, region string
		want         []string
	}{
		{"region set replaces inherited ones", "eu-central-1", []string{"PATH=/bin",
			"AWS_CONTAINER_CREDENTIALS_FULL_URI=" + url, "AWS_CONTAINER_AUTHORIZATION_TOKEN=" + token,
			"AWS_REGION=eu-central-1", "AWS_DEFAULT_REGION=eu-central-1"}},
		{"no region keeps inherited ones", "", []string{"PATH=/bin", "AWS_REGION=us-east-1",
			"AWS_DEFAULT_REGION=us-east-2", "AWS_REGION=us-west-1",
			"AWS_CONTAINER_CREDENTIALS_FULL_URI=" + url, "AWS_CONTAINER_AUTHORIZATION_TOKEN=" + token}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := JobEnv(slices.Clone(base), url, token, tt.region)
			if !slices.Equal(got, tt.want) {
				t.Errorf("JobEnv =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}
