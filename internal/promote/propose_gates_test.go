package promote_test

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chart-promoter/chart-promoter/internal/github"
	"github.com/chart-promoter/chart-promoter/internal/manifest"
	"github.com/chart-promoter/chart-promoter/internal/markdown"
	"github.com/chart-promoter/chart-promoter/internal/promote"
	gates "github.com/chart-promoter/chart-promoter/internal/promote/gate"
	"github.com/chart-promoter/chart-promoter/internal/testenv"
	"github.com/chart-promoter/chart-promoter/internal/verify"
)

// proposeFailing runs one promotion like propose, but returns a result whose plan has
// errors instead of failing the test.
func (w *gitops) proposeFailing(opts promote.ProposeOptions) *promote.Result {
	w.t.Helper()
	deps, _, err := promote.Connect(w.clone, gitopsToken, w.gh.URL, "chart-promoter-test")
	if err != nil {
		w.t.Fatal(err)
	}
	deps.Log = testLog{w.t}
	res, err := promote.Propose(w.t.Context(), opts, deps)
	if err != nil {
		w.t.Fatalf("Propose: %v", err)
	}
	return res
}

// requestsByKind sums a registry's request log as "GET manifest", "HEAD manifest",
// "GET blob", "GET tags" and so on.
func requestsByKind(log *testenv.RequestLog) map[string]int {
	out := map[string]int{}
	for _, line := range log.All() {
		method, target, _ := strings.Cut(line, " ")
		p, _, _ := strings.Cut(target, "?")
		kind, _, _ := classify(p)
		name := map[requestKind]string{tagList: "tags", manifestReq: "manifest", blobReq: "blob"}[kind]
		if name == "" {
			name = p
		}
		out[method+" "+name]++
	}
	return out
}

func TestATagPushedAgainUnderAnOpenPullRequestStopsItsChartAndIsSaidOnceOnThePullRequest(t *testing.T) {
	t.Parallel()
	ends := []struct {
		name string
		// end ends the alarm: afterwards the chart is promoted as usual.
		end func(t *testing.T, w *gitops, number int, recorded string)
	}{
		{
			name: "until the tag holds the recorded digest again",
			end: func(t *testing.T, w *gitops, _ int, recorded string) {
				repo := w.reg.Repository(t, "charts/webapp")
				desc, err := repo.Resolve(context.Background(), recorded)
				if err != nil {
					t.Fatal(err)
				}
				if err := repo.Tag(context.Background(), desc, "1.2.4"); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "until the pull request is closed",
			end: func(t *testing.T, w *gitops, number int, _ string) {
				w.gh.SetPRState(gitopsOwner, gitopsName, number, "closed", false)
			},
		},
	}
	for _, tt := range ends {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newGitOps(t, "webapp", map[string][]string{"charts/webapp": {"1.2.3", "1.2.4"}})
			first := only(t, w.propose(w.options()))
			branch := w.chartBranch("charts/webapp")
			recorded := w.digests["charts/webapp:1.2.4"]
			before := w.pulls()[0]
			if m := readMarker(t, before.Body); len(m.Versions) != 1 || m.Versions[0].Tag != "1.2.4" || m.Versions[0].Digest != recorded {
				t.Fatalf("the marker records %+v; want 1.2.4 at %s", m.Versions, recorded)
			}
			tip := w.bare("rev-parse", "refs/heads/"+branch)

			// Someone pushes 1.2.4 again with other content, and a newer 1.2.5 appears.
			found := w.reg.PushChart(t, "charts", "webapp", "1.2.4", testenv.WithDescription("Not what was reviewed."))
			w.push("charts/webapp", "1.2.5")
			if found == recorded {
				t.Fatal("the second push made the same digest")
			}

			for run := 1; run <= 2; run++ {
				pushes := w.pushes()
				res := w.proposeFailing(w.options())
				if !res.Failed() || len(res.Plan.Changes) != 0 || len(res.Proposals) != 0 {
					t.Errorf("run %d: failed %v, changes %+v, proposals %+v; want the run failed and nothing proposed for webapp", run, res.Failed(), res.Plan.Changes, res.Proposals)
				}
				if len(res.Plan.Errors) != 1 {
					t.Fatalf("run %d: errors %+v; want one, for webapp", run, res.Plan.Errors)
				}
				e := res.Plan.Errors[0]
				want := promote.Repushed{Tag: "1.2.4", Recorded: recorded, Found: found, PullRequest: first.Number, Branch: branch}
				if e.Chart != w.chart("charts/webapp") || e.Repushed == nil || *e.Repushed != want ||
					!strings.Contains(e.Message, recorded) || !strings.Contains(e.Message, found) || !strings.Contains(e.Message, "pushed again") {
					t.Errorf("run %d: error %+v (repushed %+v); want webapp's, naming both digests, %+v", run, e, e.Repushed, want)
				}
				comments := w.gh.Comments(gitopsOwner, gitopsName, first.Number)
				if len(comments) != 1 || !strings.Contains(comments[0], recorded) || !strings.Contains(comments[0], found) || !strings.Contains(comments[0], "1.2.4") {
					t.Errorf("run %d: comments %q; want exactly one naming the tag and both digests", run, comments)
				}
				after := w.pulls()[0]
				if after.Title != before.Title || after.Body != before.Body || after.State != "open" {
					t.Errorf("run %d: the pull request changed: %q\n%s", run, after.Title, after.Body)
				}
				if got := w.bare("rev-parse", "refs/heads/"+branch); got != tip || w.pushes() != pushes {
					t.Errorf("run %d: %s moved from %s to %s", run, branch, tip, got)
				}
			}

			tt.end(t, w, first.Number, recorded)
			res := w.propose(w.options())
			p := only(t, res)
			if len(res.Plan.Changes) != 2 || res.Plan.Changes[0].To != "1.2.5" || (p.Action != promote.Updated && p.Action != promote.Opened) {
				t.Errorf("after the alarm: %+v; want webapp promoted to 1.2.5", p)
			}
			if comments := w.gh.Comments(gitopsOwner, gitopsName, first.Number); len(comments) != 1 {
				t.Errorf("comments %q; want still the one", comments)
			}
		})
	}
}

