package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// tail is what a writer needs from the end of the active file.
type tail struct {
	hash string // hex SHA-256 of the last line with its newline; "" for an empty file
	seq  int64  // seq of the last line (counting lines that carry none); 0 if unknown
	torn bool   // the last line lacks its newline (a write was cut short)
}

// lineHash is the hex SHA-256 of line ended by exactly one newline.
func lineHash(line []byte) string {
	h := sha256.New()
	h.Write(bytes.TrimSuffix(line, []byte("\n")))
	h.Write([]byte{'\n'})
	return hex.EncodeToString(h.Sum(nil))
}

// lineSeq returns the "seq" of a record line, or false when it has none.
func lineSeq(line []byte) (int64, bool) {
	var rec struct {
		Seq *int64 `json:"seq"`
	}
	if json.Unmarshal(line, &rec) != nil || rec.Seq == nil {
		return 0, false
	}
	return *rec.Seq, true
}

// readTail returns the hash and seq of the file's last line and whether it is torn (the
// caller ends it with a "\n" that the hash already covers). A last line without a seq
// takes the seq of the nearest earlier line that has one, plus the lines in between.
func readTail(f *os.File) (tail, error) {
	fi, err := f.Stat()
	if err != nil {
		return tail{}, fmt.Errorf("stat: %w", err)
	}
	size := fi.Size()
	if size == 0 {
		return tail{}, nil
	}
	for window := int64(MaxRecord + 1); ; window *= 4 {
		off := max(0, size-window)
		buf := make([]byte, size-off)
		if _, err := f.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
			return tail{}, fmt.Errorf("read last record: %w", err)
		}
		var t tail
		t.torn = buf[len(buf)-1] != '\n'
		body := buf
		if !t.torn {
			body = buf[:len(buf)-1]
		}
		i := bytes.LastIndexByte(body, '\n')
		if i < 0 && off > 0 {
			continue // the line started before the window
		}
		t.hash = lineHash(body[i+1:])
		lines := bytes.Split(body, []byte{'\n'})
		if off > 0 {
			lines = lines[1:] // the first may be a partial line
		}
		for back := int64(0); back < int64(len(lines)); back++ {
			if s, ok := lineSeq(lines[int64(len(lines))-1-back]); ok {
				t.seq = s + back
				break
			}
		}
		return t, nil
	}
}
