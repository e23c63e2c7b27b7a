package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"

	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/strvals"
	sigsyaml "sigs.k8s.io/yaml"
)

// Repository is the Git repository the tool runs in, where $ref value files are read.
type Repository interface {
	// Holds reports whether repoURL names this repository.
	Holds(repoURL string) bool
	// ReadFile reads a file (a path relative to the repository root) at a revision: a
	// branch, a tag, a commit or HEAD. The error wraps fs.ErrNotExist when the revision
	// has no such file.
	ReadFile(revision, path string) ([]byte, error)
}

// MaxValuesBytes bounds one values file or file parameter read from the repository.
const MaxValuesBytes = 4 << 20

// userValues are an Application's values for one chart version, merged as
// `helm template` merges its flags: every --values file in order (the value files, then
// values or valuesObject), then --set, --set-string and --set-file.
type userValues struct {
	vals  map[string]any
	notes []string
}

// errArgoFails is a setting Argo CD itself cannot render: the render stops with it.
type errArgoFails struct{ msg string }

func (e *errArgoFails) Error() string { return e.msg }

// valuesFor merges app's values for the chart whose files are chartFiles (name → data,
// relative to the chart's root), reading $ref files from repo.
func valuesFor(app *Application, env map[string]string, chartFiles map[string][]byte, repo Repository) (*userValues, error) {
	out := &userValues{vals: map[string]any{}}
	h := app.Helm
	for _, raw := range h.ValueFiles {
		data, found, note, err := app.readValuesFile(raw, env, chartFiles, repo)
		if err != nil {
			return nil, err
		}
		if note != "" {
			out.notes = append(out.notes, note)
		}
		if !found {
			continue
		}
		m, err := loader.LoadValues(bytes.NewReader(data))
		if err != nil {
			return nil, &errArgoFails{fmt.Sprintf("valueFiles %s: %v", raw, err)}
		}
		out.vals = loader.MergeMaps(out.vals, m)
	}

	extra, err := h.valuesYAML()
	if err != nil {
		return nil, &errArgoFails{err.Error()}
	}
	if len(extra) > 0 {
		m, err := loader.LoadValues(bytes.NewReader(extra))
		if err != nil {
			return nil, &errArgoFails{fmt.Sprintf("helm.values: %v", err)}
		}
		out.vals = loader.MergeMaps(out.vals, m)
	}

	// Argo CD keeps parameters in maps by name (a later entry of the same name wins) and
	// hands them to Helm in map order; sorting makes that order stable here.
	set, setString := map[string]string{}, map[string]string{}
	for _, p := range h.Parameters {
		if p.ForceString {
			setString[p.Name] = p.Value
		} else {
			set[p.Name] = p.Value
		}
	}
	for _, name := range sortedKeys(set) {
		if err := strvals.ParseInto(name+"="+escapeCommas(envsubst(set[name], env)), out.vals); err != nil {
			return nil, &errArgoFails{fmt.Sprintf("helm.parameters %s: %v", name, err)}
		}
	}
	for _, name := range sortedKeys(setString) {
		if err := strvals.ParseIntoString(name+"="+escapeCommas(envsubst(setString[name], env)), out.vals); err != nil {
			return nil, &errArgoFails{fmt.Sprintf("helm.parameters %s (forceString): %v", name, err)}
		}
	}
	files := map[string]FileParameter{}
	for _, p := range h.FileParameters {
		files[p.Name] = p
	}
	for _, name := range sortedKeys(files) {
		p := files[name]
		data, found, note, err := app.readValuesFile(p.Path, env, chartFiles, repo)
		if err != nil {
			return nil, err
		}
		if note != "" {
			out.notes = append(out.notes, strings.Replace(note, "valueFiles", "fileParameters", 1))
		}
		if !found {
			continue
		}
		read := func([]rune) (any, error) { return string(data), nil }
		if err := strvals.ParseIntoFile(name+"=file", out.vals, read); err != nil {
			return nil, &errArgoFails{fmt.Sprintf("helm.fileParameters %s: %v", name, err)}
		}
	}
	return out, nil
}

