package render

import (
	"context"
	"net/url"
	"strings"
)

// Releases looks GitHub releases up; *github.Client provides it.
type Releases interface {
	// ReleaseURL returns the web page of the release of owner/repo tagged tag; found is
	// false when there is none.
	ReleaseURL(ctx context.Context, owner, repo, tag string) (url string, found bool, err error)
}

// SourceAnnotation is the OCI manifest annotation helm push fills from Chart.yaml's
// first source.
const SourceAnnotation = "org.opencontainers.image.source"

// ReleaseNotes finds the GitHub release of a chart version: the first of the chart's
// source URLs (the manifest's org.opencontainers.image.source, then Chart.yaml's sources
// and home) on one of hosts (github.com, or a GitHub Enterprise Server's host) whose
// repository has a release tagged v1.3.0, 1.3.0 or webapp-1.3.0. It returns "" when
// there is none; a failed lookup is no failure, only no link.
func ReleaseNotes(ctx context.Context, rel Releases, hosts []string, candidates []string, chart, version string) string {
	if rel == nil {
		return ""
	}
	seen := map[string]bool{}
	for _, c := range candidates {
		owner, repo, ok := githubRepository(c, hosts)
		if !ok || seen[owner+"/"+repo] {
			continue
		}
		seen[owner+"/"+repo] = true
		for _, tag := range []string{"v" + version, version, chart + "-" + version} {
			u, found, err := rel.ReleaseURL(ctx, owner, repo, tag)
			if err != nil {
				break // rate limited or forbidden: try the next repository, never fail
			}
			if found && strings.HasPrefix(u, "https://") {
				return u
			}
		}
	}
	return ""
}

// githubRepository reads owner and repository from https://HOST/OWNER/REPO[.git][/…] when
// HOST is one of hosts.
func githubRepository(raw string, hosts []string) (owner, repo string, ok bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return "", "", false
	}
	host := strings.ToLower(u.Hostname())
	if host == "www.github.com" {
		host = "github.com"
	}
	known := false
	for _, h := range hosts {
		known = known || strings.EqualFold(h, host)
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if !known || len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return "", "", false
	}
	return parts[0], strings.TrimSuffix(parts[1], ".git"), true
}
