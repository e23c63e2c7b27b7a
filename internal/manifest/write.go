package manifest

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// EditFile applies edits to one file on disk. It refuses when the file's bytes no longer
// hash to digest (it changed after discovery read it), and it writes through a temporary
// file in the same directory and a rename, keeping the file's mode, so a reader or a crash
// never sees a half-written manifest. It reports whether the bytes changed.
func EditFile(path string, digest [sha256.Size]byte, edits []Edit) (bool, error) {
	// openRegular refuses a path that is a symbolic link now, even if it was a regular
	// file when discovery read it: the write must not reach outside the directory.
	f, err := openRegular(path)
	if err != nil {
		return false, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return false, err
	}
	data, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		return false, err
	}
	if sha256.Sum256(data) != digest {
		return false, fmt.Errorf("the file changed after it was read; run again to plan from its new content")
	}
	out, err := Rewrite(data, edits)
	if err != nil {
		return false, err
	}
	if bytes.Equal(out, data) {
		return false, nil
	}
	if err := writeAtomic(path, out, info.Mode().Perm()); err != nil {
		return false, err // the file is as it was
	}
	return true, nil
}

func writeAtomic(path string, data []byte, perm os.FileMode) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".chart-promoter-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Chmod(perm); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
