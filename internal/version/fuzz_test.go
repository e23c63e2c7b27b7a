package version

import (
	"strings"
	"testing"
)

// FuzzParseTag checks that any tag either is refused or reads back consistently: the tag
// is kept as written, the Helm spelling differs from it only by '_' for '+', and the
// version compares equal to itself.
func FuzzParseTag(f *testing.F) {
	for _, seed := range []string{"1.2.3", "v1.2.3", "1.2", "2.1.0_b.5", "1.3.0-rc.1", "latest", "01.2.3", "1.2.3_a_b", "", "1.2.3-", "1.2.3+x", "v", "9999999999999999999999.0.0"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, tag string) {
		v, err := ParseTag(tag)
		if err != nil {
			return
		}
		if v.Tag != tag {
			t.Fatalf("ParseTag(%q).Tag = %q", tag, v.Tag)
		}
		if v.Spell(RawTag) != tag || v.Spell(HelmVersion) != strings.ReplaceAll(tag, "_", "+") {
			t.Fatalf("spellings of %q: %q, %q", tag, v.Spell(RawTag), v.Spell(HelmVersion))
		}
		if len(tag) > MaxTagLength {
			t.Fatalf("accepted a %d-byte tag", len(tag))
		}
		if Compare(v.SemVer, v.SemVer) != 0 {
			t.Fatalf("%q does not compare equal to itself", tag)
		}
		if Classify(v.String()) != Pin {
			t.Fatalf("tag %q parses, but its Helm spelling %q does not classify as a pin", tag, v.String())
		}
	})
}

// FuzzParseConstraint checks that any text is either refused with an error or gives a
// constraint whose Allowed list is a newest-first subset of the versions.
func FuzzParseConstraint(f *testing.F) {
	for _, seed := range []string{"~1.2", "^1", ">=1.2.0-0 <2", "1.x", "*", "", "||", ">=", "1.2.3 - 2.0.0", "!=1.2.3", "~>1", "banana"} {
		f.Add(seed)
	}
	versions, _ := ParseTags([]string{"0.9.0", "1.0.0", "1.2.3", "1.2.4-rc.1", "1.2.4", "1.10.0", "2.0.0", "2.0.0_b.1", "v3.0.0"})
	f.Fuzz(func(t *testing.T, text string) {
		c, err := ParseConstraint(text)
		if err != nil {
			if !strings.Contains(err.Error(), "invalid constraint") {
				t.Fatalf("error %q does not say the constraint is invalid", err)
			}
			return
		}
		allowed := c.Allowed(versions)
		for i := 1; i < len(allowed); i++ {
			if Compare(allowed[i-1].SemVer, allowed[i].SemVer) < 0 {
				t.Fatalf("Allowed(%q) is not newest first: %v", text, allowed)
			}
		}
		if newest, ok := c.Newest(versions); ok != (len(allowed) > 0) || ok && newest.Tag != allowed[0].Tag {
			t.Fatalf("Newest(%q) = %v, %v; Allowed = %v", text, newest, ok, allowed)
		}
	})
}
