package manifest

import (
	"fmt"
	"regexp"
	"strings"
)

// repositoryPathRE is the OCI distribution spec's grammar for a repository name.
var repositoryPathRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$`)

// hostRE accepts a DNS name or IPv4 address with an optional port, or a bracketed IPv6 address.
var hostRE = regexp.MustCompile(`^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$`)

// NormalizeChart turns a chart reference ("oci://GHCR.io/acme/charts/webapp",
// "ghcr.io/acme/charts/webapp/") into the form used everywhere in output and matching:
// lower-case host[:port]/path/name, no scheme, no trailing slash, no tag.
func NormalizeChart(ref string) (string, error) {
	r := strings.TrimSpace(ref)
	if hasScheme(r, "oci") {
		r = r[len("oci://"):]
	}
	r = strings.TrimRight(r, "/")
	host, repoPath, ok := strings.Cut(r, "/")
	if !ok || host == "" || repoPath == "" {
		return "", fmt.Errorf("chart reference %q must be host/path/name, e.g. oci://ghcr.io/acme/charts/webapp", ref)
	}
	host = strings.ToLower(host)
	if !hostRE.MatchString(host) {
		return "", fmt.Errorf("chart reference %q: %q is not a registry host name", ref, host)
	}
	if i := strings.LastIndexAny(repoPath, ":@"); i >= 0 && !strings.Contains(repoPath[i:], "/") {
		return "", fmt.Errorf("chart reference %q names a tag or digest: give the repository only (the version comes from targetRevision or --constraint)", ref)
	}
	if !repositoryPathRE.MatchString(repoPath) {
		return "", fmt.Errorf("chart reference %q: %q is not a valid OCI repository path (lower-case letters, digits and . _ - separators)", ref, repoPath)
	}
	return host + "/" + repoPath, nil
}
