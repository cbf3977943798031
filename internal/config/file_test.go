package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const sampleYAML = `default_profile: dev
profiles:
  dev:
    idp_metadata_url: https://idp.example.com/metadata
    acs_url: http://127.0.0.1:18181/saml/acs
    region: eu-west-1
    duration: 90m
    login_timeout: 120
    role_aliases:
      train: arn:aws:iam::123456789012:role/Train
  ci:
    idp_metadata_file: /etc/ptsaml/idp.xml
    acs_url: http://localhost:9000/acs
    duration: 3600s
    store: memory
`

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoad(t *testing.T) {
	f, err := Load(writeFile(t, sampleYAML))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if f.DefaultProfile != "dev" || len(f.Profiles) != 2 {
		t.Fatalf("Load = default %q, %d profiles; want dev, 2", f.DefaultProfile, len(f.Profiles))
	}
	dev := f.Profiles["dev"]
	if dev.Duration.Duration != 90*time.Minute || dev.LoginTimeout.Duration != 2*time.Minute {
		t.Errorf("dev durations = %v, %v; want 1h30m, 2m", dev.Duration, dev.LoginTimeout)
	}
	if dev.Region != "eu-west-1" || dev.RoleAliases["train"] != "arn:aws:iam::123456789012:role/Train" {
		t.Errorf("dev = %+v", dev)
	}
	if ci := f.Profiles["ci"]; ci.Duration.Duration != time.Hour || ci.Store != "memory" {
		t.Errorf("ci = %+v", ci)
	}
}

func TestLoadMissingFileIsEmpty(t *testing.T) {
	f, err := Load(filepath.Join(t.TempDir(), "nope", "config.yaml"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if f == nil || len(f.Profiles) != 0 || f.DefaultProfile != "" {
		t.Fatalf("Load = %+v, want empty File", f)
	}
	f.Profiles["x"] = &Profile{} // the map is usable
}

func TestLoadEmptyFile(t *testing.T) {
	f, err := Load(writeFile(t, ""))
	if err != nil || f.Profiles == nil {
		t.Fatalf("Load(empty) = %+v, %v; want empty File", f, err)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"misspelt profile key", "profiles:\n  dev:\n    acs_url: http://127.0.0.1:1/a\n    regoin: eu-west-1\n",
			[]string{`line 4: unknown key "regoin"`}},
		{"misspelt top key", "defualt_profile: dev\n", []string{`line 1: unknown key "defualt_profile"`}},
		{"two unknown keys", "profiles:\n  dev:\n    rol: x\n    stor: file\n",
			[]string{`line 3: unknown key "rol"`, `line 4: unknown key "stor"`}},
		{"bad duration", "profiles:\n  dev:\n    duration: an hour\n", []string{`line 3: invalid duration "an hour"`}},
		{"duration as list", "profiles:\n  dev:\n    duration: [1h]\n", []string{`line 3: duration must be a value`}},
		{"bad yaml", "profiles:\n  dev: [\n", []string{"line 2"}},
		{"wrong type", "profiles:\n  dev:\n    recipients: acs\n", []string{"line 3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.yaml)
			_, err := Load(path)
			if err == nil {
				t.Fatal("Load succeeded, want error")
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestSaveRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ptsaml")
	path := filepath.Join(dir, "config.yaml")
	f, err := Parse([]byte(sampleYAML))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 { // the second Save replaces an existing file
		if err := f.Save(path); err != nil {
			t.Fatalf("Save %d: %v", i, err)
		}
	}
	for p, want := range map[string]os.FileMode{dir: 0o700, path: 0o600} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != want {
			t.Errorf("%s mode = %v, want %v", p, got, want)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("dir holds %d entries, want only config.yaml (temp files left?)", len(entries))
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), "duration: 1h30m0s") || strings.Contains(string(data), "login_timeout: 0s") {
		t.Errorf("saved YAML lacks Go duration strings or writes unset ones:\n%s", data)
	}
	g, err := Load(path)
	if err != nil {
		t.Fatalf("Load saved: %v", err)
	}
	if g.DefaultProfile != "dev" || g.Profiles["dev"].Duration.Duration != 90*time.Minute ||
		g.Profiles["ci"].Store != "memory" || g.Profiles["dev"].RoleAliases["train"] == "" {
		t.Errorf("round trip lost data: %+v / %+v", g.Profiles["dev"], g.Profiles["ci"])
	}
	if g.Profiles["ci"].LoginTimeout.Duration != 0 {
		t.Errorf("unset login_timeout came back as %v", g.Profiles["ci"].LoginTimeout)
	}
}
