package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"

	"gopkg.in/yaml.v3"

	"github.com/ptsaml/ptsaml/internal/atomicfile"
)

// Load reads the config file at path. A missing file gives an empty File
// and no error. Unknown keys and malformed YAML are errors naming the line.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &File{Profiles: map[string]*Profile{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	f, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return f, nil
}

// Parse decodes config YAML. Unknown keys are errors, one per key, each
// naming the line.
func Parse(data []byte) (*File, error) {
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := decode(dec, &f); err != nil && !errors.Is(err, io.EOF) {
		return nil, explainYAML(err)
	}
	if f.Profiles == nil {
		f.Profiles = map[string]*Profile{}
	}
	return &f, nil
}

// decode is dec.Decode, with the runtime panics yaml.v3 lets through on
// some malformed merge keys ("hash of unhashable type", go-yaml/yaml#895)
// turned into an error.
func decode(dec *yaml.Decoder, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed YAML: %v", r)
		}
	}()
	return dec.Decode(v)
}

var unknownField = regexp.MustCompile(`^line (\d+): field (\S+) not found in type \S+$`)

// explainYAML turns yaml.v3's multi-line unmarshal error into one error per
// problem, rewording unknown fields as unknown keys.
func explainYAML(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	errs := make([]error, 0, len(te.Errors))
	for _, msg := range te.Errors {
		if m := unknownField.FindStringSubmatch(msg); m != nil {
			msg = fmt.Sprintf("line %s: unknown key %q; check its spelling", m[1], m[2])
		}
		errs = append(errs, errors.New(msg))
	}
	return errors.Join(errs...)
}

// Save writes f to path atomically: a 0600 temporary file in the same
// directory is written, synced and renamed over path. The directory is
// created 0700 when missing.
func (f *File) Save(path string) error {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	return atomicfile.Write(path, buf.Bytes(), atomicfile.Options{})
}
