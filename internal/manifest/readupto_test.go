package manifest

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestReadUpToReadsWhatALimitedReadAllReads(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, c := range []struct {
		about      string
		size       int
		statedSize int64 // what Stat said when the file was opened
		limit      int64
	}{
		{about: "an empty file", size: 0, statedSize: 0, limit: 100},
		{about: "a small file", size: 1400, statedSize: 1400, limit: 8 << 20},
		{about: "a file of exactly the limit", size: 100, statedSize: 100, limit: 100},
		{about: "a file one byte over the limit", size: 101, statedSize: 101, limit: 100},
		{about: "a file far over the limit", size: 10000, statedSize: 10000, limit: 100},
		{about: "a file that grew after its Stat", size: 5000, statedSize: 10, limit: 8 << 20},
		{about: "a file that grew past the limit after its Stat", size: 5000, statedSize: 10, limit: 3000},
		{about: "a file that shrank after its Stat", size: 10, statedSize: 5000, limit: 8 << 20},
	} {
		t.Run(c.about, func(t *testing.T) {
			content := bytes.Repeat([]byte("0123456789abcdef"), c.size/16+1)[:c.size]
			p := filepath.Join(dir, "f")
			if err := os.WriteFile(p, content, 0o644); err != nil {
				t.Fatal(err)
			}
			want, err := io.ReadAll(io.LimitReader(bytes.NewReader(content), c.limit))
			if err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := readUpTo(f, c.statedSize, c.limit)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("readUpTo = %d bytes, %v; want the %d bytes a limited ReadAll reads", len(got), err, len(want))
			}
		})
	}
}
