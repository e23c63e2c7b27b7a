package verify_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"

	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/testenv"
	"github.com/chart-promoter/chart-promoter/internal/verify"
)

// chartSubject reads the chart manifest at HOST/repository:tag the way resolution hands
// a version to verification: its descriptor as resolved and the manifest as read.
func chartSubject(t testing.TB, reg *testenv.Registry, repository, tag string) verify.Subject {
	t.Helper()
	desc, raw, err := oras.FetchBytes(context.Background(), reg.Repository(t, repository), tag, oras.DefaultFetchBytesOptions)
	if err != nil {
		t.Fatalf("fetch %s:%s: %v", repository, tag, err)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("manifest of %s:%s: %v", repository, tag, err)
	}
	return verify.Subject{Chart: reg.Host + "/" + repository, Tag: tag, Descriptor: desc, Manifest: m}
}

// registryStores is the production Stores, chart-promoter's registry client, trusting
// reg's CA and giving up on the first failed request so fault tests stay fast.
func registryStores(t testing.TB, reg *testenv.Registry) verify.Stores {
	t.Helper()
	c, err := registry.New(registry.WithRootCAs(reg.CertPool), registry.WithRetry(0, time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatalf("registry.New: %v", err)
	}
	return c
}
