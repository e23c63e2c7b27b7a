package gitrepo

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing/transport/client"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
)

// installTransport makes go-git's http(s) transport refuse redirects to another origin.
//
// go-git follows the first redirect of a session (its "initial" policy, like git's
// http.followRedirects default) to any host, dropping the credentials on the way, and then
// sends the rest of the session — the push's pack, the promotion itself — to that host.
// A remote that redirects elsewhere is treated as misconfigured or hostile instead: the
// operation fails and the other host receives no request at all. Redirects within the
// remote's own origin (a renamed repository on the same host) are still followed.
//
// go-git v5 chooses the transport of a remote operation from a process-wide table
// (client.Protocols) and offers no per-operation client, so the policy is installed there,
// once. It only narrows go-git's default behaviour, so other users of go-git in the same
// process lose nothing but cross-origin redirects.
var installTransport = sync.OnceFunc(func() {
	c := githttp.NewClientWithOptions(&http.Client{
		Transport:     http.DefaultTransport,
		CheckRedirect: refuseCrossOriginRedirect,
	}, &githttp.ClientOptions{RedirectPolicy: githttp.FollowInitialRedirects})
	client.InstallProtocol("http", c)
	client.InstallProtocol("https", c)
})

// refuseCrossOriginRedirect is an http.Client CheckRedirect that lets a redirect through
// only when it stays on the origin (scheme, host and port) of the first request, or
// upgrades it from http to https on the same host.
func refuseCrossOriginRedirect(req *http.Request, via []*http.Request) error {
	if len(via) == 0 {
		return nil
	}
	from, to := via[0].URL, req.URL
	if sameOrigin(from.Scheme, from.Host, to.Scheme, to.Host) ||
		(strings.EqualFold(from.Scheme, "http") && strings.EqualFold(to.Scheme, "https") && strings.EqualFold(from.Hostname(), to.Hostname())) {
		return nil
	}
	// Only hosts are named: a Location may carry credentials in its userinfo or query.
	return fmt.Errorf("refused a redirect from %s to another host, %s: chart-promoter talks only to the remote's own host (if the repository moved, point the remote at its new URL with `git remote set-url`)",
		from.Host, to.Host)
}

func sameOrigin(scheme1, host1, scheme2, host2 string) bool {
	return strings.EqualFold(scheme1, scheme2) && strings.EqualFold(hostPort(scheme1, host1), hostPort(scheme2, host2))
}

// hostPort spells host with its port, the scheme's default when it names none.
func hostPort(scheme, host string) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	port := "80"
	if strings.EqualFold(scheme, "https") {
		port = "443"
	}
	return net.JoinHostPort(strings.Trim(host, "[]"), port)
}
