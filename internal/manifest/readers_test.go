package manifest

import (
	"io/fs"
	"path/filepath"
	"sort"
	"testing"
)

// readTree scans root with the given readers the way discovery offers files to them: the
// first reader that claims a file reads it.
func readTree(t *testing.T, root string, readers ...Reader) *Result {
	t.Helper()
	res := &Result{Root: root, Files: map[string][32]byte{}}
	tree := DirTree(root, 0)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel := relPath(root, p)
		data := readFile(t, p)
		for _, r := range readers {
			if !r.Claims(rel, data) {
				continue
			}
			scan := r.Read(File{Name: rel, Data: data, Tree: tree})
			res.Sources = append(res.Sources, scan.sources...)
			res.Skipped = append(res.Skipped, scan.skipped...)
			res.Problems = append(res.Problems, scan.problems...)
			if len(scan.sources) > 0 {
				res.Files[rel] = scan.digest
				for f, digest := range scan.related {
					res.Files[f] = digest
				}
			}
			break
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.SliceStable(res.Sources, func(i, j int) bool {
		a, b := res.Sources[i], res.Sources[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Location.Line < b.Location.Line
	})
	sortByFileLine(res.Skipped, func(s Skip) (string, int) { return s.File, s.Line })
	sortByFileLine(res.Problems, func(p Problem) (string, int) { return p.File, p.Line })
	return res
}

func TestReadersFindWhatEachFixtureExpects(t *testing.T) {
	cases, err := filepath.Glob(filepath.Join("testdata", "readers", "*", "want.json"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no reader fixtures under testdata/readers (err %v)", err)
	}
	for _, wantFile := range cases {
		dir := filepath.Dir(wantFile)
		want := readDiscoverCase(t, wantFile)
		t.Run(filepath.Base(dir)+": "+want.About, func(t *testing.T) {
			root := prepareTree(t, filepath.Join(dir, "in"), want)
			got := readTree(t, root, KustomizationReader{}, ChartReader{})
			compareSources(t, got.Sources, want.Sources)
			compareSkipped(t, got.Skipped, want.Skipped)
			compareProblems(t, got.Problems, want.Problems)
			compareFiles(t, root, got.Files, want.Files)
		})
	}
}
