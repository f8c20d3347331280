package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Server serves a Gatherer's metrics over HTTP:
//
//	/metrics  the Prometheus exposition (text, or protobuf if asked for)
//	/healthz  200 "ok" while the process serves
//	/         a short index of the two
type Server struct {
	ln   net.Listener
	srv  *http.Server
	done chan error
}

// Handler returns the handler a Server serves: /metrics for g, /healthz and an
// index at /.
func Handler(g prometheus.Gatherer) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{
		// A failing collector (say /proc unreadable) should not hide the
		// training metrics: serve what was gathered and log the rest.
		ErrorHandling: promhttp.ContinueOnError,
	}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "deepq training metrics\n\n/metrics  Prometheus metrics\n/healthz  liveness")
	})
	return mux
}

// Listen listens on the TCP address addr (host:port; port 0 picks a free
// one) and serves Handler(g) there in the background until Close. Listening
// happens before it returns, so a port already in use is an error here, not
// later.
func Listen(addr string, g prometheus.Gatherer) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) { // keep the message short and errors.Is working
			return nil, fmt.Errorf("metrics: cannot listen on %s: %w", addr, syscall.EADDRINUSE)
		}
		return nil, fmt.Errorf("metrics: cannot listen on %q: %w", addr, err)
	}
	s := &Server{
		ln: ln,
		srv: &http.Server{
			Handler:           Handler(g),
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       2 * time.Minute,
		},
		done: make(chan error, 1),
	}
	go func() { s.done <- s.srv.Serve(ln) }()
	return s, nil
}

// Addr returns the address the server listens on, with the port it got.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server, letting requests in flight finish until ctx is
// done, and returns the error that stopped serving, if any other than Close.
func (s *Server) Close(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if serr := <-s.done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
