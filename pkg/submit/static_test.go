package submit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStaticDefaultWarning(t *testing.T) {
	tests := []struct {
		name        string
		credentials string // "" = no file
		config      string // "" = no file
		envFile     bool   // point AWS_SHARED_CREDENTIALS_FILE at a file elsewhere
		want        string // substring of the warning; "" = no warning
	}{
		{name: "no files"},
		{name: "static default", credentials: "[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s\n",
			want: "[default] in "},
		{name: "static default, odd spacing and case", credentials: "# c\n [ default ] \nAWS_Access_Key_ID=AKIA\n", want: "[default]"},
		{name: "default with region only", credentials: "[default]\nregion = eu-west-1\n"},
		{name: "default with credential_process", credentials: "[default]\ncredential_process = ptsaml credential-process\n"},
		{name: "static keys in a named profile only", credentials: "[default]\nregion = x\n[work]\naws_access_key_id = AKIA\n"},
		{name: "empty key", credentials: "[default]\naws_access_key_id =\n"},
		{name: "commented key", credentials: "[default]\n# aws_access_key_id = AKIA\n"},
		{name: "static default in config", config: "[profile default]\naws_access_key_id = AKIA\n", want: "[profile default] in "},
		{name: "env file honoured", credentials: "[default]\nregion = x\n", envFile: true, want: "other-credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := t.TempDir()
			write := func(path, body string) {
				t.Helper()
				if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if tt.credentials != "" {
				write(filepath.Join(home, ".aws", "credentials"), tt.credentials)
			}
			if tt.config != "" {
				write(filepath.Join(home, ".aws", "config"), tt.config)
			}
			env := []string{"PATH=/bin"}
			if tt.envFile {
				other := filepath.Join(t.TempDir(), "other-credentials")
				write(other, "[default]\naws_access_key_id = AKIA\n")
				env = append(env, "AWS_SHARED_CREDENTIALS_FILE="+other)
			}
			got := StaticDefaultWarning(env, home)
			if tt.want == "" {
				if got != "" {
					t.Errorf("warning %q, want none", got)
				}
				return
			}
			if !strings.Contains(got, tt.want) || !strings.Contains(got, "static keys") {
				t.Errorf("warning %q, want one containing %q", got, tt.want)
			}
			if strings.Contains(got, "AKIA") {
				t.Errorf("warning %q quotes the key", got)
			}
		})
	}
	t.Run("missing env file, no home", func(t *testing.T) {
		if got := StaticDefaultWarning([]string{"AWS_SHARED_CREDENTIALS_FILE=/nonexistent/c"}, ""); got != "" {
			t.Errorf("warning %q, want none", got)
		}
	})
}
