// Command pin-action rewrites action.yml in place so that its runs.image is the release
// image pinned by digest. The release workflow runs it after pushing the image:
//
//	go run ./internal/release/cmd/pin-action -image ghcr.io/acme/chart-promoter -digest sha256:… action.yml
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/chart-promoter/chart-promoter/internal/release"
)

func main() {
	image := flag.String("image", "", "image repository, lowercase and in full (ghcr.io/OWNER/NAME)")
	dgst := flag.String("digest", "", "digest of the pushed image index (sha256:…)")
	flag.Parse()
	if flag.NArg() != 1 || *image == "" || *dgst == "" {
		fmt.Fprintln(os.Stderr, "usage: pin-action -image REPOSITORY -digest sha256:… action.yml")
		os.Exit(2)
	}
	if err := pin(flag.Arg(0), *image, *dgst); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func pin(file, image, dgst string) error {
	ref, err := release.PinnedImage(image, dgst)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	pinned, err := release.PinImage(data, ref)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	info, err := os.Stat(file)
	if err != nil {
		return err
	}
	if err := os.WriteFile(file, pinned, info.Mode().Perm()); err != nil {
		return err
	}
	fmt.Printf("%s: runs.image is %s\n", file, ref)
	return nil
}
