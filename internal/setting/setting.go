// Package setting lets the libraries name a user's settings without knowing how the user
// gave them. A library says "exclude" or "plain-http"; each adapter spells the setting in
// its users' terms: --exclude and --plain-http on the command line, the exclude input and
// `plain-http: true` in a workflow.
package setting

import (
	"errors"
	"strconv"
)

// Speller spells a setting as its user writes it; value is the value it takes, or ""
// for a switch ("plain-http") or when any value will do.
type Speller func(name, value string) string

// Flag spells settings as chart-promoter's command-line flags: "--ca-file FILE",
// "--plain-http". It is the spelling libraries use when their caller chose none.
// "credentials" is the pair of settings that give explicit registry credentials.
func Flag(name, value string) string {
	if name == "credentials" {
		return "--username with --password-stdin"
	}
	if value == "" || value == "true" {
		return "--" + name
	}
	return "--" + name + " " + value
}

// InputError is a setting with a value the tool cannot use. Input is the setting's
// neutral name ("exclude", "group-by"); Want says what to write instead, or Err what
// went wrong. Adapters word it with their Speller (Describe).
type InputError struct {
	Input, Value, Want string
	Err                error
	// Pair is a setting Input goes together with ("author-email" for "author-name"):
	// the error is that one was given without the other.
	Pair string
}

func (e *InputError) Error() string { return e.describe(Flag) }

// Unwrap returns the cause, if any.
func (e *InputError) Unwrap() error { return e.Err }

func (e *InputError) describe(spell Speller) string {
	name := spell(e.Input, "")
	switch {
	case e.Pair != "":
		return name + " and " + spell(e.Pair, "") + " go together: " + e.Want
	case e.Err != nil && e.Want != "" && e.Value != "":
		return name + " " + strconv.Quote(e.Value) + ": " + e.Err.Error() + "; use " + e.Want
	case e.Err != nil && e.Want != "":
		return name + ": " + e.Err.Error() + "; use " + e.Want
	case e.Err != nil:
		return name + ": " + e.Err.Error()
	}
	return "invalid " + name + " " + strconv.Quote(e.Value) + ": use " + e.Want
}

// Describe words err for a user with spell: an InputError (also one of several joined
// by errors.Join) names its setting as spell spells it; other errors read as they are.
func Describe(err error, spell Speller) string {
	if err == nil {
		return ""
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		var out string
		for i, e := range joined.Unwrap() {
			if i > 0 {
				out += "\n"
			}
			out += Describe(e, spell)
		}
		return out
	}
	var ie *InputError
	if errors.As(err, &ie) && ie == err {
		return ie.describe(spell)
	}
	return err.Error()
}
