package promote

import (
	"fmt"
	"path"
	"strings"

	"github.com/chart-promoter/chart-promoter/internal/manifest"
)

// nameDeployers fills in, for each change of a kustomization or a Helm chart, the
// Applications of the scanned tree whose Git source points its path at that directory:
// what a reviewer needs to know will sync the change. An Application of another
// repository with the same path is named too; the repoURL it gives is shown.
func (p *Plan) nameDeployers(paths []manifest.PathSource) {
	if len(paths) == 0 {
		return
	}
	byDir := map[string][]manifest.PathSource{}
	for _, ps := range paths {
		dir := path.Clean(strings.TrimPrefix(ps.Path, "/"))
		byDir[dir] = append(byDir[dir], ps)
	}
	for i := range p.Changes {
		c := &p.Changes[i]
		if c.Kind != manifest.KindKustomization && c.Kind != manifest.KindChart {
			continue
		}
		for _, ps := range byDir[path.Dir(c.File)] {
			c.DeployedBy = append(c.DeployedBy, fmt.Sprintf("Application %s (%s:%d, from %s)", ps.Application, ps.File, ps.Line, ps.RepoURL))
		}
	}
}
