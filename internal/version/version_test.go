package version

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseTag(t *testing.T) {
	tests := []struct {
		name    string
		tag     string
		want    string // Helm spelling, "" when the tag must be rejected
		wantErr bool
	}{
		{name: "a plain release is a version", tag: "1.2.3", want: "1.2.3"},
		{name: "a v prefix is kept in the tag", tag: "v1.2.3", want: "v1.2.3"},
		{name: "a two-part version is a version, as in Argo CD", tag: "1.2", want: "1.2"},
		{name: "build metadata stored with underscore reads back as plus", tag: "2.1.0_b.5", want: "2.1.0+b.5"},
		{name: "a prerelease is a version", tag: "1.3.0-rc.1", want: "1.3.0-rc.1"},
		{name: "latest is not a version", tag: "latest", wantErr: true},
		{name: "a commit tag is not a version", tag: "sha-abc1234", wantErr: true},
		{name: "a leading zero is rejected, not coerced", tag: "01.2.3", wantErr: true},
		{name: "a leading zero in the patch is rejected", tag: "1.2.03", wantErr: true},
		{name: "two build separators are rejected", tag: "1.2.3_a_b", wantErr: true},
		{name: "a tag longer than the OCI limit is rejected", tag: "1.2.3-" + string(make([]byte, 130)), wantErr: true},
		{name: "an empty tag is rejected", tag: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := ParseTag(tt.tag)
			if tt.wantErr {
				if !errors.Is(err, ErrNotVersion) {
					t.Fatalf("ParseTag(%q) error = %v, want ErrNotVersion", tt.tag, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseTag(%q): %v", tt.tag, err)
			}
			if v.String() != tt.want || v.Tag != tt.tag {
				t.Errorf("ParseTag(%q) = %q (tag %q), want %q (tag %q)", tt.tag, v.String(), v.Tag, tt.want, tt.tag)
			}
		})
	}
}

func TestParseTagsSortsNewestFirstAndSetsInvalidTagsApart(t *testing.T) {
	tags := []string{"1.2.3", "latest", "1.10.0", "1.9.0", "2.0.0-rc.1", "1.2.3_b.10", "1.2.3_b.9", "v1.9.0", "01.0.0", "1.9.0"}
	versions, ignored := ParseTags(tags)
	var got []string
	for _, v := range versions {
		got = append(got, v.Tag)
	}
	want := []string{"2.0.0-rc.1", "1.10.0", "1.9.0", "v1.9.0", "1.2.3_b.10", "1.2.3_b.9", "1.2.3"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("order = %v, want %v", got, want)
	}
	if !reflect.DeepEqual(ignored, []string{"latest", "01.0.0"}) {
		t.Errorf("ignored = %v, want [latest 01.0.0]", ignored)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		revision string
		want     RevisionKind
	}{
		{"1.2.3", Pin},
		{"v1.2.3", Pin},
		{"1.0", Pin},
		{"2.1.0+b.5", Pin},
		{"2.1.0_b.5", Pin},
		{"1.2.*", Range},
		{"^1", Range},
		{">=1 <2", Range},
		{"~1.2", Range},
		{"*", Range},
		{"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", Digest},
		{"{{ .version }}", Templated},
		{"{{version}}", Templated},
		{"", Empty},
		{"   ", Empty},
		{"latest", Other},
		{"main", Other},
	}
	for _, tt := range tests {
		t.Run(tt.revision, func(t *testing.T) {
			if got := Classify(tt.revision); got != tt.want {
				t.Errorf("Classify(%q) = %v, want %v", tt.revision, got, tt.want)
			}
		})
	}
}

func TestSpellWritesWhatEachArgoCDPathReads(t *testing.T) {
	v, err := ParseTag("2.1.0_b.5")
	if err != nil {
		t.Fatal(err)
	}
	if got := v.Spell(HelmVersion); got != "2.1.0+b.5" {
		t.Errorf("Helm-OCI spelling = %q, want 2.1.0+b.5 (Helm's --version)", got)
	}
	if got := v.Spell(RawTag); got != "2.1.0_b.5" {
		t.Errorf("native OCI spelling = %q, want the raw tag 2.1.0_b.5", got)
	}
	plain, _ := ParseTag("v1.2.3")
	if plain.Spell(HelmVersion) != "v1.2.3" || plain.Spell(RawTag) != "v1.2.3" {
		t.Errorf("a v-prefixed tag must keep its spelling, got %q and %q", plain.Spell(HelmVersion), plain.Spell(RawTag))
	}
}

func TestTagSpellingNamesTheTagHelmPushedAVersionAs(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"build metadata written with a plus is stored with an underscore", "2.1.0+b.6", "2.1.0_b.6"},
		{"a tag is already its own spelling", "2.1.0_b.6", "2.1.0_b.6"},
		{"a version without build metadata is unchanged", "v1.2.3-rc.1", "v1.2.3-rc.1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := TagSpelling(c.in); got != c.want {
				t.Errorf("TagSpelling(%q) = %q, want %q", c.in, got, c.want)
			}
			if back := HelmSpelling(TagSpelling(c.in)); back != strings.ReplaceAll(c.in, "_", "+") {
				t.Errorf("HelmSpelling(TagSpelling(%q)) = %q: the two spellings do not round-trip", c.in, back)
			}
		})
	}
}