// readValuesFile finds one value file the way Argo CD's repo server does. A "$name/…" path
// whose ref source is this repository is read with git at the ref's targetRevision; any
// other path is relative to the chart's root. What the tool cannot read the way Argo CD
// would (another repository, a URL, a glob) is left out with a note, never guessed.
func (app *Application) readValuesFile(raw string, env map[string]string, chartFiles map[string][]byte, repo Repository) (data []byte, found bool, note string, err error) {
	first, rest, _ := strings.Cut(raw, "/")
	if ref, ok := app.Refs[first]; ok && strings.HasPrefix(raw, "$") {
		p, err := inside(envsubst(rest, env))
		if err != nil {
			return nil, false, "", &errArgoFails{fmt.Sprintf("valueFiles %s: %v", raw, err)}
		}
		switch {
		case repo == nil || !repo.Holds(ref.RepoURL):
			return nil, false, fmt.Sprintf("valueFiles %s: left out, it is in another repository (%s) chart-promoter does not read", raw, ref.RepoURL), nil
		case isGlob(p):
			return nil, false, fmt.Sprintf("valueFiles %s: left out, glob patterns are not rendered", raw), nil
		}
		rev := ref.TargetRevision
		if rev == "" {
			rev = "HEAD"
		}
		data, err := repo.ReadFile(rev, p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if app.Helm.IgnoreMissingValueFiles {
				return nil, false, "", nil
			}
			return nil, false, "", &errArgoFails{fmt.Sprintf("valueFiles %s: %s does not exist at %s: Argo CD fails to render this Application", raw, p, rev)}
		case err != nil:
			return nil, false, fmt.Sprintf("valueFiles %s: left out, it could not be read at %s: %v", raw, rev, err), nil
		case len(data) > MaxValuesBytes:
			return nil, false, fmt.Sprintf("valueFiles %s: left out, it is larger than %d MiB", raw, MaxValuesBytes>>20), nil
		}
		return data, true, "", nil
	}
	p := envsubst(raw, env)
	if strings.Contains(p, "://") {
		return nil, false, fmt.Sprintf("valueFiles %s: left out, value files from URLs are not fetched", raw), nil
	}
	p, err = inside(p)
	if err != nil {
		return nil, false, "", &errArgoFails{fmt.Sprintf("valueFiles %s: %v", raw, err)}
	}
	if isGlob(p) {
		return nil, false, fmt.Sprintf("valueFiles %s: left out, glob patterns are not rendered", raw), nil
	}
	data, ok := chartFiles[p]
	if !ok {
		if app.Helm.IgnoreMissingValueFiles {
			return nil, false, "", nil
		}
		hint := ""
		if strings.HasPrefix(raw, "$") {
			hint = " (no source of this Application has ref: " + strings.TrimPrefix(first, "$") + ")"
		}
		return nil, false, "", &errArgoFails{fmt.Sprintf("valueFiles %s: the chart has no such file%s: Argo CD fails to render this Application", raw, hint)}
	}
	return data, true, "", nil
}

// inside cleans a repository- or chart-relative path ("/x" counts from the root) and
// refuses one that leaves the root, as Argo CD does.
func inside(p string) (string, error) {
	c := path.Clean(strings.TrimPrefix(p, "/"))
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("%s leaves the repository", p)
	}
	return c, nil
}

func isGlob(p string) bool { return strings.ContainsAny(p, "*?[") }

