package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestTheToolsOwnCodeDoesNotExecuteTextTemplates guards the Action's image size:
// executing a text/template (or html/template) looks methods up by name at run time,
// which makes the linker keep every exported method of every reachable type — some
// 12 MB more on this binary, pulled on every Action run. The tool's own templates go
// through internal/tmpl, which parses with text/template/parse and evaluates the tree
// itself. (Dependencies are another matter: `go tool nm` on the binary shows whether one
// executes text/template, as text/template.(*state).evalField.)
func TestTheToolsOwnCodeDoesNotExecuteTextTemplates(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "github.com/chart-promoter/chart-promoter/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		for _, imp := range fields[1:] {
			if imp == "text/template" || imp == "html/template" {
				t.Errorf("%s imports %s; use internal/tmpl (see its package doc)", fields[0], imp)
			}
		}
	}
}
