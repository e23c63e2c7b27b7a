package config

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/chart-promoter/chart-promoter/internal/tmpl"
)

// pullRequest decodes the top-level pullRequest: block; nil when the file has none.
func (d *decoder) pullRequest(root map[string]any) *PullRequest {
	m, ok := root["pullRequest"].(map[string]any)
	if !ok {
		return nil
	}
	loc := []string{"pullRequest"}
	p := &PullRequest{Pos: d.pos(loc)}
	for _, key := range PullRequestTemplates {
		text, ok := m[key].(string)
		if !ok {
			continue
		}
		s := d.template(child(loc, key), text)
		switch key {
		case "titleTemplate":
			p.TitleTemplate = s
		case "bodyTemplate":
			p.BodyTemplate = s
		case "commitMessageTemplate":
			p.CommitMessageTemplate = s
		}
	}
	if n, ok := m["milestone"].(int64); ok && n > 0 {
		at := child(loc, "milestone")
		if n > 1<<31-1 {
			d.fail(at, "%d is not a milestone number: write the number in the milestone's URL (…/milestone/3)", n)
		} else {
			p.Milestone = &Setting[int]{Value: int(n), Pos: d.keyPos(at)}
		}
	}
	if b, ok := m["deleteBranch"].(bool); ok {
		p.DeleteBranch = &Setting[bool]{Value: b, Pos: d.keyPos(child(loc, "deleteBranch"))}
	}
	if b, ok := m["draft"].(bool); ok {
		p.Draft = &Setting[bool]{Value: b, Pos: d.keyPos(child(loc, "draft"))}
	}
	names := func(key string, clean func(string) string) *Setting[[]string] {
		list, ok := m[key].([]any)
		if !ok {
			return nil
		}
		out := strings_(list)
		for i, s := range out {
			out[i] = clean(strings.TrimSpace(s))
		}
		return &Setting[[]string]{Value: out, Pos: d.keyPos(child(loc, key))}
	}
	p.Labels = names("labels", func(s string) string { return s })
	p.Reviewers = names("reviewers", login)
	p.Assignees = names("assignees", login)
	p.TeamReviewers = names("teamReviewers", teamSlug)
	return p
}

// template parses a template of pullRequest:, so that a syntax error is a problem of
// the file, on its line, before anything is read. The fields it uses are checked by
// package promote, which holds the data templates see.
func (d *decoder) template(loc []string, text string) *Setting[string] {
	if strings.TrimSpace(text) == "" {
		d.fail(loc, "an empty template writes the default text: leave the key out instead")
		return nil
	}
	name := yamlPath(loc)
	if _, err := tmpl.Parse(name, text); err != nil {
		line, msg := templateErrorLine(name, err)
		n := d.t.values[locKey(loc)]
		switch {
		case n != nil && line > 0 && (n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0):
			// A block scalar's text starts on the line after its | or >: the problem's
			// own line is then known.
			d.errs = append(d.errs, &Error{File: d.file, Pos: Pos{Line: n.Line + line}, Path: name, Message: "not a valid template: " + msg})
		case line > 1:
			d.fail(loc, "not a valid template: line %d of the template: %s", line, msg)
		default:
			d.fail(loc, "not a valid template: %s", msg)
		}
		return nil
	}
	return &Setting[string]{Value: text, Pos: d.keyPos(loc)}
}

// templateErrorLine splits a parse error of template name, "template: NAME:LINE: what",
// into the template's line and what is wrong; line is 0 when the error says none.
func templateErrorLine(name string, err error) (int, string) {
	msg := err.Error()
	rest, ok := strings.CutPrefix(msg, "template: "+name+":")
	if !ok {
		return 0, msg
	}
	number, what, ok := strings.Cut(rest, ": ")
	line, convErr := strconv.Atoi(number)
	if !ok || convErr != nil {
		return 0, msg
	}
	return line, what
}

// login turns "@octocat", as people write a mention, into the login the API takes.
func login(s string) string { return strings.TrimPrefix(s, "@") }

// teamSlug turns "@acme/platform" and "acme/platform", as CODEOWNERS writes teams, into
// the slug the reviewers API takes.
func teamSlug(s string) string {
	s = strings.TrimPrefix(s, "@")
	if _, slug, ok := strings.Cut(s, "/"); ok {
		return slug
	}
	return s
}
