package apex

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ServerConfig configures the embedded NATS server (with JetStream).
type ServerConfig struct {
	// Host is the address to listen on: 127.0.0.1 by default. Any address
	// that is not loopback needs credentials: User and Password, or NKey.
	Host string
	// Port is the client port; 0 picks a free one.
	Port int
	// StoreDir holds JetStream's files; empty keeps streams in memory only
	// (they are lost when the server stops).
	StoreDir string
	// User and Password, if set, are required of every client.
	User, Password string
	// NKey, if set, is the public user nkey (U...) a client must sign with.
	NKey string
	// TLSCert and TLSKey, if set, are PEM files: the server then requires TLS.
	TLSCert, TLSKey string
}

// Server is an embedded NATS server.
type Server struct {
	*server.Server
}

// StartServer starts a NATS server with JetStream in this process and waits
// until it accepts connections.
func StartServer(cfg ServerConfig) (*Server, error) {
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	opts := &server.Options{
		Host: cfg.Host, Port: cfg.Port, JetStream: true, StoreDir: cfg.StoreDir,
		NoLog: true, NoSigs: true, ServerName: "deepq",
		// Parameters of a Nature-size network travel in chunks of the
		// object store; experience batches stay under this.
		MaxPayload: 8 << 20,
	}
	if cfg.Port == 0 {
		opts.Port = server.RANDOM_PORT
	}
	if cfg.StoreDir == "" {
		opts.JetStreamMaxStore = 0
		opts.StoreDir = ""
	}
	switch {
	case cfg.NKey != "":
		opts.Nkeys = []*server.NkeyUser{{Nkey: cfg.NKey}}
	case cfg.User != "":
		opts.Username, opts.Password = cfg.User, cfg.Password
	}
	if cfg.TLSCert != "" {
		tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: cfg.TLSCert, KeyFile: cfg.TLSKey})
		if err != nil {
			return nil, fmt.Errorf("apex: NATS TLS certificate %s and key %s: %w", cfg.TLSCert, cfg.TLSKey, err)
		}
		opts.TLSConfig, opts.TLS, opts.TLSVerify = tc, true, false
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("apex: NATS server: %w", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("apex: NATS server on %s:%d did not accept connections within 10 s (is the port in use?)", cfg.Host, cfg.Port)
	}
	return &Server{s}, nil
}

// Stop shuts the server down and waits until it has.
func (s *Server) Stop() {
	s.Shutdown()
	s.WaitForShutdown()
}

// Port returns the client port the server listens on.
func (s *Server) Port() int { return s.Addr().(*net.TCPAddr).Port }

