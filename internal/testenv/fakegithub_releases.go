package testenv

import (
	"net/http"
	"strings"
)

const ghDocsReleases = "https://docs.github.com/rest/releases/releases#get-a-release-by-tag-name"

// AddRelease publishes a release of owner/name tagged tag, which must be added first.
func (f *FakeGitHub) AddRelease(owner, name, tag string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.mustRepo(owner, name)
	if r.releases == nil {
		r.releases = map[string]bool{}
	}
	r.releases[tag] = true
}

// getReleaseByTag answers GET /repos/{owner}/{repo}/releases/tags/{tag} as GitHub
// documents it: the release, or a 404 when no release has that tag.
func (f *FakeGitHub) getReleaseByTag(w http.ResponseWriter, r *http.Request, repo *fakeRepo) {
	tag := r.PathValue("tag")
	if !repo.releases[tag] {
		ghWriteError(w, http.StatusNotFound, "Not Found", ghDocsReleases)
		return
	}
	web := "https://github.com"
	if prefix, _ := r.Context().Value(ghPrefixKey{}).(string); strings.HasPrefix(prefix, "/api") {
		web = "https://" + r.Host // GitHub Enterprise Server serves pages from the API's host
	}
	f.nextID++
	ghWriteJSON(w, http.StatusOK, map[string]any{
		"id": f.nextID, "tag_name": tag, "name": tag, "draft": false, "prerelease": false,
		"url":      f.apiURL(r, "/repos/%s/%s/releases/%d", repo.owner, repo.name, f.nextID),
		"html_url": web + "/" + repo.owner + "/" + repo.name + "/releases/tag/" + tag,
	})
}
