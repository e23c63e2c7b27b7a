package promote

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/chart-promoter/chart-promoter/internal/manifest"
	"github.com/chart-promoter/chart-promoter/internal/markdown"
	"github.com/chart-promoter/chart-promoter/internal/promote/gate"
)

// Trailers the tool writes into its commits. A commit without FingerprintTrailer was not
// made by the tool, and the tool never moves a branch past such a commit.
const (
	FingerprintTrailer = "Chart-Promoter-Fingerprint"
	// markerPrefix starts the hidden block in PR bodies that later runs read.
	markerPrefix = "<!-- chart-promoter:metadata "
	markerSuffix = " -->"
	// blockedMarker tags the one comment left on a PR whose branch a human changed.
	blockedMarker = "<!-- chart-promoter:blocked -->"
	// maxBodyBytes keeps PR bodies under GitHub's 65,536-character limit.
	maxBodyBytes = 60000
)

// marker is the machine-readable record a PR body carries, so a later run can recognise
// its own PRs and know what each proposes.
type marker struct {
	Version     int    `json:"v"`
	Group       string `json:"group"`
	Branch      string `json:"branch"`
	Fingerprint string `json:"fingerprint"`
	// Major marks the pull request of updates to a new major version that separateMajor
	// keeps apart from the minor ones.
	Major    bool            `json:"major,omitempty"`
	Changes  []markerChange  `json:"changes"`
	Versions []markerVersion `json:"versions,omitempty"`
}

type markerChange struct {
	File  string `json:"file"`
	Path  string `json:"path"`
	Chart string `json:"chart"`
	From  string `json:"from"`
	To    string `json:"to"`
}

// markerVersion is one chart version the pull request proposes, added to the marker later
// (markers without it stay readable): the digest it was proposed at, for the re-push
// alarm, and what a later run needs to confirm it with a HEAD instead of a manifest GET —
// its config blob and its creation-time annotation.
type markerVersion struct {
	Chart        string `json:"chart"`
	Tag          string `json:"tag"`
	Digest       string `json:"digest"`
	ConfigDigest string `json:"configDigest,omitempty"`
	ConfigSize   int64  `json:"configSize,omitempty"`
	Created      string `json:"created,omitempty"`
}

func newMarker(g *group) marker {
	m := marker{Version: 1, Group: g.key, Branch: g.branch, Fingerprint: g.fingerprint(), Major: g.major}
	for _, c := range g.changes {
		m.Changes = append(m.Changes, markerChange{File: c.File, Path: c.Path, Chart: c.Chart, From: c.From, To: c.To})
	}
	for _, c := range g.versions() {
		if c.Digest == "" {
			continue
		}
		v := markerVersion{Chart: c.Chart, Tag: c.Tag, Digest: c.Digest}
		if r := c.recorded; r != nil && r.config.Digest != "" {
			v.ConfigDigest, v.ConfigSize = r.config.Digest.String(), r.config.Size
			v.Created = r.created
		}
		m.Versions = append(m.Versions, v)
	}
	return m
}

// encode renders the marker as an HTML comment. JSON's HTML escaping turns '<' and '>'
// into \u003c and \u003e, so no value from a manifest can end the comment early.
func (m marker) encode() string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(m)
	return markerPrefix + strings.TrimSpace(buf.String()) + markerSuffix
}

// parseMarker finds the marker in a PR body; ok is false for PRs the tool did not open.
func parseMarker(body string) (marker, bool) {
	i := strings.Index(body, markerPrefix)
	if i < 0 {
		return marker{}, false
	}
	rest := body[i+len(markerPrefix):]
	j := strings.Index(rest, markerSuffix)
	if j < 0 {
		return marker{}, false
	}
	var m marker
	if err := json.Unmarshal([]byte(rest[:j]), &m); err != nil || m.Version != 1 {
		return marker{}, false
	}
	return m, true
}

