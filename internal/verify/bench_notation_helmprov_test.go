package verify_test

import (
	"context"
	"crypto/x509"
	"path/filepath"
	"testing"

	"github.com/chart-promoter/chart-promoter/internal/testenv"
	"github.com/chart-promoter/chart-promoter/internal/verify"
)

// BenchmarkNotationVerify is what checking one signed chart version costs, in time and
// in registry requests, against the in-process registry (referrers tag fallback).
func BenchmarkNotationVerify(b *testing.B) {
	acme := newTestCA(b, subjectName("Acme Charts Root"))
	publisher := issueSigningCert(b, acme, subjectName("Chart Publisher"))
	provider, err := verify.NewNotation(filepath.Join("testdata", "notation", "trustpolicy.json"), writeTrustStore(b, "acme", acme.cert))
	if err != nil {
		b.Fatal(err)
	}
	reg := testenv.StartRegistry(b)
	digest := reg.PushChart(b, "charts", "webapp", "1.0.0")
	notationSign(b, reg, "charts/webapp", digest, publisher, []*x509.Certificate{acme.cert}, jwsMediaType)
	benchmarkVerify(b, reg, provider, chartSubject(b, reg, "charts/webapp", "1.0.0"))
}

// BenchmarkHelmProvenanceVerify is the same for a chart signed with a provenance file.
func BenchmarkHelmProvenanceVerify(b *testing.B) {
	publisher := newPGPKey(b, "Chart Publisher", "charts@acme.example")
	provider, err := verify.NewHelmProvenance(writeKeyring(b, false, publisher))
	if err != nil {
		b.Fatal(err)
	}
	reg := testenv.StartRegistry(b)
	archive := testenv.PackageChart(b, "webapp", "1.0.0")
	reg.PushChartArchive(b, "charts", readFile(b, archive), signArchive(b, publisher, archive))
	benchmarkVerify(b, reg, provider, chartSubject(b, reg, "charts/webapp", "1.0.0"))
}

func benchmarkVerify(b *testing.B, reg *testenv.Registry, provider verify.Provider, subject verify.Subject) {
	stores := registryStores(b, reg)
	// One check first, so connection and token set-up are not counted per version.
	if _, err := provider.Verify(context.Background(), stores, subject); err != nil {
		b.Fatal(err)
	}
	reg.Requests.Reset()
	b.ResetTimer()
	for b.Loop() {
		if _, err := provider.Verify(context.Background(), stores, subject); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(reg.Requests.Count(nil))/float64(b.N), "requests/op")
}
