package apex

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func TestServerConfigValidate(t *testing.T) {
	for _, c := range []struct {
		cfg  ServerConfig
		want string
	}{
		{ServerConfig{Host: "0.0.0.0"}, "beyond loopback, without credentials"},
		{ServerConfig{Host: "10.1.2.3", User: "u"}, "user and password go together"},
		{ServerConfig{TLSCert: "c.pem"}, "certificate and key go together"},
		{ServerConfig{Port: 70000}, "outside [0, 65535]"},
		{ServerConfig{Host: "0.0.0.0", User: "u", Password: "p"}, ""},
		{ServerConfig{Host: "::1"}, ""},
		{ServerConfig{Host: "0.0.0.0", NKey: "UABC"}, ""},
	} {
		err := c.cfg.Validate()
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%+v: %v, want %q", c.cfg, err, c.want)
		}
	}
}

// connected reports whether nc reaches the CONNECTED state within 2 s.
func connected(nc *nats.Conn) bool {
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if nc.Status() == nats.CONNECTED {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// TestServerCredentialsAndTLS: with a user and password and a TLS
// certificate, the embedded server takes a client that has both (and the
// CA), and never connects one with a wrong password or without TLS.
func TestServerCredentialsAndTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := selfSigned(t, dir)
	s, err := StartServer(ServerConfig{User: "deepq", Password: "s3cret", TLSCert: cert, TLSKey: key})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	url := "tls://127.0.0.1:" + itoa(s.Port())
	good, err := Connect(ClientConfig{URL: url, User: "deepq", Password: "s3cret", RootCA: cert})
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	if !connected(good) {
		t.Fatalf("a client with the password and the CA did not connect: %v", good.LastError())
	}
	js, _ := jetstream.New(good)
	if _, err := js.AccountInfo(context.Background()); err != nil {
		t.Fatalf("JetStream over TLS: %v", err)
	}
	for name, cc := range map[string]ClientConfig{
		"wrong password": {URL: url, User: "deepq", Password: "nope", RootCA: cert},
		"no TLS":         {URL: "nats://127.0.0.1:" + itoa(s.Port()), User: "deepq", Password: "s3cret"},
	} {
		nc, err := Connect(cc)
		if err != nil {
			continue // refused at once
		}
		if connected(nc) {
			t.Errorf("%s: connected", name)
		}
		nc.Close()
	}
}

func itoa(i int) string { return big.NewInt(int64(i)).String() }

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T, dir string) (cert, key string) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "deepq test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd}), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, key
}
