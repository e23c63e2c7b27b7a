package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// MaxFileSize bounds the config file: a few hundred rules fit in a fraction of it.
const MaxFileSize = 1 << 20

// Find returns the config file for a scan of dir. An explicit path (--config, the Action
// input config) must exist. Otherwise it looks, in order, for chart-promoter.yaml in dir,
// .github/chart-promoter.yaml in dir, and .github/chart-promoter.yaml at the top of the Git
// work tree dir is in (so a scan of a subdirectory still finds the repository's file).
// Finding more than one is an error, as is a chart-promoter.yml, which would otherwise be
// silently ignored. It returns "" when there is no config file.
func Find(dir, explicit string) (string, error) {
	if explicit != "" {
		info, err := os.Stat(explicit)
		switch {
		case err != nil && errors.Is(err, os.ErrNotExist):
			return "", fmt.Errorf("config file %s does not exist", explicit)
		case err != nil:
			return "", fmt.Errorf("config file %s: %w", explicit, err)
		case info.IsDir():
			return "", fmt.Errorf("config file %s is a directory: give the file, e.g. %s", explicit, filepath.Join(explicit, FileName))
		}
		return explicit, nil
	}
	places := []string{dir, filepath.Join(dir, ".github")}
	if top := workTreeTop(dir); top != "" {
		if same, _ := sameDir(top, dir); !same {
			places = append(places, filepath.Join(top, ".github"))
		}
	}
	var found []string
	for _, place := range places {
		candidate := filepath.Join(place, FileName)
		if info, err := os.Stat(candidate); err == nil && !info.IsDir() {
			found = append(found, candidate)
		}
		misspelt := filepath.Join(place, strings.TrimSuffix(FileName, ".yaml")+".yml")
		if _, err := os.Stat(misspelt); err == nil {
			return "", fmt.Errorf("%s: the config file is named %s; rename it (or pass it with --config)", misspelt, FileName)
		}
	}
	switch len(found) {
	case 0:
		return "", nil
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("more than one config file: %s; keep one (the one at the scanned directory, or in .github/)", strings.Join(found, " and "))
}

// workTreeTop returns the nearest directory at or above dir that holds .git, or "".
func workTreeTop(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

func sameDir(a, b string) (bool, error) {
	ia, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	ib, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(ia, ib), nil
}

// Load finds (see Find) and reads the config file for a scan of dir. It returns nil and no
// error when there is none. A file with problems returns Errors: every problem, each with
// its file, line and column.
func Load(dir, explicit string) (*Config, error) {
	file, err := Find(dir, explicit)
	if err != nil || file == "" {
		return nil, err
	}
	cfg, err := Read(file)
	if err != nil {
		return nil, err
	}
	cfg.Name = relativeTo(dir, file)
	return cfg, nil
}

// relativeTo spells file relative to dir with forward slashes, as plans spell files.
func relativeTo(dir, file string) string {
	absDir, err1 := filepath.Abs(dir)
	absFile, err2 := filepath.Abs(file)
	if err1 == nil && err2 == nil {
		if rel, err := filepath.Rel(absDir, absFile); err == nil {
			return filepath.ToSlash(rel)
		}
	}
	return filepath.ToSlash(file)
}

// Read reads and checks one config file; its Name is file itself.
func Read(file string) (*Config, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w", file, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w", file, err)
	}
	if len(data) > MaxFileSize {
		return nil, Errors{{File: file, Message: fmt.Sprintf("larger than %d KiB: is this the config file?", MaxFileSize>>10)}}
	}
	return Parse(file, data)
}

// Parse checks data as the config file at path file: against the JSON Schema first, then
// globs, durations, constraints and regular expressions, and that the files it refers to
// (relative to file's directory) exist. Nothing of a file with problems is returned.
func Parse(file string, data []byte) (*Config, error) {
	t, err := readTree(file, data)
	if err != nil {
		return nil, err
	}
	v, err := newValidator()
	if err != nil {
		return nil, err
	}
	// The decoder runs even when the schema finds problems, so that one run reports every
	// problem; it checks only values of the right type, and leaves out the checks of the
	// file as a whole, which a schema problem can make misleading.
	schemaErrs := v.validate(file, t)
	d := &decoder{file: file, dir: filepath.Dir(file), t: t, partial: len(schemaErrs) > 0}
	cfg := d.decode()
	// Where both found a problem with one value, the decoder's message is the more precise.
	decoded := map[string]bool{}
	for _, e := range d.errs {
		decoded[e.Path+"\x00"+e.Pos.String()] = true
	}
	errs := d.errs
	for _, e := range schemaErrs {
		if !decoded[e.Path+"\x00"+e.Pos.String()] {
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		errs.sort()
		return nil, dedupe(errs)
	}
	cfg.File, cfg.Name = file, filepath.ToSlash(file)
	return cfg, nil
}