func TestAReRunConfirmsTheVersionAnOpenPullRequestProposesWithAHeadAndNoManifestGet(t *testing.T) {
	t.Parallel()
	w := newGitOps(t, "webapp", map[string][]string{"charts/webapp": {"1.2.3", "1.2.4"}})
	first := only(t, w.propose(w.options()))
	w.reg.Requests.Reset()

	again := only(t, w.propose(w.options()))
	if again.Action != promote.Unchanged || again.Number != first.Number {
		t.Errorf("second run %+v; want PR #%d unchanged", again, first.Number)
	}
	// Docker Hub counts each manifest GET as a pull; a HEAD is free. The config blob is
	// read for the chart's metadata, as the marker recorded where it is.
	want := map[string]int{"GET tags": 1, "HEAD manifest": 1, "GET blob": 1}
	if got := requestsByKind(w.reg.Requests); !maps.Equal(got, want) {
		t.Errorf("registry requests %v, want %v:\n%s", got, want, strings.Join(w.reg.Requests.All(), "\n"))
	}
	for i, c := range again.Changes {
		f := first.Changes[i]
		if c.To != f.To || c.Digest != f.Digest || c.Metadata.Description != f.Metadata.Description || c.Metadata.AppVersion != f.Metadata.AppVersion ||
			!maps.Equal(c.Metadata.Annotations, f.Metadata.Annotations) {
			t.Errorf("change %d: %+v; want what the first run found, %+v", i, c, f)
		}
	}
}

func TestAPullRequestRewrittenForAnotherChartKeepsTheMetadataOfTheVersionConfirmedByHead(t *testing.T) {
	t.Parallel()
	w := newGitOps(t, "two-charts", map[string][]string{"charts/webapp": {"1.2.3", "1.2.4"}, "charts/cache": {"0.9.0", "1.0.0"}})
	opts := w.options()
	opts.GroupBy = promote.GroupByAll
	first := only(t, w.propose(opts))
	w.push("charts/cache", "1.1.0")
	w.reg.Requests.Reset()

	again := only(t, w.propose(opts))
	if again.Action != promote.Updated || again.Number != first.Number {
		t.Fatalf("second run %+v; want PR #%d updated to cache 1.1.0", again, first.Number)
	}
	var webappManifests []string
	for _, line := range w.reg.Requests.All() {
		if strings.HasPrefix(line, http.MethodGet+" ") && strings.Contains(line, "/charts/webapp/manifests/") {
			webappManifests = append(webappManifests, line)
		}
	}
	if len(webappManifests) > 0 {
		t.Errorf("webapp 1.2.4, which the PR proposes already, was read with %v", webappManifests)
	}
	body := w.pulls()[0].Body
	for _, want := range []string{"### webapp 1.2.4", "- appVersion: `5.0.4`", "Readiness probe on the web container in 1.2.4", "### cache 1.1.0"} {
		if !strings.Contains(body, want) {
			t.Errorf("the rewritten body lacks %q:\n%s", want, body)
		}
	}
	m := readMarker(t, body)
	var tags []string
	for _, v := range m.Versions {
		tags = append(tags, v.Tag)
		if v.Digest != w.digests[strings.TrimPrefix(v.Chart, w.reg.Host+"/")+":"+v.Tag] {
			t.Errorf("the marker records %s:%s at %s, Helm pushed %s", v.Chart, v.Tag, v.Digest, w.digests[v.Chart+":"+v.Tag])
		}
	}
	if slices.Sort(tags); !slices.Equal(tags, []string{"1.1.0", "1.2.4"}) {
		t.Errorf("the marker records versions %v", tags)
	}
}

