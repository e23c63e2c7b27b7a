package manifest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
)

// A file is edited by writing its new bytes to a temporary file beside it and renaming that
// over it. A run killed in between (SIGKILL, the OOM killer, a cancelled job) leaves the
// temporary file behind, where `git status` shows it and `git add -A` would commit it.
// Every run therefore removes the ones an earlier run left: only files whose name no one
// else would choose, only regular files (never what a symbolic link names), and never one
// a live run is still writing, which holds a lock on it.

// tempInfix marks the tool's temporary files: ".NAME.chart-promoter-tmp-" and 16 hex digits.
const tempInfix = ".chart-promoter-tmp-"

// tempNameRE matches the temporary files of this version, and legacyTempNameRE those of
// earlier ones (os.CreateTemp's decimal suffix), so that an upgrade cleans up after them.
var (
	tempNameRE       = regexp.MustCompile(`^\..+\.chart-promoter-tmp-[0-9a-f]{16}$`)
	legacyTempNameRE = regexp.MustCompile(`^\..+\.chart-promoter-[0-9]{1,10}$`)
)

// IsTempName reports whether a file name (no directory) is one of the tool's temporary
// files. Such a file is never read as a manifest, whatever the include patterns say.
func IsTempName(name string) bool {
	return tempNameRE.MatchString(name) || legacyTempNameRE.MatchString(name)
}

// createTemp creates and locks a new temporary file for target in target's directory. The
// lock tells a run that cleans up concurrently that the file is in use; the file is checked
// to still be at its name once locked, since such a run may have removed it just before.
func createTemp(target string) (*os.File, error) {
	dir, base := filepath.Split(target)
	for attempt := 0; attempt < 10; attempt++ {
		var random [8]byte
		if _, err := rand.Read(random[:]); err != nil {
			return nil, err
		}
		name := filepath.Join(dir, "."+base+tempInfix+hex.EncodeToString(random[:]))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if err := lockFile(f, true); err != nil {
			f.Close()
			os.Remove(name)
			return nil, fmt.Errorf("lock %s: %w", name, err)
		}
		if stillAt(f, name) {
			return f, nil
		}
		f.Close() // removed by a concurrent clean-up before the lock was taken: take another
	}
	return nil, fmt.Errorf("cannot create a temporary file beside %s: every name tried was taken or removed at once", target)
}

// stillAt reports whether the path name still names the open file f.
func stillAt(f *os.File, name string) bool {
	opened, err := f.Stat()
	if err != nil {
		return false
	}
	current, err := os.Lstat(name)
	return err == nil && os.SameFile(opened, current)
}

// removeStaleTemp removes the temporary file at p unless a live run holds it. It opens p
// only when it is a regular file, so a symbolic link given that name is never followed
// (and not removed: the tool makes no links). removed is false when p was left alone.
func removeStaleTemp(p string) (removed bool, err error) {
	info, err := os.Lstat(p)
	if err != nil || !info.Mode().IsRegular() {
		return false, nil // gone meanwhile, or not a file the tool made
	}
	f, err := openRegular(p)
	if err != nil {
		return false, err
	}
	defer f.Close()
	if err := lockFile(f, false); err != nil {
		if errors.Is(err, errLocked) {
			return false, nil // a run is writing it right now
		}
		return false, err
	}
	if !stillAt(f, p) {
		return false, nil
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	return true, nil
}

// errLocked reports that another process holds the lock on a file.
var errLocked = errors.New("locked by another process")
