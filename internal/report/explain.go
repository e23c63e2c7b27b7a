package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/chart-promoter/chart-promoter/internal/promote"
)

// ExplainText writes, for a person, why each source's policy is what it is: the config
// rules that apply and those that do not, every policy field with the setting that
// decided it and the settings it won over, and what the plan does with the source.
func ExplainText(w io.Writer, e *promote.Explanation, color bool) {
	p := painter{color}
	fmt.Fprintln(w, p.dim("Precedence of constraint and ignore, most binding first:"))
	for i, level := range e.Precedence {
		fmt.Fprintln(w, p.dim(fmt.Sprintf("  %d. %s", i+1, level)))
	}
	if e.Config == "" {
		fmt.Fprintln(w, p.dim("Config file: none (chart-promoter.yaml in the scanned directory or .github/, or --config)"))
	} else {
		fmt.Fprintln(w, p.dim("Config file: "+e.Config))
	}
	if len(e.Settings) > 0 {
		fmt.Fprintln(w, p.dim("Settings of promote and the Action ("+promote.SettingsPrecedence()+"):"))
		for _, s := range e.Settings {
			fmt.Fprintf(w, "  %-34s %s  %s\n", s.Key, p.bold(s.Value), p.dim("← "+s.From))
		}
	}
	for _, s := range e.Sources {
		fmt.Fprintln(w)
		who := s.Kind + " " + s.Application
		if s.ApplicationSet != "" && s.ApplicationSet != s.Application {
			who = fmt.Sprintf("Application %s (ApplicationSet %s)", s.Application, s.ApplicationSet)
		}
		fmt.Fprintf(w, "%s  %s\n", p.bold(fmt.Sprintf("%s:%d", s.File, s.Line)), who)
		fmt.Fprintf(w, "  chart   %s (%s), targetRevision %s at %s\n", s.Chart, s.Form, s.Revision, s.Path)
		if len(s.Rules) > 0 {
			fmt.Fprintln(w, "  rules")
			for _, r := range s.Rules {
				verdict := p.green("applies")
				if !r.Applies {
					verdict = p.dim("does not apply")
				}
				fmt.Fprintf(w, "      rules[%d] (line %d) %s: %s\n", r.Rule, r.Line, verdict, r.Why)
			}
		}
		fmt.Fprintln(w, "  policy")
		for _, f := range s.Policy {
			fmt.Fprintf(w, "      %-26s %s  %s\n", f.Field, p.bold(f.Value), p.dim("← "+f.From))
			for _, o := range f.Over {
				fmt.Fprintf(w, "      %-26s %s\n", "", p.dim(fmt.Sprintf("over %s from %s", o.Value, o.From)))
			}
		}
		if o := s.Outcome; o != nil {
			fmt.Fprintf(w, "  result  %s\n", outcomeText(p, o))
		} else {
			fmt.Fprintf(w, "  result  %s\n", p.dim("not planned (--offline): the registry was not asked"))
		}
	}
}

func outcomeText(p painter, o *promote.Outcome) string {
	switch o.Result {
	case "change":
		return fmt.Sprintf("%s → %s %s", p.red(o.From), p.green(o.To), p.dim(shortDigest(o.Digest)))
	case "error":
		return p.red("error: ") + o.Reason
	case "up to date":
		return o.Reason // which says so itself
	}
	return o.Result + ": " + o.Reason
}

// ExplainJSON writes the explanation as one JSON object.
func ExplainJSON(w io.Writer, e *promote.Explanation) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(e)
}