func TestKnownVersionsReadsDigestsFromMarkersAndNothingFromOlderOnes(t *testing.T) {
	t.Parallel()
	w := newGitOps(t, "webapp", map[string][]string{"charts/webapp": {"1.2.3", "1.2.4"}})
	p := only(t, w.propose(w.options()))
	current := w.pulls()[0].Body
	// A marker as runs wrote them before digests were recorded: the same, less "versions".
	legacy := `Promotes webapp.

<!-- chart-promoter:metadata {"v":1,"group":"chart:x","branch":"` + p.Branch + `","fingerprint":"0123456789abcdef","changes":[{"file":"apps/staging/webapp.yaml","path":"spec.source.targetRevision","chart":"` + w.chart("charts/webapp") + `","from":"1.2.3","to":"1.2.4"}]} -->
`
	known := promote.KnownVersions([]*github.PullRequest{
		{Number: p.Number, Head: p.Branch, Body: current},
		{Number: 99, Head: "chart-promoter/old", Body: legacy},
		{Number: 100, Head: "feature", Body: "A person's pull request."},
	})
	ref := gates.TagRef{Chart: w.chart("charts/webapp"), Tag: "1.2.4"}
	if len(known) != 1 || len(known[ref]) != 1 {
		t.Fatalf("known %+v; want webapp 1.2.4 from PR #%d only", known, p.Number)
	}
	k := known[ref][0]
	if k.Digest != w.digests["charts/webapp:1.2.4"] || k.PullRequest != p.Number || k.Branch != p.Branch || k.Config.Size == 0 || k.Created == "" {
		t.Errorf("known %+v; want the digest Helm pushed, PR #%d, its config blob and creation time", k, p.Number)
	}
}

func TestThePullRequestSaysWhoSignedTheVersionAndWhichNewerOnesWereHeldBack(t *testing.T) {
	t.Parallel()
	w := newGitOps(t, "webapp", map[string][]string{"charts/webapp": {"1.2.3"}})
	push := func(version string, age time.Duration) string {
		d := w.reg.PushChart(t, "charts", "webapp", version, testenv.WithCreated(gateNow.Add(-age)), testenv.WithDescription("webapp "+version))
		w.digests["charts/webapp:"+version] = d
		return d
	}
	d124 := push("1.2.4", 10*24*time.Hour)
	d125 := push("1.2.5", time.Hour)
	push("1.2.6", 5*24*time.Hour) // never signed
	signer := &digestSigner{signed: map[string]verify.Result{d124: signedBy("release@acme", gateNow), d125: signedBy("release@acme", gateNow)}}
	rule := promote.GatePolicy{MinimumReleaseAge: 72 * time.Hour, ReleaseTime: []string{"created"}, Verify: &verify.Policy{Providers: []verify.Provider{signer}, Required: true}}
	opts := w.options()
	opts.Plan.Now = func() time.Time { return gateNow }
	opts.Plan.Policy = func(manifest.Source) promote.GatePolicy { return rule }

	p := only(t, w.propose(opts))
	if p.Action != promote.Opened || p.Title != "Promote webapp to 1.2.4" {
		t.Fatalf("proposal %+v; want webapp 1.2.4 opened", p)
	}
	body := w.pulls()[0].Body
	for _, want := range []string{
		"### webapp 1.2.4",
		// As the body writes text from outside: inert Markdown (no mentions, no autolinks).
		"- 🔏 " + markdown.Text("verified by digest-list, identity release@acme, issuer https://token.actions.githubusercontent.com, key SHA256:test, transparency log 2025-06-01T09:30:00Z") + "\n",
		"- ⏸️ Held back: " + markdown.Text("1.2.6 held by signature: digest-list: no signature for "+w.digests["charts/webapp:1.2.6"]) + "\n",
		"- ⏸️ Held back: " + markdown.Text("1.2.5 held by age: released 2025-06-01T08:30:00Z (org.opencontainers.image.created), younger than the minimum release age of 72h; eligible from 2025-06-04T08:30:00Z") + "\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the PR body lacks %q:\n%s", want, body)
		}
	}
	if n := strings.Count(body, "🔏"); n != 1 {
		t.Errorf("the body names the signer %d times; the two sources share one verification", n)
	}
}

