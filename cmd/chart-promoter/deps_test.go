package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestTheBinaryDoesNotExecuteTextTemplates guards the Action's image size: executing a
// text/template (or html/template) looks methods up by name at run time, which makes the
// linker keep every exported method of every reachable type — some 12 MB more on this
// binary, pulled on every Action run. cobra and go-githubactions import text/template but
// only execute it when asked to; the tool's own templates go through internal/tmpl.
func TestTheBinaryDoesNotExecuteTextTemplates(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "chart-promoter")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command("go", "tool", "nm", bin).Output()
	if err != nil {
		t.Fatalf("go tool nm: %v", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "text/template.(*state).evalField") {
			t.Fatalf("the binary executes text/template (%s); use internal/tmpl, see its package doc", strings.TrimSpace(line))
		}
	}
}
