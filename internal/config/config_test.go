package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestFileProfile(t *testing.T) {
	withDefault := &File{DefaultProfile: "dev", Profiles: map[string]*Profile{
		"dev": {ACSURL: "http://127.0.0.1:1/a"}, "default": {ACSURL: "http://127.0.0.1:2/a"}, "empty": nil,
	}}
	noDefault := &File{Profiles: map[string]*Profile{"default": {ACSURL: "http://127.0.0.1:2/a"}, "dev": {}}}
	tests := []struct {
		name     string
		file     *File
		ask      string
		wantName string
		wantErr  []string
	}{
		{"explicit", withDefault, "default", "default", nil},
		{"empty name uses default_profile", withDefault, "", "dev", nil},
		{"empty name falls back to default", noDefault, "", "default", nil},
		{"nil entry is an empty profile", withDefault, "empty", "empty", nil},
		{"unknown", withDefault, "prod", "", []string{`profile "prod" not found`, "known: default, dev, empty", "run ptsaml configure --profile prod"}},
		{"no profiles at all", &File{}, "", "", []string{`profile "default" not found (none configured)`, "run ptsaml configure --profile default"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tt.file.Profile(tt.ask)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("Profile(%q) = %+v, want error", tt.ask, p)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Profile(%q): %v", tt.ask, err)
			}
			if p.Name != tt.wantName {
				t.Errorf("Name = %q, want %q", p.Name, tt.wantName)
			}
			if p.Region != DefaultRegion || p.Store != DefaultStore || p.Duration.Duration != time.Hour {
				t.Errorf("defaults not applied: %+v", p)
			}
		})
	}
}

func TestFileProfileReturnsCopy(t *testing.T) {
	orig := &Profile{Recipients: []string{"acs"}, RoleAliases: map[string]string{"a": "arn:aws:iam::123456789012:role/A"}}
	f := &File{Profiles: map[string]*Profile{"dev": orig}}
	p, err := f.Profile("dev")
	if err != nil {
		t.Fatal(err)
	}
	p.Recipients[0] = "changed"
	p.RoleAliases["a"] = "changed"
	p.Region = "changed"
	if orig.Recipients[0] != "acs" || orig.RoleAliases["a"] == "changed" || orig.Region != "" || orig.Name != "" {
		t.Errorf("changing the returned profile changed the file: %+v", orig)
	}
}

func TestSetProfile(t *testing.T) {
	var f File
	if err := f.SetProfile("", &Profile{}); err == nil {
		t.Error("SetProfile with empty name succeeded")
	}
	p := &Profile{Name: "x", Region: "eu-west-1"}
	if err := f.SetProfile("lab", p); err != nil {
		t.Fatal(err)
	}
	p.Region = "changed"
	if got := f.Profiles["lab"]; got.Region != "eu-west-1" || got.Name != "" {
		t.Errorf("stored profile = %+v", got)
	}
	if !slices.Equal(f.Names(), []string{"lab"}) {
		t.Errorf("Names = %v", f.Names())
	}
}
