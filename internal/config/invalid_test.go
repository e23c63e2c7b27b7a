package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestReadReportsEveryProblemOnItsLine reads each file in testdata/invalid. A file says
// what it shows in a "# about:" comment and lists, in "# want:" comments at its end, every
// error it must produce, as "line:column: path: message" (<dir> stands for the fixture
// directory). Nothing of an invalid file may be returned.
func TestReadReportsEveryProblemOnItsLine(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "invalid", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures under testdata/invalid (err %v)", err)
	}
	dir, err := filepath.Abs(filepath.Join("testdata", "invalid"))
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		about, want := expectations(string(data))
		if about == "" || len(want) == 0 {
			t.Errorf("%s needs an \"# about:\" line and at least one \"# want:\" line", file)
			continue
		}
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml")+": "+about, func(t *testing.T) {
			cfg, err := Read(file)
			if cfg != nil {
				t.Errorf("Read returned a config with %d rule(s) along with its errors", len(cfg.Rules))
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Read error = %v, want config.Errors", err)
			}
			var got []string
			for _, e := range errs {
				if e.File != file {
					t.Errorf("error names file %q, want %q", e.File, file)
				}
				line := strings.TrimPrefix(e.Error(), file+":")
				got = append(got, strings.ReplaceAll(line, dir, "<dir>"))
			}
			if !slices.Equal(got, want) {
				t.Errorf("errors:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
		})
	}
}

// expectations reads a fixture's "# about:" and "# want:" comments.
func expectations(data string) (about string, want []string) {
	for _, line := range strings.Split(data, "\n") {
		switch {
		case strings.HasPrefix(line, "# about: "):
			about = strings.TrimPrefix(line, "# about: ")
		case strings.HasPrefix(line, "# want: "):
			want = append(want, strings.TrimPrefix(line, "# want: "))
		}
	}
	return about, want
}