// valuesYAML is the YAML Argo CD writes to the extra values file: valuesObject when set
// (it wins over values), else values.
func (h Helm) valuesYAML() ([]byte, error) {
	if h.ValuesObject.Kind == 0 || h.ValuesObject.Tag == "!!null" {
		return []byte(h.Values), nil
	}
	var v any
	if err := h.ValuesObject.Decode(&v); err != nil {
		return nil, fmt.Errorf("helm.valuesObject: %v", err)
	}
	// The API server stores valuesObject as JSON; Argo CD turns that JSON into YAML.
	j, err := json.Marshal(jsonable(v))
	if err != nil {
		return nil, fmt.Errorf("helm.valuesObject: %v", err)
	}
	return sigsyaml.JSONToYAML(j)
}

// jsonable turns the map[string]any and []any trees yaml.v3 decodes into ones
// encoding/json accepts (yaml.v3 keys that are not strings become strings, as the
// API server would refuse them).
func jsonable(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = jsonable(e)
		}
		return t
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[fmt.Sprint(k)] = jsonable(e)
		}
		return m
	case []any:
		for i, e := range t {
			t[i] = jsonable(e)
		}
	}
	return v
}

// escapeCommas escapes commas not already escaped, unless the value is a Helm list
// ("{a,b}"), as Argo CD does before it passes a parameter to --set.
func escapeCommas(v string) string {
	if strings.HasPrefix(v, "{") && strings.HasSuffix(v, "}") {
		return v
	}
	var b strings.Builder
	var prev rune
	for _, r := range v {
		if r == ',' && prev != '\\' {
			b.WriteString(`\,`)
		} else {
			b.WriteRune(r)
		}
		prev = r
	}
	return b.String()
}

// envsubst expands $VAR and ${VAR} from Argo CD's build environment; "$$" is a "$" and
// unknown variables are empty, as in Argo CD.
func envsubst(s string, env map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	return os.Expand(s, func(k string) string {
		if k == "$" {
			return "$"
		}
		return env[k]
	})
}

// buildEnv is the environment Argo CD substitutes into value file paths and parameters.
func buildEnv(app *Application, version string) map[string]string {
	short := func(n int) string {
		if len(version) > n {
			return version[:n]
		}
		return version
	}
	return map[string]string{
		"ARGOCD_APP_NAME":                   app.Name,
		"ARGOCD_APP_NAMESPACE":              app.Namespace,
		"ARGOCD_APP_PROJECT_NAME":           app.Project,
		"ARGOCD_APP_REVISION":               version,
		"ARGOCD_APP_REVISION_SHORT":         short(7),
		"ARGOCD_APP_REVISION_SHORT_8":       short(8),
		"ARGOCD_APP_SOURCE_REPO_URL":        app.RepoURL,
		"ARGOCD_APP_SOURCE_PATH":            app.Path,
		"ARGOCD_APP_SOURCE_TARGET_REVISION": version,
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// SameRepository reports whether two Git repository URLs name the same repository, the
// way Argo CD normalises them: scheme, user, a ".git" suffix, a trailing slash and the
// case of the host do not count ("git@github.com:acme/gitops.git" is
// "https://github.com/acme/gitops").
func SameRepository(a, b string) bool {
	na, nb := normalizeRepoURL(a), normalizeRepoURL(b)
	return na != "" && na == nb
}

func normalizeRepoURL(u string) string {
	u = strings.TrimSpace(u)
	if u == "" {
		return ""
	}
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	} else if at := strings.Index(u, "@"); at >= 0 && strings.Contains(u[at:], ":") {
		// scp-like: git@github.com:acme/gitops.git
		u = strings.Replace(u[at+1:], ":", "/", 1)
	}
	if at := strings.Index(u, "@"); at >= 0 && at < strings.Index(u+"/", "/") {
		u = u[at+1:] // user info
	}
	u = strings.TrimSuffix(strings.TrimSuffix(u, "/"), ".git")
	host, rest, _ := strings.Cut(u, "/")
	host = strings.ToLower(strings.TrimSuffix(strings.TrimSuffix(host, ":443"), ":22"))
	return host + "/" + rest
}
