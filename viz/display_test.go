package viz

import (
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestParseDisplay(t *testing.T) {
	for _, c := range []struct {
		in   string
		host string
		num  int
		ok   bool
	}{
		{":0", "", 0, true},
		{":99.0", "", 99, true},
		{"localhost:10.0", "localhost", 10, true},
		{"unix:3", "unix", 3, true},
		{"[::1]:2", "[::1]", 2, true},
		{"/tmp/launch-x/org.xquartz:0", "/tmp/launch-x/org.xquartz", 0, true},
		{"0", "", 0, false},
		{":x", "", 0, false},
		{":1.y", "", 0, false},
		{":-1", "", 0, false},
	} {
		host, num, ok := parseDisplay(c.in)
		if ok != c.ok || ok && (host != c.host || num != c.num) {
			t.Errorf("parseDisplay(%q) = %q, %d, %v; want %q, %d, %v", c.in, host, num, ok, c.host, c.num, c.ok)
		}
	}
}

func TestCheckDisplay(t *testing.T) {
	dir := t.TempDir()
	old := x11SocketDir
	x11SocketDir = dir
	defer func() { x11SocketDir = old }()
	l, err := net.Listen("unix", filepath.Join(dir, "X7"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	tcp := ""
	if p := tl.Addr().(*net.TCPAddr).Port; p >= 6000 {
		tcp = "127.0.0.1:" + strconv.Itoa(p-6000)
	}
	for _, c := range []struct {
		display, want string // want: "" for no error, else part of it
	}{
		{"", "DISPLAY is not set"},
		{"nonsense", "not an X display name"},
		{":7", ""},
		{":7.0", ""},
		{":8", "no X server answers on DISPLAY=:8"},
		{tcp, ""},
	} {
		if c.display == "" && c.want == "" {
			continue // no free TCP port above 6000
		}
		err := checkDisplay(c.display)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("DISPLAY=%q: %v", c.display, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("DISPLAY=%q: error %v, want one saying %q", c.display, err, c.want)
		case err != nil && !strings.Contains(err.Error(), "Xvfb"):
			t.Errorf("DISPLAY=%q: error %q does not say how to get a display", c.display, err)
		}
	}
}
