package promote_test

import (
	"strings"
	"testing"

	"github.com/chart-promoter/chart-promoter/internal/promote"
)

func TestTemplatesWriteTheCommitTitleAndBodyAndTheToolKeepsItsMarkers(t *testing.T) {
	t.Parallel()
	w := newGitOps(t, "webapp", map[string][]string{"charts/webapp": {"1.2.3", "1.2.4"}})
	opts := w.options()
	opts.SignOff = true
	opts.Templates = promote.Templates{
		CommitMessage: "deploy({{ .Chart }}): {{ index .Versions 0 }}\n\n{{ range .Changes }}{{ .Application }} {{ .From }}->{{ .To }} in {{ .File }}\n{{ end }}",
		Title:         "[{{ title .Chart }}] {{ join .Versions \", \" }} for {{ len .Applications }} app(s)",
		Body:          "Digest {{ .Digest }}, appVersion {{ .Metadata.AppVersion }}.\n\n{{ .Default }}",
	}
	// title is not a template function: the title template is refused before anything runs.
	if _, err := promote.Propose(t.Context(), opts, promote.Deps{}); err == nil || !strings.Contains(err.Error(), "--title-template") || !strings.Contains(err.Error(), `"title" not defined`) {
		t.Fatalf("Propose with an unknown function = %v; want an error naming --title-template", err)
	}
	opts.Templates.Title = "[{{ .Chart }}] {{ join .Versions \", \" }} for {{ len .Applications }} app(s)"

	p := only(t, w.propose(opts))
	if p.Action != promote.Opened {
		t.Fatalf("%+v", p)
	}
	if p.Title != "[webapp] 1.2.4 for 2 app(s)" {
		t.Errorf("title %q", p.Title)
	}
	prs := w.pulls()
	body := prs[0].Body
	if !strings.HasPrefix(body, "Digest "+w.digests["charts/webapp:1.2.4"]+", appVersion ") || !strings.Contains(body, "| Application | File |") {
		t.Errorf("the body does not start with the template and wrap the default:\n%s", body)
	}
	if m := readMarker(t, body); len(m.Changes) != 2 {
		t.Errorf("the hidden marker is missing or incomplete: %+v", m)
	}
	msg := w.bare("log", "-1", "--format=%B", p.Branch)
	if !strings.HasPrefix(msg, "deploy(webapp): 1.2.4\n\n") || !strings.Contains(msg, "1.2.3->1.2.4 in apps/") {
		t.Errorf("commit message:\n%s", msg)
	}
	if got := w.bare("log", "-1", "--format=%(trailers:only,unfold)", p.Branch); !strings.HasPrefix(got, "Chart-Promoter-Fingerprint: ") || !strings.Contains(got, "Signed-off-by: ") {
		t.Errorf("the tool's trailers are missing after a templated message: %q", got)
	}

	// The next run recognises its own branch and pull request: nothing new, nothing written.
	writes := w.gh.Writes()
	if again := only(t, w.propose(opts)); again.Action != promote.Unchanged || w.gh.Writes() != writes {
		t.Errorf("a re-run with templates: %+v, %d writes", again, w.gh.Writes()-writes)
	}
}

func TestAMilestoneIsSetOnNewPullRequestsAndAnUnknownOneIsAWarning(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		milestone int
		want      int
		warning   string
	}{
		{name: "an open milestone is set", milestone: 3, want: 3},
		{name: "a milestone the repository lacks is a warning, and the PR stays open", milestone: 9, warning: "could not set milestone 9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newGitOps(t, "webapp", map[string][]string{"charts/webapp": {"1.2.3", "1.2.4"}})
			w.gh.AddMilestone(gitopsOwner, gitopsName, 3, "Q3 releases")
			opts := w.options()
			opts.PullRequest.Milestone = tc.milestone
			res := w.propose(opts)
			p := only(t, res)
			if p.Action != promote.Opened || res.Failed() {
				t.Fatalf("%+v", p)
			}
			if prs := w.pulls(); prs[0].Milestone != tc.want {
				t.Errorf("milestone %d, want %d", prs[0].Milestone, tc.want)
			}
			if (tc.warning == "") != (len(p.Warnings) == 0) || (tc.warning != "" && !strings.Contains(p.Warnings[0], tc.warning)) {
				t.Errorf("warnings %q, want %q", p.Warnings, tc.warning)
			}
		})
	}
}

func TestARepositoryThatForbidsActionsPullRequestsGetsTheSettingsName(t *testing.T) {
	t.Parallel()
	w := newGitOps(t, "webapp", map[string][]string{"charts/webapp": {"1.2.3", "1.2.4"}})
	w.gh.ForbidActionsPullRequests(gitopsOwner, gitopsName)
	deps, _, err := promote.Connect(w.clone, gitopsToken, w.gh.URL, "chart-promoter-test")
	if err != nil {
		t.Fatal(err)
	}
	res, err := promote.Propose(t.Context(), w.options(), deps)
	if err != nil {
		t.Fatal(err)
	}
	p := only(t, res)
	if p.Action != promote.Failed || (p.Err == nil || !strings.Contains(p.Err.Error(), `"Allow GitHub Actions to create and approve pull requests"`)) {
		t.Errorf("%s; want a failure naming the repository setting", brief(p))
	}
}

func TestSettingsAreValidatedTogetherAndWordedByTheAdapter(t *testing.T) {
	good := promote.Settings{Repository: "acme/gitops", DeleteBranch: true}
	if opts, err := good.ProposeOptions(promote.Options{}); err != nil || opts.Owner != "acme" || opts.Repo != "gitops" ||
		opts.GroupBy != promote.GroupByChart || opts.CommitVia != promote.CommitViaGit || opts.BranchPrefix != promote.DefaultBranchPrefix || opts.KeepBranches {
		t.Fatalf("defaults: %+v, %v", opts, err)
	}
	bad := promote.Settings{
		Repository: "gitops", GroupBy: "team", CommitVia: "ssh", BranchPrefix: "a b/", AuthorName: "Bot",
		AutoMerge: "fast-forward", Milestone: "Q3", TitleTemplate: "{{ .Nope }}",
	}
	_, err := bad.ProposeOptions(promote.Options{})
	if err == nil {
		t.Fatal("bad settings accepted")
	}
	for _, want := range []string{
		`invalid --repository "gitops"`, `invalid --group-by "team"`, `invalid --commit-via "ssh"`, `invalid --branch-prefix "a b/"`,
		"--author-name and --author-email go together", `invalid --auto-merge "fast-forward"`, `invalid --milestone "Q3"`,
		"--title-template", "can't evaluate field Nope",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q:\n%v", want, err)
		}
	}
	if got := strings.Count(err.Error(), "\n") + 1; got != 8 {
		t.Errorf("%d errors, want one per bad setting (8):\n%v", got, err)
	}
}
