package release

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// instructions reads a Dockerfile into its instructions, continuation lines joined and
// comments dropped (there is no Docker engine in the tests to build it).
func instructions(t *testing.T, file string) []string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if strings.HasSuffix(trimmed, `\`) {
			cur.WriteString(strings.TrimSuffix(trimmed, `\`) + " ")
			continue
		}
		cur.WriteString(trimmed)
		out = append(out, cur.String())
		cur.Reset()
	}
	return out
}

// TestTheDockerfileFollowsGitHubsGuidance checks what GitHub documents for Docker
// container actions and what keeps the image small and its build fast.
func TestTheDockerfileFollowsGitHubsGuidance(t *testing.T) {
	ins := instructions(t, filepath.Join(repoRoot, "Dockerfile"))
	var froms []string
	var build string
	for _, in := range ins {
		word := strings.ToUpper(strings.Fields(in)[0])
		switch word {
		case "USER":
			t.Errorf("%q: GitHub runs Docker actions as the image's default user and mounts the workspace for it; a USER line breaks writing GITHUB_OUTPUT", in)
		case "WORKDIR":
			if len(froms) > 1 {
				t.Errorf("%q in the final image: the runner sets the working directory to the workspace", in)
			}
		case "FROM":
			froms = append(froms, in)
		case "RUN":
			if strings.Contains(in, "go mod download") {
				t.Errorf("%q downloads the whole module graph, test-only modules included; go build fetches only what the binary needs", in)
			}
			if strings.Contains(in, "go build") {
				build = in
			}
		}
	}
	if len(froms) != 2 {
		t.Fatalf("want a build stage and a final stage, got %q", froms)
	}
	if !strings.Contains(froms[0], "--platform=$BUILDPLATFORM") {
		t.Errorf("%q: the build stage should run natively and cross-compile, not under emulation", froms[0])
	}
	if !regexp.MustCompile(`^FROM gcr\.io/distroless/static-debian\d+(@sha256:[0-9a-f]{64})?$`).MatchString(froms[1]) {
		t.Errorf("%q: the final image should be distroless static (CA certificates, nothing else) as root (no :nonroot)", froms[1])
	}
	for _, want := range []string{"--mount=type=cache,target=/go/pkg/mod", "CGO_ENABLED=0", "GOARCH=$TARGETARCH", "-trimpath", "-s -w"} {
		if !strings.Contains(build, want) {
			t.Errorf("the go build step lacks %q: %q", want, build)
		}
	}
}