// Validate reports a configuration that would listen beyond loopback
// without credentials, or half of a pair.
func (c ServerConfig) Validate() error {
	host := c.Host
	if host == "" {
		host = "127.0.0.1"
	}
	if c.Port < 0 || c.Port > 65535 {
		return fmt.Errorf("apex: NATS port %d outside [0, 65535]", c.Port)
	}
	if (c.User == "") != (c.Password == "") {
		return errors.New("apex: NATS user and password go together: give both or neither")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("apex: NATS TLS certificate and key go together: give both or neither")
	}
	if !isLoopback(host) && c.User == "" && c.NKey == "" {
		return fmt.Errorf("apex: the NATS server would listen on %s, beyond loopback, without credentials: set a user and password or an nkey (and TLS), or listen on 127.0.0.1", host)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ClientConfig says how to reach NATS.
type ClientConfig struct {
	// URL is the server, e.g. nats://127.0.0.1:4222 (several comma-separated
	// for a cluster).
	URL string
	// User and Password, or NKeySeed (a file holding the user's nkey seed),
	// authenticate the client.
	User, Password string
	NKeySeed       string
	// RootCA, if set, is a PEM file of the CA that signed the server's
	// certificate; the connection then uses TLS.
	RootCA string
	// Name tells the server who is connecting (learner, actor-3).
	Name string
}

// Connect connects to NATS and keeps reconnecting for as long as the
// connection is open: a restarted server is joined again without the caller
// noticing, except for the operations that fail while it is away.
func Connect(cfg ClientConfig) (*nats.Conn, error) {
	opts := []nats.Option{
		nats.Name(cfg.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.RetryOnFailedConnect(true),
		// While the server is away publishes fail at once instead of
		// filling a buffer: the actor counts them as dropped.
		nats.ReconnectBufSize(-1),
	}
	if cfg.User != "" {
		opts = append(opts, nats.UserInfo(cfg.User, cfg.Password))
	}
	if cfg.NKeySeed != "" {
		o, err := nats.NkeyOptionFromSeed(cfg.NKeySeed)
		if err != nil {
			return nil, fmt.Errorf("apex: NATS nkey seed %s: %w", cfg.NKeySeed, err)
		}
		opts = append(opts, o)
	}
	if cfg.RootCA != "" {
		if _, err := os.Stat(cfg.RootCA); err != nil {
			return nil, fmt.Errorf("apex: NATS root CA: %w", err)
		}
		opts = append(opts, nats.RootCAs(cfg.RootCA), nats.Secure(&tls.Config{MinVersion: tls.VersionTLS12}))
	}
	nc, err := nats.Connect(cfg.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("apex: connecting to NATS at %s: %w", cfg.URL, err)
	}
	return nc, nil
}

// Names are the NATS names of one run.
type Names struct {
	Run      string
	Stream   string // JetStream stream of experience batches
	Subject  string // deepq.<run>.exp.<actor>
	Consumer string // the learner's durable consumer
	Params   string // object store bucket of parameters
	KV       string // key-value bucket: the run's config
}

var runName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// NamesFor returns the names of run, which must be 1–64 letters, digits,
// '-' or '_'.
func NamesFor(run string) (Names, error) {
	if !runName.MatchString(run) {
		return Names{}, fmt.Errorf("apex: run name %q: want 1–64 letters, digits, '-' or '_'", run)
	}
	return Names{
		Run: run, Stream: "DEEPQ_" + run, Subject: "deepq." + run + ".exp",
		Consumer: "learner", Params: "DEEPQ_" + run + "_params", KV: "DEEPQ_" + run + "_run",
	}, nil
}

// subject returns actor i's subject.
func (n Names) subject(i int) string { return n.Subject + "." + strconv.Itoa(i) }

// Backlog bounds the experience stream: when it holds MaxMsgs batches or
// MaxBytes bytes, the server refuses new ones (discard policy "new") and the
// actors count them as dropped, so neither the server nor the learner grows
// without bound when the learner falls behind.
type Backlog struct {
	MaxMsgs  int64
	MaxBytes int64
	// Memory keeps the stream in memory (else on the server's disk).
	Memory bool
}

// DefaultBacklog holds up to 256 batches or 64 MiB, in memory.
func DefaultBacklog() Backlog { return Backlog{MaxMsgs: 256, MaxBytes: 64 << 20, Memory: true} }

// Validate reports a backlog without bounds.
func (b Backlog) Validate() error {
	if b.MaxMsgs < 1 || b.MaxBytes < 1 {
		return fmt.Errorf("apex: the experience backlog needs positive bounds, got %d messages and %d bytes", b.MaxMsgs, b.MaxBytes)
	}
	return nil
}

// setup creates (or updates) the run's stream, the learner's consumer and
// the buckets.
func setup(ctx context.Context, js jetstream.JetStream, n Names, b Backlog) (jetstream.Consumer, jetstream.ObjectStore, jetstream.KeyValue, error) {
	storage := jetstream.FileStorage
	if b.Memory {
		storage = jetstream.MemoryStorage
	}
	s, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: n.Stream, Subjects: []string{n.Subject + ".>"},
		Retention: jetstream.WorkQueuePolicy, Discard: jetstream.DiscardNew,
		MaxMsgs: b.MaxMsgs, MaxBytes: b.MaxBytes, Storage: storage,
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("apex: experience stream %s: %w", n.Stream, err)
	}
	cons, err := s.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable: n.Consumer, AckPolicy: jetstream.AckExplicitPolicy,
		AckWait: 30 * time.Second, MaxAckPending: int(min(b.MaxMsgs, 1<<20)),
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("apex: consumer of %s: %w", n.Stream, err)
	}
	obs, err := js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: n.Params, Storage: storage})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("apex: parameter store %s: %w", n.Params, err)
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: n.KV, Storage: storage})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("apex: run bucket %s: %w", n.KV, err)
	}
	return cons, obs, kv, nil
}