func TestConstraintAllowed(t *testing.T) {
	versions, _ := ParseTags([]string{"1.2.3", "1.2.4", "1.3.0", "2.0.0", "1.2.5-rc.1", "2.1.0-beta.1", "1.2.4_b.2"})
	tests := []struct {
		name       string
		constraint string
		want       []string
	}{
		{name: "a tilde stays within the minor", constraint: "~1.2", want: []string{"1.2.4_b.2", "1.2.4", "1.2.3"}},
		{name: "a caret stays within the major", constraint: "^1", want: []string{"1.3.0", "1.2.4_b.2", "1.2.4", "1.2.3"}},
		{name: "the empty constraint allows every release but no prerelease", constraint: "", want: []string{"2.0.0", "1.3.0", "1.2.4_b.2", "1.2.4", "1.2.3"}},
		{name: "a constraint with a prerelease admits prereleases", constraint: ">=1.2.0-0 <2.0.0", want: []string{"1.3.0", "1.2.5-rc.1", "1.2.4_b.2", "1.2.4", "1.2.3"}},
		{name: "nothing satisfies a range above every tag", constraint: ">=3", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConstraint(tt.constraint)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range c.Allowed(versions) {
				got = append(got, v.Tag)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Allowed(%q) = %v, want %v", tt.constraint, got, tt.want)
			}
		})
	}
}

func TestParseConstraintRejectsNonsenseWithAnExample(t *testing.T) {
	for _, text := range []string{"~>1.2.3.4", "banana", ">=1 <"} {
		_, err := ParseConstraint(text)
		if err == nil {
			t.Errorf("ParseConstraint(%q) succeeded, want an error", text)
			continue
		}
		if !regexpMatch(`invalid constraint .*such as`, err.Error()) {
			t.Errorf("error %q should say what to write instead", err)
		}
	}
}

func TestCompareOrdersRebuildsAfterTheirBase(t *testing.T) {
	order := []string{"1.2.3", "1.2.3+b.2", "1.2.3+b.10", "1.2.3+b.10.1", "1.2.3+c", "1.2.4"}
	for i := 0; i+1 < len(order); i++ {
		a, _ := ParseRevision(order[i])
		b, _ := ParseRevision(order[i+1])
		if Compare(a.SemVer, b.SemVer) >= 0 || Compare(b.SemVer, a.SemVer) <= 0 {
			t.Errorf("want %s < %s", order[i], order[i+1])
		}
	}
}

func TestMemoAnswersLikeTheUnrememberedCalls(t *testing.T) {
	m := NewMemo()
	tags := []string{"1.2.3", "latest", "v1.3.0", "1.2.4_b.1", "01.0.0", "1.2.3"}
	for round := 0; round < 2; round++ { // the second round is answered from memory
		gotV, gotI := m.ParseTags(tags)
		wantV, wantI := ParseTags(tags)
		if !reflect.DeepEqual(gotV, wantV) || !reflect.DeepEqual(gotI, wantI) {
			t.Fatalf("round %d: Memo.ParseTags = %v %v, want %v %v", round, gotV, gotI, wantV, wantI)
		}
		for _, text := range []string{"~1.2", "^1", ">=1.3", " ~1.2 ", "", "newest please"} {
			c, err := ParseConstraint(text)
			mc, merr := m.ParseConstraint(text)
			if (err == nil) != (merr == nil) || err != nil && err.Error() != merr.Error() {
				t.Fatalf("round %d: Memo.ParseConstraint(%q) fails with %v, ParseConstraint with %v", round, text, merr, err)
			}
			if err != nil {
				continue
			}
			if mc.String() != c.String() {
				t.Errorf("round %d: Memo.ParseConstraint(%q) = %q, want %q", round, text, mc, c)
			}
			for _, v := range wantV {
				if m.Allows(mc, v) != c.Allows(v) {
					t.Errorf("round %d: Memo.Allows(%s, %s) after Memo.ParseConstraint disagrees", round, text, v.Tag)
				}
				if m.Allows(c, v) != c.Allows(v) {
					t.Errorf("round %d: Memo.Allows(%s, %s) disagrees", round, text, v.Tag)
				}
			}
		}
	}
}

func TestKubeVersionReadsWhatArgoCDPassesToHelm(t *testing.T) {
	for _, tt := range []struct{ in, want, err string }{
		{in: "1.31", want: "1.31"},
		{in: "v1.31.2", want: "1.31.2"},
		{in: "v1.29.3-gke.1", want: "1.29.3"},
		{in: " 1.30.1 ", want: "1.30.1"},
		{in: "", err: "empty Kubernetes version"},
		{in: "latest", err: `"latest" is not a Kubernetes version`},
		{in: "1", err: `"1" is not a Kubernetes version`},
	} {
		got, err := KubeVersion(tt.in)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("KubeVersion(%q) = %q, %v; want an error with %q", tt.in, got, err, tt.err)
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("KubeVersion(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
