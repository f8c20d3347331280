package viz

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// x11SocketDir is where a local X server listens (tests move it).
var x11SocketDir = "/tmp/.X11-unix"

// checkDisplay reports, before any window call, why the X display named by
// display (the DISPLAY variable) cannot be used: unset, malformed or with no
// server listening. It does not check the server's OpenGL.
func checkDisplay(display string) error {
	const how = "the window needs an X server: run it on a desktop, over ssh -X, or under Xvfb (xvfb-run -a deepq train --render)"
	if display == "" {
		return errors.New("viz: no display: DISPLAY is not set; " + how)
	}
	host, num, ok := parseDisplay(display)
	if !ok {
		return fmt.Errorf("viz: DISPLAY=%q is not an X display name like :0 or host:0.0; %s", display, how)
	}
	var addrs [][2]string // network, address
	switch {
	case strings.HasPrefix(host, "/"): // a socket path (XQuartz's launchd socket)
		addrs = [][2]string{{"unix", host + ":" + strconv.Itoa(num)}}
	case host == "" || host == "unix":
		p := x11SocketDir + "/X" + strconv.Itoa(num)
		addrs = [][2]string{{"unix", p}, {"unix", "@" + p}} // file socket, Linux abstract socket
	default:
		addrs = [][2]string{{"tcp", net.JoinHostPort(strings.Trim(host, "[]"), strconv.Itoa(6000+num))}}
	}
	var last error
	for _, a := range addrs {
		c, err := net.DialTimeout(a[0], a[1], 2*time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		last = err
	}
	return fmt.Errorf("viz: no X server answers on DISPLAY=%s (%v); %s", display, last, how)
}

// parseDisplay splits an X display name [host]:number[.screen].
func parseDisplay(d string) (host string, num int, ok bool) {
	i := strings.LastIndexByte(d, ':')
	if i < 0 {
		return "", 0, false
	}
	host, rest := d[:i], d[i+1:]
	if j := strings.IndexByte(rest, '.'); j >= 0 {
		if _, err := strconv.Atoi(rest[j+1:]); err != nil {
			return "", 0, false
		}
		rest = rest[:j]
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 0 {
		return "", 0, false
	}
	return host, n, true
}
