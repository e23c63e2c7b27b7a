package promote

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/chart-promoter/chart-promoter/internal/config"
	"github.com/chart-promoter/chart-promoter/internal/manifest"
	"github.com/chart-promoter/chart-promoter/internal/registry"
)

// An umbrella chart may vendor its dependencies in charts/ (helm dependency build writes
// NAME-VERSION.tgz there). With a rule's replaceVendoredArchives, a dependency that
// moves takes its archive along: the new version's chart layer is downloaded through the
// registry client (the one rendering uses), after the version passed every gate, and
// checked three ways before anything is written: the manifest is the one the plan
// resolved (by digest), the bytes hash to the layer digest that manifest names, and Helm's
// loader reads the archive as that chart at that version. Then Chart.yaml, Chart.lock and
// charts/ move together (manifest.WriteBundle; one commit in a pull request), or, when
// anything fails, none of them does.

// ArchiveReplacement is, in a change's JSON, the vendored archive it replaces (contract):
// paths relative to --dir.
type ArchiveReplacement struct {
	// Removed is the archive of From; "" when another dependency of the chart still uses
	// it (an alias at that version), and it stays.
	Removed string `json:"removed,omitempty"`
	// Added is the archive of To, as Helm names it: charts/NAME-TO.tgz.
	Added string `json:"added"`
	// Digest is the chart layer's digest, which Added's bytes hash to; Size its length.
	Digest string `json:"digest"`
	Size   int    `json:"size"`
}

// ArchiveFile is a vendored chart archive a plan adds (Data) or removes (Data nil).
type ArchiveFile struct {
	File string
	Data []byte
	// digest is the removed archive's SHA-256 as the plan read it; bundle is the chart's
	// Chart.yaml, whose files stand or fall with it.
	digest [sha256.Size]byte
	bundle string
}

// Removed reports whether the plan removes the archive.
func (a ArchiveFile) Removed() bool { return a.Data == nil }

// vendoredArchive is the archive of a change's To that replaces the vendored one of From.
type vendoredArchive struct {
	// old is the vendored archive of From; rule the setting that asked for it.
	old  string
	rule *config.Origin
	// data and layer are the downloaded archive and its layer digest.
	data  []byte
	layer string
}

// archiveOp is one archive a chart's change adds (data) or removes (data nil), relative to
// the plan's directory.
type archiveOp struct {
	file string
	data []byte
}

// fetchArchives downloads and checks the new archive of every change that replaces a
// vendored one. A change whose archive cannot be had is an error of its source and is
// dropped whole: no new archive without the Chart.yaml and Chart.lock edit, nor the
// reverse. Each chart version is downloaded once.
func (p *Plan) fetchArchives(ctx context.Context, reg Registry) {
	charts, _ := reg.(ChartArchives)
	type fetched struct {
		archive registry.ChartArchive
		err     error
	}
	cache := map[string]fetched{}
	kept := p.Changes[:0]
	for _, c := range p.Changes {
		if c.vendored == nil {
			kept = append(kept, c)
			continue
		}
		var err error
		if charts == nil {
			err = errors.New("the registry client cannot download chart archives")
		} else {
			k := c.Chart + "@" + c.Digest
			f, ok := cache[k]
			if !ok {
				f.archive, f.err = charts.ChartArchive(ctx, c.Chart, c.Digest)
				cache[k] = f
			}
			err = f.err
			if err == nil {
				err = c.vendored.accept(f.archive, c)
			}
		}
		if err != nil {
			p.Errors = append(p.Errors, Error{File: c.File, Line: c.Line, Chart: c.Chart,
				Message: fmt.Sprintf("%s → %s not made: replaceVendoredArchives (%s) replaces %s with the archive of %s, which failed: %v; nothing of this change is written (run again, or turn replaceVendoredArchives off to move Chart.yaml and Chart.lock alone)",
					c.From, c.To, c.vendored.rule, c.vendored.old, c.To, err)})
			continue
		}
		kept = append(kept, c)
	}
	p.Changes = kept
}

