package action

import (
	"strings"
	"testing"
)

func TestTheConfigFileWritesTheStepsPullRequestWhereNoInputIsGiven(t *testing.T) {
	w := newRunWorld(t, "1.2.3", "1.2.4")
	w.dispatch(t, "1.2.4")
	w.placeConfig(t, "pull-request.yaml", ".github/chart-promoter.yaml")
	w.gh.AddMilestone("acme", "gitops", 3, "Q3 deploys")

	code, out := w.run(t)
	if code != ExitOK {
		t.Fatalf("exit %d, want %d", code, ExitOK)
	}
	prs := w.gh.PullRequests("acme", "gitops")
	if len(prs) != 1 {
		t.Fatalf("pull requests %+v, want one", prs)
	}
	pr := prs[0]
	if pr.Title != "deploy(webapp): 1.2.4" || pr.Milestone != 3 || !strings.HasPrefix(pr.Body, "Tracked in OPS-7.\n\n") {
		t.Errorf("pull request %q, milestone %d, body:\n%s\nwant the file's title, milestone 3 and body", pr.Title, pr.Milestone, pr.Body)
	}
	if strings.Contains(pr.Body, "What changes in the cluster") {
		t.Errorf("the file turns rendering off, yet the body shows it:\n%s", pr.Body)
	}
	if msg := w.git.Git(t, "gitops", "log", "-1", "--format=%B", w.branch()); !strings.HasPrefix(msg, "deploy(webapp) from the file\n") {
		t.Errorf("commit message is not the file's template:\n%s", msg)
	}
	for _, want := range []string{
		"pullRequest.milestone: 3 (.github/chart-promoter.yaml:11)",
		"render.enabled: false (.github/chart-promoter.yaml:3)",
		"pullRequest.deleteBranch: true (default)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the log's settings lack %q:\n%s", want, out)
		}
	}
}

func TestAnInputGivenWinsOverTheConfigFile(t *testing.T) {
	w := newRunWorld(t, "1.2.3", "1.2.4")
	w.dispatch(t, "1.2.4")
	w.placeConfig(t, "pull-request.yaml", ".github/chart-promoter.yaml")
	w.gh.AddMilestone("acme", "gitops", 4, "Q4 deploys")
	w.env[input("milestone")] = "4"
	w.env[input("title-template")] = "input {{ .Chart }}"
	w.env[input("render")] = "true"

	code, out := w.run(t)
	if code != ExitOK {
		t.Fatalf("exit %d, want %d", code, ExitOK)
	}
	prs := w.gh.PullRequests("acme", "gitops")
	if len(prs) != 1 {
		t.Fatalf("pull requests %+v, want one", prs)
	}
	pr := prs[0]
	if pr.Title != "input webapp" || pr.Milestone != 4 {
		t.Errorf("pull request %q with milestone %d; want the inputs' title and milestone 4 over the file", pr.Title, pr.Milestone)
	}
	if !strings.HasPrefix(pr.Body, "Tracked in OPS-7.") || !strings.Contains(pr.Body, "What changes in the cluster") {
		t.Errorf("want the file's body (no input gives one) with the rendered changes (render: true wins over the file):\n%s", pr.Body)
	}
	for _, want := range []string{
		"pullRequest.milestone: 4 (input milestone)",
		"render.enabled: true (input render)",
		"pullRequest.bodyTemplate: \"Tracked in OPS-7. {{ .Default }}\" (.github/chart-promoter.yaml:6)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the log's settings lack %q:\n%s", want, out)
		}
	}
}
