package testenv

import (
	"context"
	"os"
	"testing"

	"github.com/distribution/distribution/v3/registry/storage/driver/base"
	"github.com/distribution/distribution/v3/registry/storage/driver/testsuites"
	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	v1 "github.com/opencontainers/image-spec/specs-go/v1"

	storagedriver "github.com/distribution/distribution/v3/registry/storage/driver"
)

// TestMemDriverConformance runs Distribution's storage driver suite, the one
// its own drivers must pass. It sleeps 15 s in one case and allocates a
// 128 MiB buffer, so it only runs on request.
func TestMemDriverConformance(t *testing.T) {
	if os.Getenv("TESTENV_DRIVER_SUITE") == "" {
		t.Skip("set TESTENV_DRIVER_SUITE=1 to run Distribution's driver conformance suite (~80 s, ~20 s with -short)")
	}
	testsuites.Driver(t, func() (storagedriver.StorageDriver, error) {
		return &base.Base{StorageDriver: newMemDriver()}, nil
	}, false)
}

// TestTagManyWritesWhatTagServiceWrites guards TagMany's copy of
// Distribution's storage layout: a tag written by TagMany and one written by
// TagService.Tag must leave identical files behind.
func TestTagManyWritesWhatTagServiceWrites(t *testing.T) {
	reg := StartRegistry(t)
	dgst := reg.PushChart(t, "layout", "app", "1.0.0")
	reg.TagMany(t, "layout/app", dgst, []string{"via-tagmany"})

	ctx := context.Background()
	named, err := reference.WithName("layout/app")
	if err != nil {
		t.Fatal(err)
	}
	repo, err := reg.namespace.Repository(ctx, named)
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Tags(ctx).Tag(ctx, "via-tagservice", v1.Descriptor{Digest: digest.Digest(dgst)}); err != nil {
		t.Fatal(err)
	}

	tagsDir := "/docker/registry/v2/repositories/layout/app/_manifests/tags/"
	got := files(t, reg.driver, tagsDir+"via-tagmany")
	want := files(t, reg.driver, tagsDir+"via-tagservice")
	if len(want) != 2 || len(got) != len(want) {
		t.Fatalf("TagMany wrote %v, TagService wrote %v", got, want)
	}
	for p, data := range want {
		if got[p] != data {
			t.Errorf("file %s: TagMany wrote %q, TagService wrote %q", p, got[p], data)
		}
	}
}

// files maps every file below root, by path relative to root, to its content.
func files(t *testing.T, d *memDriver, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := d.Walk(context.Background(), root, func(fi storagedriver.FileInfo) error {
		if !fi.IsDir() {
			data, err := d.GetContent(context.Background(), fi.Path())
			if err != nil {
				return err
			}
			out[fi.Path()[len(root):]] = string(data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
