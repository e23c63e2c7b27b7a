package verify_test

import (
	"context"
	"testing"

	"github.com/chart-promoter/chart-promoter/internal/registry"
	"github.com/chart-promoter/chart-promoter/internal/testenv"
	"github.com/chart-promoter/chart-promoter/internal/verify"
)

// BenchmarkCosignVerify is the cost of one verified version against the in-process
// registry, per storage scheme and kind of signer; requests/op is what it adds on the wire.
func BenchmarkCosignVerify(b *testing.B) {
	for _, bb := range []struct {
		name    string
		api     bool
		v3      bool
		keyless bool
	}{
		{name: "keyed v2 .sig"},
		{name: "keyed v3 referrers API", api: true, v3: true},
		{name: "keyed v3 referrers tag", v3: true},
		{name: "keyless v2 .sig", keyless: true},
		{name: "keyless v3 referrers API", api: true, v3: true, keyless: true},
	} {
		b.Run(bb.name, func(b *testing.B) {
			var opts []testenv.RegistryOption
			if bb.api {
				opts = append(opts, testenv.WithReferrersAPI())
			}
			reg := testenv.StartRegistry(b, opts...)
			client, err := registry.New(registry.WithRootCAs(reg.CertPool))
			if err != nil {
				b.Fatal(err)
			}
			dgst := reg.PushChart(b, "charts", "web", "1.0.0")
			desc, err := reg.Repository(b, "charts/web").Resolve(context.Background(), dgst)
			if err != nil {
				b.Fatal(err)
			}
			var signer testenv.CosignSigner
			var cosignOpts verify.CosignOptions
			if bb.keyless {
				sigstore := testenv.NewSigstore(b)
				signer = sigstore.Identity(releaseWorkflow, githubIssuer)
				cosignOpts = verify.CosignOptions{
					Identities:      []verify.Identity{{Issuer: githubIssuer, Subject: releaseWorkflow}},
					TrustedRootFile: sigstore.WriteTrustedRoot(b, b.TempDir(), "trusted_root.json"),
				}
			} else {
				key := testenv.NewCosignKey(b)
				signer = key
				cosignOpts = verify.CosignOptions{PublicKeys: []verify.PublicKey{{Name: "cosign.pub", PEM: key.PublicKeyPEM(b)}}}
			}
			if bb.v3 {
				reg.CosignSignV3(b, "charts/web", dgst, signer)
			} else {
				reg.CosignSignV2(b, "charts/web", dgst, signer)
			}
			provider, err := verify.NewCosign(cosignOpts)
			if err != nil {
				b.Fatal(err)
			}
			subject := verify.Subject{Chart: reg.Host + "/charts/web", Tag: "1.0.0", Descriptor: desc}
			reg.Requests.Reset()
			b.ResetTimer()
			for range b.N {
				if _, err := provider.Verify(context.Background(), client, subject); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(reg.Requests.Count(nil))/float64(b.N), "requests/op")
		})
	}
}
