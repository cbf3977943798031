package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// binDir holds the binaries built for this test run.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ptsaml-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: temp dir:", err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// built is one binary built on first use.
type built struct {
	pkg  string
	once sync.Once
	path string
	err  error
}

var (
	ptsamlBin      = &built{pkg: "./cmd/ptsaml"}
	chromeloginBin = &built{pkg: "./internal/testing/chromelogin/cmd/chromelogin"}
)

// get builds the binary once per test run (the module root is the parent
// directory) and fails the test if it does not build.
func (b *built) get(t *testing.T) string {
	t.Helper()
	b.once.Do(func() {
		b.path = filepath.Join(binDir, filepath.Base(b.pkg))
		cmd := exec.Command("go", "build", "-o", b.path, b.pkg)
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build %s: %w\n%s", b.pkg, err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}
