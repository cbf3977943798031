package atomicfile

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Temporary files are named ".<base>.<writer>.<random>.tmp" beside the file
// they will replace (see Writer.String).
const tempSuffix = ".tmp"

func tempPrefix(base string) string { return "." + base + "." }

// TempFiles lists the temporary files of path left in its directory, of any
// writer, running or not.
func TempFiles(path string) []string {
	dir := filepath.Dir(path)
	var out []string
	for name := range temps(dir, filepath.Base(path)) {
		out = append(out, filepath.Join(dir, name))
	}
	return out
}

// temps maps the names of base's temporary files in dir to their writers.
func temps(dir, base string) map[string]Writer {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	out := map[string]Writer{}
	for _, e := range entries {
		name := e.Name()
		mid, ok1 := strings.CutPrefix(name, tempPrefix(base))
		mid, ok2 := strings.CutSuffix(mid, tempSuffix)
		if !ok1 || !ok2 {
			continue
		}
		who, random, ok := strings.Cut(mid, ".")
		if _, err := strconv.ParseUint(random, 10, 64); !ok || err != nil {
			continue
		}
		if w, ok := ParseWriter(who); ok {
			out[name] = w
		}
	}
	return out
}

// now is the clock removeStale reads; tests move it.
var now = time.Now

// removeStale deletes base's temporary files that Writer.Abandoned calls
// leftovers, dated by their last change; those of a writer that runs, or may
// run, stay.
func removeStale(dir, base string) {
	t := now()
	for name, w := range temps(dir, base) {
		path := filepath.Join(dir, name)
		if fi, err := os.Lstat(path); err == nil && w.Abandoned(changed(fi), t) {
			_ = os.Remove(path)
		}
	}
}
