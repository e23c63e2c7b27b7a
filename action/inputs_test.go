package action

import (
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/chart-promoter/chart-promoter/internal/promote"
)

func TestReadInputsDefaults(t *testing.T) {
	a, _ := newAction(baseEnv())
	got, err := ReadInputs(a)
	if err != nil {
		t.Fatal(err)
	}
	want := Inputs{
		Token:            "ghs_0123456789abcdefghijklmnopqrstuvwxyz",
		Repository:       "acme/gitops",
		Base:             "main",
		GroupBy:          promote.GroupByChart,
		CommitVia:        promote.CommitViaGit,
		BranchPrefix:     "chart-promoter/",
		WorkingDirectory: ".",
		APIURL:           "https://api.github.com",
		WaitForVersion:   2 * time.Minute,
		DeleteBranch:     true,
		Render:           true,
		RenderTimeout:    30 * time.Second,
		RenderMaxBytes:   32 << 20,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestReadInputs(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		check func(t *testing.T, in Inputs)
	}{
		{
			name: "charts are normalised and may be one per line or comma-separated",
			env:  map[string]string{input("chart"): "oci://GHCR.io/acme/charts/webapp\nghcr.io/acme/charts/api/, ghcr.io/acme/charts/worker\n\n"},
			check: func(t *testing.T, in Inputs) {
				want := []string{"ghcr.io/acme/charts/webapp", "ghcr.io/acme/charts/api", "ghcr.io/acme/charts/worker"}
				if !slices.Equal(in.Chart, want) {
					t.Errorf("Chart = %q, want %q", in.Chart, want)
				}
			},
		},
		{
			name: "include and exclude globs are lists",
			env:  map[string]string{input("paths"): "apps/**/*.yaml\nappsets/*.yaml", input("exclude"): "**/kustomization.yaml, tmp/**"},
			check: func(t *testing.T, in Inputs) {
				if !slices.Equal(in.Paths, []string{"apps/**/*.yaml", "appsets/*.yaml"}) || !slices.Equal(in.Exclude, []string{"**/kustomization.yaml", "tmp/**"}) {
					t.Errorf("Paths = %q, Exclude = %q", in.Paths, in.Exclude)
				}
			},
		},
		{
			name: "booleans take YAML 1.2 core spellings",
			env:  map[string]string{input("draft"): "True", input("dry-run"): "TRUE", input("sign-off"): "true", input("plain-http"): "FALSE"},
			check: func(t *testing.T, in Inputs) {
				if !in.Draft || !in.DryRun || !in.SignOff || in.PlainHTTP {
					t.Errorf("Draft %v DryRun %v SignOff %v PlainHTTP %v", in.Draft, in.DryRun, in.SignOff, in.PlainHTTP)
				}
			},
		},
		{
			name: "a dry run needs no token",
			env:  map[string]string{input("token"): "", input("dry-run"): "true"},
			check: func(t *testing.T, in Inputs) {
				if in.Token != "" || !in.DryRun {
					t.Errorf("Token %q DryRun %v", in.Token, in.DryRun)
				}
			},
		},
		{
			name: "people and teams lose the @ and the organisation",
			env: map[string]string{input("reviewers"): "@alice, bob", input("assignees"): "@carol",
				input("team-reviewers"): "@acme/platform\nsre", input("labels"): "chart-promotion, automerge"},
			check: func(t *testing.T, in Inputs) {
				if !slices.Equal(in.Reviewers, []string{"alice", "bob"}) || !slices.Equal(in.Assignees, []string{"carol"}) ||
					!slices.Equal(in.TeamReviewers, []string{"platform", "sre"}) || !slices.Equal(in.Labels, []string{"chart-promotion", "automerge"}) {
					t.Errorf("Reviewers %q Assignees %q TeamReviewers %q Labels %q", in.Reviewers, in.Assignees, in.TeamReviewers, in.Labels)
				}
			},
		},
		{
			name: "pull request settings are read as given",
			env: map[string]string{input("group-by"): "application", input("commit-via"): "api", input("auto-merge"): "Squash",
				input("author-name"): "Release Bot", input("author-email"): "release@acme.example", input("branch-prefix"): "promote/"},
			check: func(t *testing.T, in Inputs) {
				if in.GroupBy != promote.GroupByApplication || in.CommitVia != promote.CommitViaAPI || in.AutoMerge != "squash" ||
					in.AuthorName != "Release Bot" || in.AuthorEmail != "release@acme.example" || in.BranchPrefix != "promote/" {
					t.Errorf("%+v", in)
				}
			},
		},
		{
			name: "the working directory is cleaned into a path from the repository root",
			env:  map[string]string{input("working-directory"): "./deploy//argocd/"},
			check: func(t *testing.T, in Inputs) {
				if in.WorkingDirectory != "deploy/argocd" {
					t.Errorf("WorkingDirectory = %q", in.WorkingDirectory)
				}
			},
		},
		{
			name: "a bare number of seconds is a wait",
			env:  map[string]string{input("wait-for-version"): "90"},
			check: func(t *testing.T, in Inputs) {
				if in.WaitForVersion != 90*time.Second {
					t.Errorf("WaitForVersion = %v", in.WaitForVersion)
				}
			},
		},
		{
			name: "zero means do not wait",
			env:  map[string]string{input("wait-for-version"): "0"},
			check: func(t *testing.T, in Inputs) {
				if in.WaitForVersion != 0 {
					t.Errorf("WaitForVersion = %v", in.WaitForVersion)
				}
			},
		},
		{
			name: "the API URL comes from GITHUB_API_URL on GitHub Enterprise Server",
			env:  map[string]string{"GITHUB_API_URL": "https://ghe.acme.example/api/v3"},
			check: func(t *testing.T, in Inputs) {
				if in.APIURL != "https://ghe.acme.example/api/v3" {
					t.Errorf("APIURL = %q", in.APIURL)
				}
			},
		},
		{
			name: "registry settings are read as given",
			env: map[string]string{input("mirrors"): "ghcr.io=oci-layout:testdata/registry\ndocker.io=mirror.acme.example/hub",
				input("ca-file"): "certs/ca.pem", input("registry-username"): "robot", input("registry-password"): "s3cret-pass",
				input("registry-host"): "registry.acme.example"},
			check: func(t *testing.T, in Inputs) {
				if len(in.Mirrors) != 2 || in.CAFile != "certs/ca.pem" || in.RegistryUsername != "robot" ||
					in.RegistryPassword != "s3cret-pass" || !slices.Equal(in.RegistryHosts, []string{"registry.acme.example"}) {
					t.Errorf("%+v", in)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := baseEnv()
			for k, v := range tt.env {
				env[k] = v
			}
			a, _ := newAction(env)
			in, err := ReadInputs(a)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, in)
		})
	}
}

func TestReadInputsRejects(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"an invalid constraint", map[string]string{input("constraint"): "newest"}, `invalid constraint "newest"`},
		{"an unknown grouping", map[string]string{input("group-by"): "team"}, `invalid group-by "team": use "chart", "application" or "all"`},
		{"an unknown commit method", map[string]string{input("commit-via"): "ssh"}, `invalid commit-via "ssh": use "git" or "api"`},
		{"a chart reference with a tag", map[string]string{input("chart"): "ghcr.io/acme/charts/webapp:1.2.5"}, "chart: chart reference \"ghcr.io/acme/charts/webapp:1.2.5\" names a tag"},
		{"a chart reference without a path", map[string]string{input("chart"): "webapp"}, "chart: chart reference \"webapp\" must be host/path/name"},
		{"an empty token outside a dry run", map[string]string{input("token"): ""}, "token is empty: pass `token: ${{ secrets.GITHUB_TOKEN }}`"},
		{"a boolean spelled yes", map[string]string{input("draft"): "yes"}, `invalid draft "yes": use true or false`},
		{"a boolean spelled tRUE", map[string]string{input("dry-run"): "tRUE"}, `invalid dry-run "tRUE": use true or false`},
		{"an unknown merge method", map[string]string{input("auto-merge"): "fast-forward"}, `invalid auto-merge "fast-forward": use "merge", "squash" or "rebase"`},
		{"a repository without owner", map[string]string{input("repository"): "gitops"}, `invalid repository "gitops": use owner/name`},
		{"a repository URL", map[string]string{input("repository"): "https://github.com/acme/gitops"}, `invalid repository "https://github.com/acme/gitops": use owner/name`},
		{"no repository at all", map[string]string{"GITHUB_REPOSITORY": ""}, "repository is empty: set `repository: owner/name`"},
		{"a malformed glob", map[string]string{input("paths"): "apps/[abc.yaml"}, `paths: glob "apps/[abc.yaml" is malformed`},
		{"a malformed mirror", map[string]string{input("mirrors"): "ghcr.io"}, `invalid mirrors "ghcr.io": use HOST=TARGET`},
		{"a registry username without password", map[string]string{input("registry-username"): "robot"}, "registry-username and registry-password go together"},
		{"an author name without e-mail", map[string]string{input("author-name"): "Release Bot"}, "author-name and author-email go together"},
		{"an author e-mail that is not one", map[string]string{input("author-name"): "Bot", input("author-email"): "bot"}, `invalid author-email "bot"`},
		{"a branch prefix git refuses", map[string]string{input("branch-prefix"): "chart promoter/"}, `invalid branch-prefix "chart promoter/"`},
		{"a working directory outside the repository", map[string]string{input("working-directory"): "../other"}, `invalid working-directory "../other"`},
		{"an absolute working directory", map[string]string{input("working-directory"): "/github/workspace/deploy"}, `invalid working-directory "/github/workspace/deploy"`},
		{"an API URL without scheme", map[string]string{input("github-api-url"): "api.github.com"}, `invalid github-api-url "api.github.com"`},
		{"a wait that is not a duration", map[string]string{input("wait-for-version"): "two minutes"}, `invalid wait-for-version "two minutes"`},
		{"a negative wait", map[string]string{input("wait-for-version"): "-1m"}, `invalid wait-for-version "-1m"`},
		{"a milestone that is not a number", map[string]string{input("milestone"): "Q3"}, `invalid milestone "Q3": use the milestone's number`},
		{"a title template that does not parse", map[string]string{input("title-template"): "{{ .Chart"}, "title-template: template: title-template:1: unclosed action"},
		{"a body template with an unknown field", map[string]string{input("body-template"): "{{ .Version }}"}, "body-template: template: body-template:1:3: executing"},
		{"a client certificate without its key", map[string]string{input("cert-file"): "client.pem"}, "cert-file and key-file go together"},
		{"delete-branch spelled yes", map[string]string{input("delete-branch"): "yes"}, `invalid delete-branch "yes": use true or false`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := baseEnv()
			for k, v := range tt.env {
				env[k] = v
			}
			a, _ := newAction(env)
			_, err := ReadInputs(a)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("one bad input gave more than one line: %q", err)
			}
		})
	}
}

