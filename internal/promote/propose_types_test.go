package promote_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/chart-promoter/chart-promoter/internal/github"
	"github.com/chart-promoter/chart-promoter/internal/promote"
)

func TestAPlanErrorIsAnErrorThatNamesItsFileAndLine(t *testing.T) {
	var err error = promote.Error{File: "apps/web.yaml", Line: 7, Message: "bad constraint"}
	if got, want := err.Error(), "apps/web.yaml:7: bad constraint"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	wrapped := fmt.Errorf("group web: %w", err)
	var back promote.Error
	if !errors.As(wrapped, &back) || back.Line != 7 {
		t.Errorf("errors.As on a wrapped plan error = %+v, want the error itself", back)
	}
}

func TestAProposalKeepsItsErrorTypedAndWritesItsMessageAsJSON(t *testing.T) {
	cause := fmt.Errorf("push chart-promoter/web: %w", github.ErrLeaseRejected)
	p := promote.Proposal{Group: "web 1.2.5", Branch: "chart-promoter/web", Action: promote.Failed, Err: cause}
	if !errors.Is(p.Err, github.ErrLeaseRejected) {
		t.Fatalf("the proposal's error lost its cause: %v", p.Err)
	}
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(data, &fields); err != nil {
		t.Fatal(err)
	}
	if fields["error"] != cause.Error() {
		t.Errorf(`JSON "error" = %v, want %q; JSON: %s`, fields["error"], cause.Error(), data)
	}
	if _, ok := fields["Err"]; ok || strings.Contains(string(data), `"Err"`) {
		t.Errorf("JSON carries the Go field name: %s", data)
	}
	var back promote.Proposal
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back.Err == nil || back.Err.Error() != cause.Error() || back.Branch != p.Branch || back.Action != p.Action {
		t.Errorf("round trip = %+v, want %+v", back, p)
	}

	ok, err := json.Marshal(promote.Proposal{Group: "web", Action: promote.Opened})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(ok), `"error"`) {
		t.Errorf("a proposal without an error writes one: %s", ok)
	}
}
