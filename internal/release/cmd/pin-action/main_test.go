package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPinRewritesTheFileInPlace(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "action.yml")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	digest := "sha256:" + strings.Repeat("ab", 32)
	if err := pin(file, "ghcr.io/chart-promoter/chart-promoter", digest); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if want := "  image: docker://ghcr.io/chart-promoter/chart-promoter@" + digest + "\n"; !strings.Contains(string(got), want) {
		t.Errorf("action.yml lacks %q:\n%s", want, got)
	}
}

func TestPinLeavesTheFileAloneOnABadDigest(t *testing.T) {
	file := filepath.Join(t.TempDir(), "action.yml")
	in := "name: x\nruns:\n  using: docker\n  image: Dockerfile\n"
	if err := os.WriteFile(file, []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := pin(file, "ghcr.io/acme/x", "sha256:short"); err == nil {
		t.Fatal("a bad digest was accepted")
	}
	got, _ := os.ReadFile(file)
	if string(got) != in {
		t.Errorf("the file changed:\n%s", got)
	}
}