// title is the pull request title: "Promote webapp to 1.2.5".
func (g *group) title() string {
	charts, versions := g.targets()
	if len(charts) == 1 {
		t := fmt.Sprintf("Promote %s to %s", charts[0], strings.Join(versions[charts[0]], ", "))
		if g.major {
			t += " (major)"
		}
		return t
	}
	parts := make([]string, 0, len(charts))
	for _, c := range charts {
		parts = append(parts, c+" "+strings.Join(versions[c], ", "))
	}
	if len(parts) > 3 {
		return fmt.Sprintf("Promote %d charts (%s, …)", len(charts), strings.Join(parts[:3], "; "))
	}
	return "Promote " + strings.Join(parts, "; ")
}

// commitMessage is a conventional-commit subject and a body listing every Application
// changed, with the trailers that mark the commit as the tool's.
func (g *group) commitMessage(signOff *Identity) string {
	var b strings.Builder
	charts, versions := g.targets()
	froms := map[string]bool{}
	for _, c := range g.changes {
		froms[c.fromVersion()] = true
	}
	switch {
	case len(charts) == 1 && len(versions[charts[0]]) == 1 && len(froms) == 1:
		fmt.Fprintf(&b, "chore(deploy): promote %s %s → %s\n\n", charts[0], g.changes[0].fromVersion(), versions[charts[0]][0])
	case len(charts) == 1:
		fmt.Fprintf(&b, "chore(deploy): promote %s to %s\n\n", charts[0], strings.Join(versions[charts[0]], ", "))
	default:
		fmt.Fprintf(&b, "chore(deploy): promote %d charts\n\n", len(charts))
	}
	for _, c := range g.changes {
		fmt.Fprintf(&b, "- %s (%s:%d): %s %s → %s\n", c.owner(), g.path(c.File), c.Line, chartName(c.Chart), c.fromVersion(), c.toVersion())
	}
	fmt.Fprintf(&b, "\n%s: %s\n", FingerprintTrailer, g.fingerprint())
	if signOff != nil {
		fmt.Fprintf(&b, "Signed-off-by: %s <%s>\n", signOff.Name, signOff.Email)
	}
	return b.String()
}