func TestAReRunUnderASignatureAndAgeRuleReadsTheProposedManifestByDigestOnlyToVerifyIt(t *testing.T) {
	t.Parallel()
	w := newGitOps(t, "webapp", map[string][]string{"charts/webapp": {"1.2.3"}})
	d124 := w.reg.PushChart(t, "charts", "webapp", "1.2.4", testenv.WithCreated(gateNow.Add(-48*time.Hour)))
	signer := &digestSigner{signed: map[string]verify.Result{d124: signedBy("release@acme", gateNow.Add(-47*time.Hour))}}
	rule := promote.GatePolicy{MinimumReleaseAge: 24 * time.Hour, ReleaseTime: []string{"created"}, Verify: &verify.Policy{Providers: []verify.Provider{signer}, Required: true}}
	opts := w.options()
	opts.Plan.Now = func() time.Time { return gateNow }
	opts.Plan.Policy = func(manifest.Source) promote.GatePolicy { return rule }
	first := only(t, w.propose(opts))
	w.reg.Requests.Reset()

	again := only(t, w.propose(opts))
	if again.Action != promote.Unchanged || again.Number != first.Number || again.Changes[0].Verification == nil || !again.Changes[0].Verification.Signed {
		t.Fatalf("second run %+v; want PR #%d unchanged, the version verified again", again, first.Number)
	}
	// The signature is checked afresh (the rule's keys may have changed), on the whole
	// manifest read by its digest; the age comes from the creation time the marker recorded.
	var byTag, byDigest int
	for _, line := range w.reg.Requests.All() {
		switch {
		case line == "GET /v2/charts/webapp/manifests/"+d124:
			byDigest++
		case strings.HasPrefix(line, "GET /v2/charts/webapp/manifests/"):
			byTag++
		}
	}
	if byTag != 0 || byDigest != 1 {
		t.Errorf("%d manifest GETs by tag and %d by digest, want 0 and 1:\n%s", byTag, byDigest, strings.Join(w.reg.Requests.All(), "\n"))
	}
}

func TestAPullRequestOfAllChartsIsNotUpdatedWhileOneOfItsTagsIsRePushed(t *testing.T) {
	t.Parallel()
	w := newGitOps(t, "two-charts", map[string][]string{"charts/webapp": {"1.2.3", "1.2.4"}, "charts/cache": {"0.9.0", "1.0.0"}})
	opts := w.options()
	opts.GroupBy = promote.GroupByAll
	first := only(t, w.propose(opts))
	before := w.pulls()[0]
	w.reg.PushChart(t, "charts", "webapp", "1.2.4", testenv.WithDescription("Not what was reviewed."))
	w.push("charts/cache", "1.1.0") // cache alone would update the PR

	res := w.proposeFailing(opts)
	p := only(t, res)
	var blocked *promote.RepushBlockedError
	if p.Action != promote.Blocked || p.Number != first.Number || !errors.As(p.Err, &blocked) || !strings.Contains(p.Err.Error(), "is not updated") {
		t.Errorf("proposal %+v; want PR #%d blocked", p, first.Number)
	}
	if len(res.Plan.Errors) != 1 || res.Plan.Errors[0].Repushed == nil || !res.Failed() {
		t.Errorf("errors %+v; want webapp's re-push, failing the run", res.Plan.Errors)
	}
	after := w.pulls()[0]
	if after.Title != before.Title || after.Body != before.Body {
		t.Errorf("the pull request changed to %q", after.Title)
	}
	if comments := w.gh.Comments(gitopsOwner, gitopsName, first.Number); len(comments) != 1 {
		t.Errorf("comments %q; want one", comments)
	}
}
