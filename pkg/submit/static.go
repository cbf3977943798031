package submit

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// StaticDefaultWarning returns a one-line warning when the default profile of
// the shared AWS files holds static keys, "" otherwise (also when no file
// exists or none can be read).
//
// Why it matters: in the default credential chain of the AWS SDKs (botocore
// and boto3, the AWS CLI, aws-sdk-go-v2, Java, JavaScript) the shared
// credentials and config files come before the container provider. A job
// started with JobEnv has no AWS_PROFILE or AWS_DEFAULT_PROFILE, so its SDKs
// read the profile named "default"; when that profile has an
// aws_access_key_id they use those keys and never ask ptsaml's endpoint
// (unless the job's code picks another profile by name). Other settings in
// [default] (region, output, credential_process, endpoints…) are not reported.
//
// env should be the job's environment (JobEnv's result), so the files checked
// are the ones its SDKs read: AWS_SHARED_CREDENTIALS_FILE or
// home/.aws/credentials (section [default]), and AWS_CONFIG_FILE or
// home/.aws/config (section [default] or [profile default]).
func StaticDefaultWarning(env []string, home string) string {
	credFile, ok := lookupEnv(env, "AWS_SHARED_CREDENTIALS_FILE")
	if !ok || credFile == "" {
		credFile = homeFile(home, "credentials")
	}
	if credFile != "" && hasStaticKey(credFile, "default") {
		return staticWarning(credFile, "[default]")
	}
	confFile, ok := lookupEnv(env, "AWS_CONFIG_FILE")
	if !ok || confFile == "" {
		confFile = homeFile(home, "config")
	}
	if confFile != "" {
		for _, section := range []string{"default", "profile default"} {
			if hasStaticKey(confFile, section) {
				return staticWarning(confFile, "["+section+"]")
			}
		}
	}
	return ""
}

func staticWarning(file, section string) string {
	return fmt.Sprintf("ptsaml: warning: %s in %s holds static keys (aws_access_key_id); "+
		"AWS SDKs in the job use them instead of ptsaml's credentials: "+
		"move them to a named profile", section, file)
}

func homeFile(home, name string) string {
	if home == "" {
		return ""
	}
	return filepath.Join(home, ".aws", name)
}

// maxAWSFile bounds how much of a shared AWS file is read.
const maxAWSFile = 1 << 20

// hasStaticKey reports whether section of the INI file at path has a
// non-empty aws_access_key_id. Section names compare exactly, key names
// without regard to case (as botocore's parser does).
func hasStaticKey(path, section string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(io.LimitReader(f, maxAWSFile))
	sc.Buffer(make([]byte, 0, 64<<10), maxAWSFile)
	in := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[':
			name, _, _ := strings.Cut(line[1:], "]")
			in = strings.TrimSpace(name) == section
		case in:
			key, value, ok := strings.Cut(line, "=")
			if ok && strings.EqualFold(strings.TrimSpace(key), "aws_access_key_id") && strings.TrimSpace(value) != "" {
				return true
			}
		}
	}
	return false
}