func TestReadInputsReportsEveryBadInputOnItsOwnLine(t *testing.T) {
	env := baseEnv()
	env[input("group-by")] = "team"
	env[input("draft")] = "yes"
	env[input("constraint")] = "newest"
	a, _ := newAction(env)
	_, err := ReadInputs(a)
	if err == nil {
		t.Fatal("no error")
	}
	if lines := strings.Split(err.Error(), "\n"); len(lines) != 3 {
		t.Errorf("want 3 lines, one per input, got %q", lines)
	}
}

func TestReadInputsBase(t *testing.T) {
	dir := t.TempDir()
	event := filepath.Join(dir, "event.json")
	if err := os.WriteFile(event, []byte(`{"repository": {"full_name": "acme/gitops", "default_branch": "trunk"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"the base input wins", map[string]string{input("base"): "release", "GITHUB_EVENT_PATH": event}, "release"},
		{"else the default branch from the event payload", map[string]string{"GITHUB_EVENT_PATH": event, "GITHUB_BASE_REF": "develop"}, "trunk"},
		{"else GITHUB_BASE_REF", map[string]string{"GITHUB_BASE_REF": "develop"}, "develop"},
		{"else main", nil, "main"},
		{"another repository's default branch is not guessed", map[string]string{input("repository"): "acme/fleet", "GITHUB_EVENT_PATH": event}, ""},
		{"the same repository spelled in another case is the workflow's", map[string]string{input("repository"): "Acme/GitOps", "GITHUB_EVENT_PATH": event}, "trunk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := baseEnv()
			for k, v := range tt.env {
				env[k] = v
			}
			a, _ := newAction(env)
			in, err := ReadInputs(a)
			if err != nil {
				t.Fatal(err)
			}
			if in.Base != tt.want {
				t.Errorf("Base = %q, want %q", in.Base, tt.want)
			}
		})
	}
}

func TestReadInputsMasksSecretsBeforeAnythingElse(t *testing.T) {
	env := baseEnv()
	env[input("token")] = "ghp_TopSecretToken0123456789"
	env[input("registry-username")] = "_json_key"
	env[input("registry-password")] = "{\n  \"type\": \"service_account\",\n  \"private_key\": \"-----BEGIN PRIVATE KEY-----MIIEv\"\n}"
	env[input("constraint")] = "not a constraint"
	a, out := newAction(env)
	_, err := ReadInputs(a)
	if err == nil {
		t.Fatal("want the invalid constraint reported")
	}
	// What the lead's code prints next comes after the masks.
	a.Errorf("%v", err)

	lines := commandLines(out)
	masked := map[string]bool{}
	for i, l := range lines {
		v, isMask := strings.CutPrefix(l, "::add-mask::")
		if !isMask {
			if !masked[env[input("token")]] || !masked["\"private_key\": \"-----BEGIN PRIVATE KEY-----MIIEv\""] {
				t.Fatalf("line %d %q comes before every secret is masked; output:\n%s", i, l, out)
			}
			break
		}
		masked[strings.ReplaceAll(v, "%0A", "\n")] = true
	}
	if !masked[env[input("registry-password")]] {
		t.Errorf("the whole registry password is not masked; output:\n%s", out)
	}
	if masked["{"] || masked["}"] {
		t.Errorf("a one-character line was masked, which would blank every brace in the log")
	}
	if strings.Contains(err.Error(), "ghp_TopSecretToken") {
		t.Errorf("the error shows the token: %v", err)
	}
}

func TestReadInputsReadsExactlyTheNamedInputs(t *testing.T) {
	env := baseEnv()
	var read []string
	a := githubactions.New(githubactions.WithWriter(io.Discard), githubactions.WithGetenv(func(k string) string {
		if name, ok := strings.CutPrefix(k, "INPUT_"); ok {
			read = append(read, name)
		}
		return env[k]
	}))
	if _, err := ReadInputs(a); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, n := range InputNames() {
		want = append(want, strings.TrimPrefix(input(n), "INPUT_"))
	}
	slices.Sort(read)
	read = slices.Compact(read)
	slices.Sort(want)
	if !slices.Equal(read, want) {
		t.Errorf("ReadInputs reads %q\nInputNames lists %q", read, want)
	}
}

func TestReadInputsRender(t *testing.T) {
	env := baseEnv()
	env[input("render")] = "false"
	env[input("kube-version")] = "1.31.2"
	env[input("api-versions")] = "monitoring.coreos.com/v1\ncert-manager.io/v1"
	got, err := ReadInputs(mustAction(env))
	if err != nil {
		t.Fatal(err)
	}
	if got.Render || got.KubeVersion != "1.31.2" || !reflect.DeepEqual(got.APIVersions, []string{"monitoring.coreos.com/v1", "cert-manager.io/v1"}) {
		t.Errorf("render inputs read as %v, %q, %q", got.Render, got.KubeVersion, got.APIVersions)
	}
	if got.RenderOptions(nil, nil) != nil {
		t.Error("render: false still renders")
	}
	env[input("render")] = "maybe"
	if _, err := ReadInputs(mustAction(env)); err == nil || !strings.Contains(err.Error(), `invalid render "maybe": use true or false`) {
		t.Errorf("render: maybe: %v", err)
	}
}
