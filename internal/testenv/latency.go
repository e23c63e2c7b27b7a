package testenv

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// LatencyProxy is a TCP proxy on 127.0.0.1 that delivers every byte, in each direction,
// half a round-trip time after it was sent: a registry across the internet, seen from a
// loopback test. It is a delay line, not a bandwidth limit: bytes sent back to back
// arrive back to back, late. TCP and TLS handshakes pay the delay too, as they do on a
// real network, so a client that opens many connections pays for each.
type LatencyProxy struct {
	// Host is "127.0.0.1:PORT": use it in place of the target's address. A TLS certificate
	// for 127.0.0.1 (every testenv server's) stays valid through it.
	Host string

	ln     net.Listener
	target string
	oneWay time.Duration
	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]bool
	wg     sync.WaitGroup
	dials  int
}

// StartLatencyProxy proxies to target (host:port) with the round-trip time rtt, until
// tb's cleanup.
func StartLatencyProxy(tb testing.TB, target string, rtt time.Duration) *LatencyProxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("testenv: latency proxy: %v", err)
	}
	p := &LatencyProxy{Host: ln.Addr().String(), ln: ln, target: target, oneWay: rtt / 2, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.accept()
	tb.Cleanup(p.close)
	return p
}

// Connections returns how many client connections the proxy has accepted.
func (p *LatencyProxy) Connections() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dials
}

func (p *LatencyProxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			continue
		}
		p.mu.Lock()
		if p.closed { // close ran while this connection was set up
			p.mu.Unlock()
			client.Close()
			server.Close()
			return
		}
		p.dials++
		p.conns[client], p.conns[server] = true, true
		p.wg.Add(2)
		p.mu.Unlock()
		go p.pipe(server, client)
		go p.pipe(client, server)
	}
}

// chunk is what one read got, due at the far end at due; nil data stands for the end of
// the stream.
type chunk struct {
	data []byte
	due  time.Time
}

// pipe copies src to dst, each read delivered oneWay after it arrived. A reader and a
// writer goroutine with a queue between them keep reading while earlier bytes wait, so
// the delay does not cut the throughput.
func (p *LatencyProxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	queue := make(chan chunk, 4096)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for c := range queue {
			time.Sleep(time.Until(c.due))
			if c.data == nil {
				if tcp, ok := dst.(*net.TCPConn); ok {
					_ = tcp.CloseWrite()
				}
				return
			}
			if _, err := dst.Write(c.data); err != nil {
				src.Close() // the far end is gone: stop reading for it
				return
			}
		}
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			select {
			case queue <- chunk{data: append([]byte(nil), buf[:n]...), due: time.Now().Add(p.oneWay)}:
			case <-done:
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				dst.Close()
			}
			select {
			case queue <- chunk{due: time.Now().Add(p.oneWay)}:
			case <-done:
			}
			close(queue)
			<-done
			return
		}
	}
}

func (p *LatencyProxy) close() {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.ln.Close()
	p.wg.Wait()
}
