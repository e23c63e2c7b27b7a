package action

import (
	"cmp"
	"encoding/json"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/chart-promoter/chart-promoter/internal/manifest"
	"github.com/chart-promoter/chart-promoter/internal/promote"
)

// parseBool accepts what @actions/core's getBooleanInput accepts: the YAML 1.2 core
// schema's spellings of true and false, nothing else.
func parseBool(name, v string) (bool, error) {
	switch v {
	case "", "false", "False", "FALSE":
		return false, nil
	case "true", "True", "TRUE":
		return true, nil
	}
	return false, &promote.InputError{Input: name, Value: v, Want: "true or false"}
}

// list splits a multi-line or comma-separated input into its trimmed, non-empty items.
func list(v string) []string {
	var out []string
	for _, line := range strings.Split(v, "\n") {
		for _, item := range strings.Split(line, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}

// globs reads a list of patterns for setting name ("include", "exclude").
func globs(name, v string) ([]string, error) {
	patterns := list(v)
	for _, p := range patterns {
		if _, err := manifest.CompileGlob(p); err != nil {
			return nil, &promote.InputError{Input: name, Err: err}
		}
	}
	return patterns, nil
}

// users drops the "@" people write before a login.
func users(logins []string) []string {
	for i, l := range logins {
		logins[i] = strings.TrimPrefix(l, "@")
	}
	return logins
}

// teams turns "@org/team" and "org/team", as teams are written in CODEOWNERS, into the
// slug the reviewers API takes.
func teams(names []string) []string {
	for i, n := range names {
		n = strings.TrimPrefix(n, "@")
		if _, slug, ok := strings.Cut(n, "/"); ok {
			n = slug
		}
		names[i] = n
	}
	return names
}

// base picks the branch pull requests target. The event payload's default branch and
// GITHUB_BASE_REF describe the workflow's own repository, so they are used only when the
// run promotes into that repository.
func base(a *githubactions.Action, repo string) string {
	if b := a.GetInput(inBase); b != "" {
		return b
	}
	own := a.Getenv("GITHUB_REPOSITORY")
	if own != "" && !strings.EqualFold(own, repo) {
		return ""
	}
	return cmp.Or(eventDefaultBranch(a.Getenv("GITHUB_EVENT_PATH")), a.Getenv("GITHUB_BASE_REF"), defaultBase)
}

// eventDefaultBranch reads repository.default_branch from the event payload, or "" when
// there is none; ReadTrigger reports unreadable payloads.
func eventDefaultBranch(eventPath string) string {
	if eventPath == "" {
		return ""
	}
	data, err := os.ReadFile(eventPath)
	if err != nil {
		return ""
	}
	var payload struct {
		Repository struct {
			DefaultBranch string `json:"default_branch"`
		} `json:"repository"`
	}
	if json.Unmarshal(data, &payload) != nil {
		return ""
	}
	return payload.Repository.DefaultBranch
}

// workingDirectory cleans the input into a slash path relative to the repository root, so
// that annotations can name files from the root.
func workingDirectory(v string) (string, error) {
	if v == "" {
		return ".", nil
	}
	d := path.Clean(strings.ReplaceAll(v, `\`, "/"))
	if path.IsAbs(d) || d == ".." || strings.HasPrefix(d, "../") {
		return "", &promote.InputError{Input: inWorkingDirectory, Value: v, Want: "a path inside the repository, relative to its root, e.g. deploy"}
	}
	return d, nil
}

func checkAPIURL(v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return &promote.InputError{Input: inAPIURL, Value: v, Want: "the REST API's URL, e.g. https://api.github.com or https://ghe.example.com/api/v3"}
	}
	return nil
}

// waitDuration reads a Go duration ("90s", "2m"); a bare number is seconds, as people
// write timeouts in YAML.
func waitDuration(v string) (time.Duration, error) {
	if v == "" {
		return DefaultWaitForVersion, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		secs, nerr := strconv.Atoi(v)
		if nerr != nil {
			return 0, &promote.InputError{Input: inWaitForVersion, Value: v, Want: `a duration such as "90s" or "2m", or "0" not to wait`}
		}
		d = time.Duration(secs) * time.Second
	}
	if d < 0 {
		return 0, &promote.InputError{Input: inWaitForVersion, Value: v, Want: `a duration that is not negative, e.g. "2m", or "0" not to wait`}
	}
	return d, nil
}
