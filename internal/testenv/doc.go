// Package testenv gives tests real registry parts instead of fakes.
//
// A chart promoter lives or dies by details that fakes get wrong: how a
// registry answers 401 and which WWW-Authenticate challenge it sends, how it
// paginates tag lists, which media types Helm writes into a chart manifest,
// that Helm stores version "1.0.0+build" under the tag "1.0.0_build", and
// that container images may share a repository with charts. A hand-written
// fake encodes our own assumptions about all of that, so tests against it can
// only confirm those assumptions.
//
// So this package starts the CNCF Distribution registry (the code behind
// Docker's registry:2 image) in-process, over TLS with a throw-away CA, with
// optional htpasswd or bearer-token auth, and fills it with charts packaged
// and pushed by Helm's own libraries. Everything runs in memory on 127.0.0.1,
// needs no Docker and no network, and is torn down by t.Cleanup.
//
// Typical use:
//
//	reg := testenv.StartRegistry(t, testenv.WithTokenAuth("ci", "secret"))
//	dgst := reg.PushChart(t, "charts", "web", "1.2.3", testenv.WithAppVersion("2.0"))
//	client := reg.HTTPClient() // trusts reg.CAFile
//	// ... exercise code against "oci://"+reg.Host+"/charts/web" ...
//	if n := reg.Requests.Count(nil); n > 10 { t.Errorf("%d requests", n) }
//
// Benchmarks that need large fleets push one chart per repository and then
// use TagMany, which writes tags straight into the registry's storage.
//
// Distribution 3.1 does not serve the OCI 1.1 referrers API, so clients attach
// signatures and other referrers through the referrers tag scheme
// (sha256-<hex>). WithReferrersAPI and SetReferrersAPI put a thin handler in
// front of it that serves GET /v2/<name>/referrers/<digest> as the
// distribution spec v1.1 defines it, from the manifests' subject fields, so
// tests take both paths; PushReferrer attaches an artifact to a manifest.
//
// One part is not Distribution's: the storage driver. Its inmemory driver
// made a 500 x 1,000-tag fleet take ~25 s, so the registry stores into a
// leaner in-memory driver that passes Distribution's driver conformance
// suite. Everything above the driver, from HTTP routing to manifest
// validation and tag pagination, is Distribution's code.
//
// Distribution logs through logrus's process-wide logger, and StartRegistry
// silences that logger: there is no per-registry switch.
package testenv