// commitFingerprint reads the tool's trailer from a commit message ("" when absent).
func commitFingerprint(message string) string {
	for _, line := range strings.Split(message, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), FingerprintTrailer+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// archiveSentence tells a reviewer which vendored archive a change replaces, and why the
// new one is the version the table shows.
func archiveSentence(g *group, c Change, a *ArchiveReplacement) string {
	added := fmt.Sprintf("`%s`", cell(g.path(a.Added)))
	checked := fmt.Sprintf("the chart layer `%s` (%d bytes) of manifest `%s`, downloaded after every gate passed", cell(a.Digest), a.Size, cell(c.Digest))
	if a.Removed == "" {
		return fmt.Sprintf("The vendored archive %s is added: %s. The archive of `%s` stays, as another dependency of the chart uses it.", added, checked, cell(c.fromVersion()))
	}
	return fmt.Sprintf("The vendored archive `%s` is replaced by %s: %s.", cell(g.path(a.Removed)), added, checked)
}

// body is the pull request description for reviewers: what changes where, what the new
// chart versions are, their changelogs, and the hidden marker.
func (g *group) body() string {
	var b strings.Builder
	fmt.Fprintf(&b, "This pull request promotes Helm charts from their OCI registry. Merge it to deploy; Argo CD syncs from Git.\n\n")
	fmt.Fprintln(&b, "| Application | File | Destination | Chart | Change |")
	fmt.Fprintln(&b, "| --- | --- | --- | --- | --- |")
	for _, c := range g.changes {
		app := c.owner()
		if c.ApplicationSet != "" && c.ApplicationSet != c.Application {
			app += " (ApplicationSet " + c.ApplicationSet + ")"
		}
		dest := c.Destination
		if len(c.DeployedBy) > 0 {
			dest = "synced by " + strings.Join(c.DeployedBy, "; ")
		}
		if dest == "" {
			dest = "—"
		}
		file := fmt.Sprintf("`%s:%d`", cell(g.path(c.File)), c.Line)
		if c.LockFile != "" {
			file += fmt.Sprintf(", `%s`", cell(g.path(c.LockFile)))
		}
		change := fmt.Sprintf("`%s` → `%s`", cell(c.fromVersion()), cell(c.toVersion()))
		if c.Pin == "digest" {
			change += fmt.Sprintf(", pinned by digest `%s`", cell(c.To))
		}
		if c.Range != "" {
			change += fmt.Sprintf(" (within `%s`)", cell(c.Range))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n",
			text(app, 200), file, text(dest, 200), text(chartName(c.Chart), 200), change)
	}
	for _, c := range g.changes {
		if a := c.Archives; a != nil {
			fmt.Fprintf(&b, "\n📦 %s\n", archiveSentence(g, c, a))
		}
	}
	for _, v := range g.versions() {
		c := v
		md := c.Metadata
		fmt.Fprintf(&b, "\n### %s %s\n\n", text(chartName(c.Chart), 200), text(c.toVersion(), 200))
		if md.Description != "" {
			fmt.Fprintf(&b, "%s\n\n", text(md.Description, 500))
		}
		fmt.Fprintf(&b, "- Chart: [`%s`](%s), tag `%s`\n", c.Chart, registryLink(c.Chart), cell(c.Tag))
		fmt.Fprintf(&b, "- Digest: `%s`\n", cell(c.Digest))
		if md.AppVersion != "" {
			fmt.Fprintf(&b, "- appVersion: `%s`\n", cell(md.AppVersion))
		}
		fmt.Fprintf(&b, "- Allowed by `%s` (%s)\n", cell(c.Constraint), text(c.ConstraintOrigin, 200))
		verified, held := g.gateFacts(c.Chart, c.To)
		for _, v := range verified {
			fmt.Fprintf(&b, "- 🔏 %s\n", text(v, 500))
		}
		for _, h := range held {
			fmt.Fprintf(&b, "- ⏸️ Held back: %s\n", text(h, 500))
		}
		if md.Deprecated {
			fmt.Fprintf(&b, "- **This chart version is marked deprecated.**\n")
		}
		for _, w := range c.Warnings {
			fmt.Fprintf(&b, "- ⚠️ %s\n", text(w, 300))
		}
		if changes := changelog(md.Annotations["artifacthub.io/changes"]); len(changes) > 0 {
			fmt.Fprintf(&b, "\n<details><summary>Changes in %s</summary>\n\n", cell(c.To))
			for _, line := range changes {
				fmt.Fprintf(&b, "- %s\n", line)
			}
			fmt.Fprintf(&b, "\n</details>\n")
		}
	}
	if len(g.waiting) > 0 {
		fmt.Fprintf(&b, "\n### Later stages\n\n")
		for _, w := range g.waiting {
			fmt.Fprintf(&b, "- ⏳ %s\n", text(w, 500))
		}
	}
	footer := "\n---\nOpened by chart-promoter. It updates this pull request when a newer version is allowed; push a commit of your own to this branch and it will leave the branch alone.\n"
	m := newMarker(g).encode()
	b.WriteString(RenderMarkdown(g.changes, maxBodyBytes-b.Len()-len(footer)-len(m)-64, renderPointer))
	b.WriteString(footer)
	out := b.String()
	if len(out)+len(m)+2 > maxBodyBytes {
		out = out[:max(0, maxBodyBytes-len(m)-64)] + "\n\n… (truncated)\n"
	}
	return out + "\n" + m + "\n"
}

// owner names the change's source in tables: the Application, or what else holds it
// ("kustomization envs/prod", "chart platform").
func (c Change) owner() string {
	if c.Kind == manifest.KindKustomization || c.Kind == manifest.KindChart {
		return c.Owner
	}
	return c.Application
}

// fromVersion and toVersion are the versions a change moves between, also when From and
// To are digests (a digest pin).
func (c Change) fromVersion() string {
	if c.FromVersion != "" {
		return c.FromVersion
	}
	return c.From
}

func (c Change) toVersion() string {
	if c.ToVersion != "" {
		return c.ToVersion
	}
	return c.To
}

// gateFacts collects, over the group's changes to chart at version to, what verification
// established and which newer versions the gates held back, each once: sources under
// different rules may have been checked differently.
func (g *group) gateFacts(chart, to string) (verified, held []string) {
	seen := map[string]bool{}
	for _, c := range g.changes {
		if c.Chart != chart || c.To != to {
			continue
		}
		if c.Verification != nil {
			if v := gate.Describe(*c.Verification); !seen["v"+v] {
				seen["v"+v] = true
				verified = append(verified, v)
			}
		}
		for _, h := range c.Held {
			if s := h.String(); !seen["h"+s] {
				seen["h"+s] = true
				held = append(held, s)
			}
		}
	}
	return verified, held
}

// versions returns one change per distinct chart version in the group, in order.
func (g *group) versions() []Change {
	seen := map[string]bool{}
	var out []Change
	for _, c := range g.changes {
		k := c.Chart + "@" + c.To
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, c)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Chart+out[i].To < out[j].Chart+out[j].To })
	return out
}

