package testserver

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"syscall"
)

// Port ranges. Both stay below the kernel's ephemeral range (32768 and up on
// Linux) so that an outgoing connection's TIME_WAIT socket never holds a
// port a test wants to bind. Cluster nodes also need port+10000 (the cluster
// bus) below 32768.
const (
	plainPortMin   = 20000
	plainPortMax   = 30000 // exclusive
	clusterPortMin = 10000
	clusterPortMax = 22000 // exclusive
	clusterBusOff  = 10000
)

type portRange struct {
	min, max int  // [min, max)
	bus      bool // port+10000 must be free too
}

var (
	plainPorts   = portRange{plainPortMin, plainPortMax, false}
	clusterPorts = portRange{clusterPortMin, clusterPortMax, true}
)

// reserved holds the ports handed out in this process and not yet released,
// so that parallel tests in one binary never pick the same port. Other test
// binaries are covered by the bind check and by retrying the server start.
var (
	reservedMu sync.Mutex
	reserved   = map[int]bool{}
)

// testHookPickPort, when set, is tried before a random port.
var testHookPickPort func() int

// pickPort reserves a port in r that could be bound just now.
func pickPort(r portRange) (int, error) {
	reservedMu.Lock()
	defer reservedMu.Unlock()
	for range 200 {
		p := r.min + rand.IntN(r.max-r.min)
		if testHookPickPort != nil {
			if hp := testHookPickPort(); hp != 0 {
				p = hp
			}
		}
		if reserved[p] || !portFree(p) {
			continue
		}
		if r.bus && (reserved[p+clusterBusOff] || !portFree(p+clusterBusOff)) {
			continue
		}
		reserved[p] = true
		if r.bus {
			reserved[p+clusterBusOff] = true
		}
		return p, nil
	}
	return 0, fmt.Errorf("no free loopback port in %d-%d after 200 tries", r.min, r.max-1)
}

// reservePort marks a fixed port as used by this process.
func reservePort(p int, bus bool) {
	reservedMu.Lock()
	defer reservedMu.Unlock()
	reserved[p] = true
	if bus {
		reserved[p+clusterBusOff] = true
	}
}

func releasePort(p int, bus bool) {
	reservedMu.Lock()
	defer reservedMu.Unlock()
	delete(reserved, p)
	if bus {
		delete(reserved, p+clusterBusOff)
	}
}

// portFree reports whether port can be bound on 127.0.0.1 and, where the
// host has IPv6, on ::1 (servers listen on both).
func portFree(port int) bool {
	ln, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	defer ln.Close()
	ln6, err := net.Listen("tcp6", net.JoinHostPort("::1", strconv.Itoa(port)))
	if err != nil {
		// No IPv6 loopback here: the server skips ::1 as well.
		return errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.EAFNOSUPPORT)
	}
	ln6.Close()
	return true
}