// accept checks a downloaded archive against what the plan resolved for c and keeps it.
func (v *vendoredArchive) accept(a registry.ChartArchive, c Change) error {
	if a.Digest != c.Digest {
		return fmt.Errorf("the registry served manifest %s, not %s, which the plan resolved and the gates passed", a.Digest, c.Digest)
	}
	sum := sha256.Sum256(a.Data)
	if got := "sha256:" + hex.EncodeToString(sum[:]); a.LayerDigest == "" || got != a.LayerDigest {
		return fmt.Errorf("the chart layer's bytes hash to %s, not to %s, the digest manifest %s names", got, a.LayerDigest, c.Digest)
	}
	if err := manifest.CheckArchive(a.Data, c.dependency.Dependency.Name, c.To); err != nil {
		return fmt.Errorf("%s of manifest %s: %w", a.LayerDigest, c.Digest, err)
	}
	v.data, v.layer = a.Data, a.LayerDigest
	return nil
}

// chartArchives returns the archives the changes changes[which] of the chart whose
// Chart.yaml is file add and remove, given Chart.yaml and Chart.lock as they will be
// (lock nil without one), and each change's replacement by its index. An old archive
// another dependency still uses stays; archives two changes share are listed once.
func chartArchives(changes []Change, which []int, file string, chartAfter, lockAfter []byte) ([]archiveOp, map[int]*ArchiveReplacement, error) {
	var ops []archiveOp
	replaced := map[int]*ArchiveReplacement{}
	listed := map[string]bool{}
	var use *manifest.ArchiveUse
	for _, i := range which {
		c := changes[i]
		if c.vendored == nil || c.vendored.data == nil {
			continue
		}
		if use == nil {
			u, err := manifest.ArchivesInUse(chartAfter, lockAfter)
			if err != nil {
				return nil, nil, err
			}
			use = &u
		}
		r := &ArchiveReplacement{
			Added:  path.Join(path.Dir(file), "charts", manifest.ArchiveName(c.dependency.Dependency.Name, c.To)),
			Digest: c.vendored.layer,
			Size:   len(c.vendored.data),
		}
		if !use.Uses(path.Base(c.vendored.old)) {
			r.Removed = c.vendored.old
		}
		replaced[i] = r
		if !listed[r.Added] {
			listed[r.Added] = true
			ops = append(ops, archiveOp{file: r.Added, data: c.vendored.data})
		}
		if r.Removed != "" && !listed[r.Removed] {
			listed[r.Removed] = true
			ops = append(ops, archiveOp{file: r.Removed})
		}
	}
	return ops, replaced, nil
}

// archiveFiles turns a chart's archive operations into the plan's ArchiveFiles, reading
// the tree as it is: an archive to add that is there with the same bytes already is left
// out, one of other content fails the chart; an archive to remove is recorded with its
// digest, so that apply refuses it if it changes.
func (p *Plan) archiveFiles(bundle string, ops []archiveOp) ([]ArchiveFile, error) {
	var out []ArchiveFile
	for _, op := range ops {
		data, err := os.ReadFile(filepath.Join(p.Dir, filepath.FromSlash(op.file)))
		switch {
		case op.data == nil && err != nil:
			return nil, fmt.Errorf("%s: %w (it was there when the plan was made)", op.file, err)
		case op.data == nil:
			out = append(out, ArchiveFile{File: op.file, digest: sha256.Sum256(data), bundle: bundle})
		case errors.Is(err, fs.ErrNotExist):
			out = append(out, ArchiveFile{File: op.file, Data: op.data, bundle: bundle})
		case err != nil:
			return nil, fmt.Errorf("%s: %w", op.file, err)
		case !bytes.Equal(data, op.data):
			return nil, fmt.Errorf("%s is there already with other content than the chart layer the plan downloaded: remove it (or run helm dependency build) and run again", op.file)
		}
	}
	return out, nil
}
