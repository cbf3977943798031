package cli

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/ptsaml/ptsaml/internal/atomicfile"
	"github.com/ptsaml/ptsaml/internal/audit"
	"github.com/ptsaml/ptsaml/internal/clock"
	"github.com/ptsaml/ptsaml/internal/config"
	"github.com/ptsaml/ptsaml/internal/credstore"
	"github.com/ptsaml/ptsaml/pkg/login"
)

// Factory builds the real implementations every command needs. Tests replace
// its fields (clock, environment, browser) and run the whole CLI in-process.
type Factory struct {
	Streams Streams
	Clock   clock.Clock
	Getenv  func(string) string
	// Environ is the environment a job starts from.
	Environ func() []string
	HTTP    *http.Client
	Log     *slog.Logger
	// Opener, when set, plays the browser instead of the system browser or
	// --browser-command (in-process tests).
	Opener login.Opener
	// Executable is ptsaml's own path, written into the sandbox profile.
	Executable string
	// Signals delivers SIGINT, SIGTERM and SIGHUP (nil in most tests).
	Signals <-chan os.Signal
	// Abort ends the process with code when a second signal arrives while
	// a cancelled command is still stopping; nil ignores it.
	Abort func(code int)

	global     globalOptions
	stores     map[string]credstore.Store
	jobSignals chan os.Signal
	jobClaimed atomic.Bool
	// ecpKeyringPassword is the service account password last read from the
	// keyring, so a job's renewal survives the keyring daemon going away.
	ecpKeyringPassword atomic.Pointer[profileSecret]
}

// NewFactory returns a factory for the real process.
func NewFactory(streams Streams) *Factory {
	exe, _ := os.Executable()
	return &Factory{
		Streams:    streams,
		Clock:      clock.Real{},
		Getenv:     os.Getenv,
		Environ:    os.Environ,
		HTTP:       &http.Client{Timeout: 30 * time.Second},
		Log:        slog.New(slog.DiscardHandler),
		Executable: exe,
	}
}

// ConfigPath is --config, else $PTSAML_CONFIG, else the user config dir.
func (f *Factory) ConfigPath() (string, error) {
	if f.global.configPath != "" {
		return f.global.configPath, nil
	}
	if p := f.Getenv(config.EnvConfig); p != "" {
		return p, nil
	}
	dir := f.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := f.home()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "ptsaml", "config.yaml"), nil
}

// Config loads the config file; a missing file is an empty config.
func (f *Factory) Config() (*config.File, string, error) {
	path, err := f.ConfigPath()
	if err != nil {
		return nil, "", err
	}
	file, err := config.Load(path)
	if err != nil {
		return nil, path, fmt.Errorf("read config: %w", err)
	}
	return file, path, nil
}

// Profile loads and validates the profile chosen by --profile / PTSAML_PROFILE
// / default_profile.
func (f *Factory) Profile() (*config.Profile, error) {
	file, path, err := f.Config()
	if err != nil {
		return nil, err
	}
	p, err := file.Profile(f.global.profile)
	if err != nil {
		return nil, withHint(err, "run `ptsaml configure --profile NAME` (config file: %s), or `ptsaml sandbox` to try the built-in sandbox", path)
	}
	if err := p.Validate(); err != nil {
		return nil, withHint(err, "edit %s or run `ptsaml configure --profile %s`", path, p.Name)
	}
	// Without anyone at the keyboard nothing goes to disk unless configured.
	if raw := file.Profiles[p.Name]; raw != nil && raw.Store == "" && f.nonInteractive() && p.NonInteractive() {
		p.Store = credstore.KindMemory
	}
	return p, nil
}

// StateDir holds the audit log, the replay cache and the locks:
// $XDG_STATE_HOME/ptsaml, else ~/.local/state/ptsaml.
func (f *Factory) StateDir() (string, error) {
	dir := f.Getenv("XDG_STATE_HOME")
	if dir == "" {
		home, err := f.home()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(home, ".local", "state")
	}
	dir = filepath.Join(dir, "ptsaml")
	if err := atomicfile.PrivateDir(dir); err != nil {
		return "", fmt.Errorf("create state dir: %w", err)
	}
	return dir, nil
}

// CacheDir holds fetched IdP metadata: $XDG_CACHE_HOME/ptsaml, else ~/.cache/ptsaml.
func (f *Factory) CacheDir() (string, error) {
	dir := f.Getenv("XDG_CACHE_HOME")
	if dir == "" {
		home, err := f.home()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(home, ".cache")
	}
	return filepath.Join(dir, "ptsaml"), nil
}

func (f *Factory) home() (string, error) {
	if h := f.Getenv("HOME"); h != "" {
		return h, nil
	}
	h, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find home directory: %w", err)
	}
	return h, nil
}

// Store opens the credential store of kind ("keyring", "file", "memory").
// Stores are shared within one process so that the memory store lives as
// long as the process.
func (f *Factory) Store(kind string) (credstore.Store, error) {
	if s, ok := f.stores[kind]; ok {
		return s, nil
	}
	state, err := f.StateDir()
	if err != nil {
		return nil, err
	}
	s, err := credstore.New(kind, credstore.Options{Dir: filepath.Join(state, "credentials"), Log: f.Log})
	if err != nil {
		return nil, err
	}
	if f.stores == nil {
		f.stores = map[string]credstore.Store{}
	}
	f.stores[kind] = s
	return s, nil
}

// Audit opens the append-only audit log in the state dir.
func (f *Factory) Audit() (*audit.Log, error) {
	state, err := f.StateDir()
	if err != nil {
		return nil, err
	}
	return audit.Open(filepath.Join(state, "audit.log"), f.Clock)
}

// lockDir holds the per-profile locks that login, logout, credential-process
// and job renewals share.
func (f *Factory) lockDir() (string, error) {
	state, err := f.StateDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(state, "locks"), nil
}

// profileSecret is a secret read for one profile, kept in memory only.
type profileSecret struct{ profile, value string }
