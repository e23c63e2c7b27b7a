package config

import (
	"net/url"
	"strconv"
	"strings"
)

// stage decodes one item of stages:. earlier are the stages before it: from must name
// one of them, so that the stages form a line and never a cycle.
func (d *decoder) stage(i int, m map[string]any, earlier []Stage) Stage {
	loc := []string{"stages", strconv.Itoa(i)}
	s := Stage{Index: i, Pos: d.pos(loc), Name: str(m["name"]), From: Registry, Match: MatchChart}
	names := make([]string, 0, len(earlier))
	for _, e := range earlier {
		if e.Name != "" && !contains(names, e.Name) {
			names = append(names, e.Name)
		}
	}
	if s.Name != "" {
		at := child(loc, "name")
		switch {
		case s.Name == Registry:
			d.fail(at, "%q is what from: %s means: give the stage another name", Registry, Registry)
		case contains(names, s.Name):
			d.fail(at, "stage name %q is taken by an earlier stage: give each stage its own name", s.Name)
		}
	}
	s.Applications = d.patterns(m, loc, "applications", compileApplicationPattern)
	if from, ok := m["from"].(string); ok {
		at := child(loc, "from")
		switch {
		case from == Registry:
		case from == s.Name:
			d.fail(at, "stage %q cannot take its versions from itself: write %s, or the name of an earlier stage", s.Name, Registry)
		case contains(names, from):
			s.From = from
		default:
			msg := "no stage named %q is listed before this one: from is %s or the name of an earlier stage"
			if len(names) > 0 {
				msg += " (" + quoteList(names) + ")"
			}
			d.fail(at, msg+"%s", from, Registry, didYouMean(from, append(names, Registry)))
			s.From = from // keep the settings below checked as a downstream's
		}
	}
	downstreamOnly := func(key string) bool {
		if _, ok := m[key]; !ok {
			return false
		}
		if s.From == Registry {
			d.fail(child(loc, key), "has no effect with from: %s: %s", Registry, map[string]string{
				"soak":   "the registry's versions are held back by a rule's minimumReleaseAge",
				"match":  "only a stage that takes from another stage has upstream sources to match",
				"argocd": "it asks Argo CD about the upstream stage's Applications, and this stage has none",
			}[key])
			return false
		}
		return true
	}
	if downstreamOnly("soak") {
		if text, ok := m["soak"].(string); ok {
			at := child(loc, "soak")
			if soak, err := ParseDuration(text); err != nil {
				d.fail(at, "%v", err)
			} else {
				s.Soak = soak
			}
		}
	}
	if downstreamOnly("match") {
		if text, ok := m["match"].(string); ok {
			s.Match = Match(text)
		}
	}
	if downstreamOnly("argocd") {
		if a, ok := m["argocd"].(map[string]any); ok {
			s.ArgoCD = d.argocd(child(loc, "argocd"), a)
		}
	}
	return s
}

func (d *decoder) argocd(loc []string, m map[string]any) *ArgoCD {
	a := &ArgoCD{Pos: d.pos(loc), Server: str(m["server"]), TokenEnv: str(m["tokenEnv"]), RequireHealthy: true, RequireSynced: true}
	if b, ok := m["requireHealthy"].(bool); ok {
		a.RequireHealthy = b
	}
	if b, ok := m["requireSynced"].(bool); ok {
		a.RequireSynced = b
	}
	if a.Server != "" {
		u, err := url.Parse(a.Server)
		switch {
		case err == nil && u.User != nil:
			// Not quoted: what is before the @ may be a password.
			d.fail(child(loc, "server"), "holds credentials: write only the server, e.g. https://argocd.example.com, and put the token in the variable tokenEnv names")
		case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.ContainsAny(u.Host, " \t"):
			d.fail(child(loc, "server"), "%q is not the URL of an Argo CD API server: write https://argocd.example.com", a.Server)
		}
	}
	return a
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