// changelog reads Artifact Hub's artifacthub.io/changes annotation: a YAML list of strings
// or of {kind, description, links: [{name, url}]}.
func changelog(annotation string) []string {
	if strings.TrimSpace(annotation) == "" {
		return nil
	}
	var entries []yaml.Node
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(annotation), &root); err != nil || len(root.Content) == 0 || root.Content[0].Kind != yaml.SequenceNode {
		return nil
	}
	for _, n := range root.Content[0].Content {
		entries = append(entries, *n)
	}
	var out []string
	for i, e := range entries {
		if i == 50 {
			out = append(out, fmt.Sprintf("… and %d more", len(entries)-50))
			break
		}
		switch e.Kind {
		case yaml.ScalarNode:
			out = append(out, text(e.Value, 300))
		case yaml.MappingNode:
			var entry struct {
				Kind        string `yaml:"kind"`
				Description string `yaml:"description"`
				Links       []struct {
					Name string `yaml:"name"`
					URL  string `yaml:"url"`
				} `yaml:"links"`
			}
			if e.Decode(&entry) != nil || entry.Description == "" {
				continue
			}
			line := text(entry.Description, 300)
			if entry.Kind != "" {
				line = "**" + text(entry.Kind, 20) + "**: " + line
			}
			for _, l := range entry.Links {
				if strings.HasPrefix(l.URL, "https://") && !strings.ContainsAny(l.URL, " ()<>") {
					line += " (" + markdown.Link(truncate(l.Name, 80), l.URL) + ")"
				}
			}
			out = append(out, line)
		}
	}
	return out
}

// registryLink is where a reviewer can look at the chart repository.
func registryLink(chart string) string {
	host, repoPath, _ := strings.Cut(chart, "/")
	switch host {
	case "registry-1.docker.io", "docker.io", "index.docker.io":
		return "https://hub.docker.com/r/" + repoPath + "/tags"
	}
	return "https://" + chart
}

// cell makes text safe inside a markdown table cell and inline code.
func cell(s string) string {
	s = strings.NewReplacer("|", "\\|", "\n", " ", "\r", " ", "`", "'").Replace(s)
	return truncate(s, 200)
}

// text makes untrusted text (chart metadata comes from the registry) inert in markdown:
// no links, mentions, references, HTML or line breaks.
func text(s string, limit int) string {
	return markdown.Text(truncate(strings.TrimSpace(s), limit))
}

func truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && (s[cut]&0xC0) == 0x80 {
		cut-- // do not split a UTF-8 sequence
	}
	return s[:cut] + "…"
}
