// Package release turns a build into a release of the Action: the action.yml a release
// tag carries runs the image the release workflow pushed, pinned by its digest, so that a
// workflow using the tag pulls a few megabytes instead of building the tool on every job.
package release

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	"go.yaml.in/yaml/v3"
)

// DevelopmentImage is runs.image on the default branch: the runner builds the Dockerfile,
// so that `uses: ./` and `uses: OWNER/REPO@main` run the code as it stands.
const DevelopmentImage = "Dockerfile"

// imageLine finds the runs.image line that PinImage rewrites; the value may be quoted.
var imageLine = regexp.MustCompile(`(?m)^([ \t]+image:[ \t]*)(?:"[^"\n]*"|'[^'\n]*'|[^\s#]+)([ \t]*(?:#.*)?)$`)

// PinnedImage is the runs.image value of a release: docker://REPOSITORY@DIGEST. The
// repository must be lowercase and fully qualified (ghcr.io/owner/name), the digest a
// sha256 digest, as the runner pulls exactly what it names.
func PinnedImage(repository, dgst string) (string, error) {
	named, err := reference.ParseNamed(repository)
	if err != nil {
		return "", fmt.Errorf("image repository %q: %w (write it in full and in lowercase, e.g. ghcr.io/acme/chart-promoter)", repository, err)
	}
	if _, tagged := named.(reference.Tagged); tagged {
		return "", fmt.Errorf("image repository %q has a tag: give the repository alone; the digest pins the version", repository)
	}
	if _, digested := named.(reference.Digested); digested {
		return "", fmt.Errorf("image repository %q already has a digest: give the repository alone and the digest separately", repository)
	}
	d, err := digest.Parse(dgst)
	if err != nil || d.Algorithm() != digest.SHA256 {
		return "", fmt.Errorf("image digest %q: want sha256:<64 hex digits>, the digest docker/build-push-action reports", dgst)
	}
	canonical, err := reference.WithDigest(named, d)
	if err != nil {
		return "", err
	}
	return "docker://" + canonical.String(), nil
}

// metadata is the part of action.yml a pin touches and checks.
type metadata struct {
	Runs struct {
		Using string `yaml:"using"`
		Image string `yaml:"image"`
	} `yaml:"runs"`
}

func readMetadata(data []byte) (metadata, yaml.Node, error) {
	var md metadata
	var tree yaml.Node
	if err := yaml.Unmarshal(data, &tree); err != nil {
		return md, tree, fmt.Errorf("action.yml does not parse: %w", err)
	}
	if err := tree.Decode(&md); err != nil {
		return md, tree, fmt.Errorf("action.yml: %w", err)
	}
	return md, tree, nil
}

// PinImage returns action.yml with runs.image replaced by image (from PinnedImage) and
// every other byte as it was: the release commit differs from the tagged source by that
// one line. It refuses metadata that is not a Docker action building DevelopmentImage
// (or already pinned: a re-run of a release moves the pin), and proves the result reads
// back as the same metadata with the new image.
func PinImage(actionYML []byte, image string) ([]byte, error) {
	if !strings.HasPrefix(image, "docker://") || !strings.Contains(image, "@sha256:") {
		return nil, fmt.Errorf("image %q is not pinned: build it with PinnedImage", image)
	}
	md, before, err := readMetadata(actionYML)
	if err != nil {
		return nil, err
	}
	if md.Runs.Using != "docker" {
		return nil, fmt.Errorf("action.yml runs.using is %q: only a Docker action runs a prebuilt image", md.Runs.Using)
	}
	if md.Runs.Image != DevelopmentImage && !strings.HasPrefix(md.Runs.Image, "docker://") {
		return nil, fmt.Errorf("action.yml runs.image is %q: want %q (or an earlier pin)", md.Runs.Image, DevelopmentImage)
	}
	matches := imageLine.FindAllSubmatchIndex(actionYML, -1)
	var hits [][]int
	for _, m := range matches {
		value := strings.Trim(string(actionYML[m[3]:m[4]]), `"'`)
		if value == md.Runs.Image {
			hits = append(hits, m)
		}
	}
	if len(hits) != 1 {
		return nil, fmt.Errorf("action.yml: found %d lines `image: %s`, want exactly one (runs.image)", len(hits), md.Runs.Image)
	}
	m := hits[0]
	var out bytes.Buffer
	out.Write(actionYML[:m[3]])
	out.WriteString(image)
	out.Write(actionYML[m[4]:])
	pinned := out.Bytes()

	after, tree, err := readMetadata(pinned)
	if err != nil {
		return nil, fmt.Errorf("the pinned action.yml does not parse: %w", err)
	}
	if after.Runs.Image != image {
		return nil, fmt.Errorf("the pinned action.yml's runs.image reads %q, not %q: the line rewritten was not runs.image", after.Runs.Image, image)
	}
	if !sameExceptImage(&before, &tree) {
		return nil, fmt.Errorf("pinning changed more of action.yml than runs.image: refusing")
	}
	return pinned, nil
}

// sameExceptImage compares two parsed action.yml trees, ignoring runs.image's value.
func sameExceptImage(a, b *yaml.Node) bool {
	var walk func(a, b *yaml.Node, path string) bool
	walk = func(a, b *yaml.Node, path string) bool {
		if a.Kind != b.Kind || len(a.Content) != len(b.Content) {
			return false
		}
		if a.Kind == yaml.ScalarNode && a.Value != b.Value && path != ".runs.image" {
			return false
		}
		for i := range a.Content {
			p := path
			if a.Kind == yaml.MappingNode && i%2 == 1 {
				p = path + "." + a.Content[i-1].Value
			}
			if !walk(a.Content[i], b.Content[i], p) {
				return false
			}
		}
		return true
	}
	return walk(a, b, "")
}
