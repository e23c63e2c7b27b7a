package setting

import (
	"errors"
	"fmt"
	"testing"
)

func TestDescribeSpellsEachSettingForItsUser(t *testing.T) {
	input := func(name, value string) string {
		if value == "" {
			return name
		}
		return "`" + name + ": " + value + "`"
	}
	tests := []struct {
		name      string
		err       error
		flag, act string
	}{
		{name: "a value to replace", err: &InputError{Input: "group-by", Value: "team", Want: `"chart" or "all"`},
			flag: `invalid --group-by "team": use "chart" or "all"`, act: `invalid group-by "team": use "chart" or "all"`},
		{name: "a cause", err: &InputError{Input: "exclude", Err: errors.New(`glob "[" is malformed`)},
			flag: `--exclude: glob "[" is malformed`, act: `exclude: glob "[" is malformed`},
		{name: "two settings that go together", err: &InputError{Input: "author-name", Pair: "author-email", Want: "set both"},
			flag: "--author-name and --author-email go together: set both", act: "author-name and author-email go together: set both"},
		{name: "joined errors, one per line", err: errors.Join(&InputError{Input: "draft", Value: "yes", Want: "true or false"}, errors.New("token is empty")),
			flag: "invalid --draft \"yes\": use true or false\ntoken is empty", act: "invalid draft \"yes\": use true or false\ntoken is empty"},
		{name: "a wrapped input error reads as the library wrote it", err: fmt.Errorf("plan: %w", &InputError{Input: "chart", Err: errors.New("bad")}),
			flag: "plan: --chart: bad", act: "plan: --chart: bad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Describe(tt.err, Flag); got != tt.flag {
				t.Errorf("with Flag: %q, want %q", got, tt.flag)
			}
			if got := Describe(tt.err, input); got != tt.act {
				t.Errorf("with inputs: %q, want %q", got, tt.act)
			}
		})
	}
	if got := Flag("credentials", ""); got != "--username with --password-stdin" {
		t.Errorf("Flag(credentials) = %q", got)
	}
	if got := Flag("ca-file", "FILE"); got != "--ca-file FILE" {
		t.Errorf("Flag(ca-file, FILE) = %q", got)
	}
}
