package audit

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// lastLineHash returns the hex SHA-256 of the file's last line including its newline
// ("" for an empty file) and whether that line lacks its newline (a torn write, which the
// caller ends with a "\n" that the hash already covers).
func lastLineHash(f *os.File) (sum string, torn bool, err error) {
	fi, err := f.Stat()
	if err != nil {
		return "", false, fmt.Errorf("stat: %w", err)
	}
	size := fi.Size()
	if size == 0 {
		return "", false, nil
	}
	for window := int64(MaxRecord + 1); ; window *= 4 {
		off := max(0, size-window)
		buf := make([]byte, size-off)
		if _, err := f.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
			return "", false, fmt.Errorf("read last record: %w", err)
		}
		torn = buf[len(buf)-1] != '\n'
		body := buf
		if !torn {
			body = buf[:len(buf)-1]
		}
		i := bytes.LastIndexByte(body, '\n')
		if i < 0 && off > 0 {
			continue // the line started before the window
		}
		h := sha256.New()
		h.Write(body[i+1:])
		h.Write([]byte{'\n'})
		return hex.EncodeToString(h.Sum(nil)), torn, nil
	}
}

// Verify reads the audit log at path and checks that every line is a JSON object whose
// "prev" is the SHA-256 of the line before it (the first line has none). It returns nil
// for an intact log, or an error naming the first line that was edited, inserted or
// follows a removed line, or that is not JSON.
func Verify(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("verify audit log: %w", err)
	}
	defer f.Close()
	r := bufio.NewReader(f)
	want := ""
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if len(line) == 0 && errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("verify audit log: %w", err)
		}
		var rec struct {
			Prev string `json:"prev"`
		}
		if jerr := json.Unmarshal(line, &rec); jerr != nil {
			return fmt.Errorf("verify audit log: %s line %d: not a JSON record: %w", path, n, jerr)
		}
		if rec.Prev != want {
			return fmt.Errorf("verify audit log: %s line %d: chain broken (the line before it was changed or removed)", path, n)
		}
		sum := sha256.New()
		sum.Write(bytes.TrimSuffix(line, []byte("\n")))
		sum.Write([]byte{'\n'})
		want = hex.EncodeToString(sum.Sum(nil))
	}
}
