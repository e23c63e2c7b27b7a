package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/chart-promoter/chart-promoter/internal/promote"
)

// Proposals writes what a promotion did to each group's branch and pull request.
func Proposals(w io.Writer, res *promote.Result, color bool) {
	p := painter{color}
	if len(res.Proposals) == 0 {
		fmt.Fprintln(w, "No pull request needed.")
		return
	}
	fmt.Fprintln(w, p.bold(fmt.Sprintf("Pull requests (%d):", len(res.Proposals))))
	for _, prop := range res.Proposals {
		what := string(prop.Action)
		switch {
		case prop.Failure():
			what = p.red(what)
		case prop.Action == promote.Blocked, prop.Action == promote.Held:
			what = p.yellow(what)
		case prop.Action == promote.Opened, prop.Action == promote.Updated:
			what = p.green(what)
		}
		pr := ""
		if prop.Number > 0 {
			pr = fmt.Sprintf(" #%d %s", prop.Number, prop.URL)
		}
		fmt.Fprintf(w, "  %-9s %s%s\n      %s, %d change(s)\n", what, prop.Title, pr, prop.Branch, len(prop.Changes))
		if len(prop.Superseded) > 0 {
			fmt.Fprintf(w, "      closed as superseded: %v\n", prop.Superseded)
		}
		for _, warning := range prop.Warnings {
			fmt.Fprintf(w, "      %s %s\n", p.yellow("warning:"), warning)
		}
		if prop.Err != nil {
			fmt.Fprintf(w, "      %s\n", p.dim(prop.Err.Error()))
		}
	}
}

// promotion is the document of a promotion: the plan's fields and the pull requests.
type promotion struct {
	*promote.Plan
	PullRequests []promote.Proposal `json:"pullRequests"`
	// Closed are the pull requests the run closed because the base branch overtook them.
	Closed []int `json:"closed,omitempty"`
}

// PromotionJSON writes the plan's JSON with the pull requests added:
// {"changes":[…],"skipped":[…],"errors":[…],"warnings":[…],"pullRequests":[…]}.
func PromotionJSON(w io.Writer, res *promote.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(promotion{res.Plan, res.Proposals, res.Closed})
}

// PromotionYAML writes the document of PromotionJSON as YAML.
func PromotionYAML(w io.Writer, res *promote.Result) error {
	return YAML(w, promotion{res.Plan, res.Proposals, res.Closed})
}
