package testserver

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Error replies of Garnet (microsoft/garnet, libs/server/Resp/CmdStrings.cs)
// for what it does not implement, for FakeOptions.Reject.
const (
	// GarnetUnknownCommand is Garnet's reply to a command it does not know.
	GarnetUnknownCommand = "ERR unknown command"
)

// GarnetUnknownSubcommand is Garnet's reply to a CLIENT (or other
// container) subcommand it does not know, e.g. "ERR unknown subcommand
// 'MAINT_NOTIFICATIONS'.".
func GarnetUnknownSubcommand(sub string) string {
	return "ERR unknown subcommand '" + sub + "'."
}

// FakeOptions configure a fake RESP server (StartFake).
type FakeOptions struct {
	// Reject maps a command ("HELLO", "AUTH", "SELECT") or a command and
	// its subcommand ("CLIENT SETINFO", "CLIENT MAINT_NOTIFICATIONS",
	// "CLIENT TRACKING") to the error reply it answers with instead (the
	// text after "-", e.g. GarnetUnknownCommand). Keys match
	// case-insensitively; a "CMD SUB" entry wins over a "CMD" entry.
	Reject map[string]string
	// Password, when set, is required: AUTH (or HELLO ... AUTH) with
	// another password answers WRONGPASS, and any other command but HELLO
	// and AUTH before it answers NOAUTH.
	Password string
}

// Fake is a RESP2/RESP3 server in the test process that implements what a
// client needs to connect and do simple work: HELLO, AUTH, SELECT, CLIENT
// (any subcommand answers OK), PING, ECHO, QUIT, GET, SET, DEL, EXISTS,
// INFO, and answers GarnetUnknownCommand to anything else. It exists to
// check how clients cope with servers that implement less than Redis
// (Garnet, proxies); FakeOptions.Reject makes it refuse chosen commands.
type Fake struct {
	// Addr is host:port on loopback; Host and Port are its parts.
	Addr string
	Host string
	Port int

	opts FakeOptions
	ln   net.Listener
	wg   sync.WaitGroup

	mu    sync.Mutex
	seen  []string // "HELLO", "CLIENT SETINFO", ... in arrival order
	data  map[string]string
	conns map[net.Conn]struct{}
}

// StartFake starts a fake RESP server on a free loopback port and stops it
// when the test ends.
func StartFake(t testing.TB, opts FakeOptions) *Fake {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testserver: fake RESP server: %v", err)
	}
	rej := make(map[string]string, len(opts.Reject))
	for k, v := range opts.Reject {
		rej[strings.ToUpper(strings.Join(strings.Fields(k), " "))] = v
	}
	opts.Reject = rej
	a := ln.Addr().(*net.TCPAddr)
	f := &Fake{Addr: a.String(), Host: a.IP.String(), Port: a.Port, opts: opts, ln: ln,
		data: map[string]string{}, conns: map[net.Conn]struct{}{}}
	f.wg.Add(1)
	go f.accept()
	t.Cleanup(f.Close)
	return f
}

// Close stops the server and closes every connection.
func (f *Fake) Close() {
	_ = f.ln.Close()
	f.mu.Lock()
	for c := range f.conns {
		_ = c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// Seen returns the commands received so far, upper case, with the
// subcommand of CLIENT, CONFIG, ACL, COMMAND and CLUSTER ("CLIENT SETINFO").
func (f *Fake) Seen() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.seen...)
}

// Count returns how often cmd (as Seen names it) was received.
func (f *Fake) Count(cmd string) int {
	n := 0
	for _, s := range f.Seen() {
		if s == strings.ToUpper(cmd) {
			n++
		}
	}
	return n
}

func (f *Fake) accept() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.conns[c] = struct{}{}
		f.mu.Unlock()
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			f.serve(c)
			f.mu.Lock()
			delete(f.conns, c)
			f.mu.Unlock()
			_ = c.Close()
		}()
	}
}

// fakeConn is one client connection's state.
type fakeConn struct {
	w      *bufio.Writer
	resp3  bool
	authed bool
}

func (f *Fake) serve(c net.Conn) {
	r := bufio.NewReader(c)
	fc := &fakeConn{w: bufio.NewWriter(c), authed: f.opts.Password == ""}
	for {
		args, err := readCommand(r)
		if err != nil {
			return
		}
		if len(args) == 0 {
			continue
		}
		quit := f.handle(fc, args)
		// Flush when the client has sent everything it pipelined.
		if r.Buffered() == 0 || quit {
			if fc.w.Flush() != nil || quit {
				return
			}
		}
	}
}

var containers = map[string]bool{"CLIENT": true, "CONFIG": true, "ACL": true, "COMMAND": true, "CLUSTER": true}

func (f *Fake) handle(fc *fakeConn, args []string) (quit bool) {
	name := strings.ToUpper(args[0])
	full := name
	if containers[name] && len(args) > 1 {
		full = name + " " + strings.ToUpper(args[1])
	}
	f.mu.Lock()
	f.seen = append(f.seen, full)
	f.mu.Unlock()

	if msg, ok := f.opts.Reject[full]; ok {
		fc.err(msg)
		return false
	}
	if msg, ok := f.opts.Reject[name]; ok {
		fc.err(msg)
		return false
	}
	if !fc.authed && name != "HELLO" && name != "AUTH" && name != "QUIT" {
		fc.err("NOAUTH Authentication required.")
		return false
	}
	switch name {
	case "HELLO":
		f.hello(fc, args[1:])
	case "AUTH":
		if pw := args[len(args)-1]; len(args) < 2 || len(args) > 3 || !f.checkPassword(pw) {
			fc.err("WRONGPASS invalid username-password pair or user is disabled.")
		} else {
			fc.authed = true
			fc.simple("OK")
		}
	case "SELECT":
		if len(args) != 2 {
			fc.err("ERR wrong number of arguments for 'select' command")
		} else if _, err := strconv.Atoi(args[1]); err != nil {
			fc.err("ERR value is not an integer or out of range")
		} else {
			fc.simple("OK")
		}
	case "CLIENT":
		if len(args) > 1 && strings.EqualFold(args[1], "ID") {
			fc.integer(1)
		} else {
			fc.simple("OK")
		}
	case "PING":
		if len(args) > 1 {
			fc.bulk(args[1])
		} else {
			fc.simple("PONG")
		}
	case "ECHO":
		if len(args) != 2 {
			fc.err("ERR wrong number of arguments for 'echo' command")
		} else {
			fc.bulk(args[1])
		}
	case "QUIT":
		fc.simple("OK")
		return true
	case "GET":
		f.mu.Lock()
		v, ok := f.data[arg(args, 1)]
		f.mu.Unlock()
		if ok {
			fc.bulk(v)
		} else {
			fc.null()
		}
	case "SET":
		if len(args) < 3 {
			fc.err("ERR wrong number of arguments for 'set' command")
			break
		}
		f.mu.Lock()
		f.data[args[1]] = args[2]
		f.mu.Unlock()
		fc.simple("OK")
	case "DEL", "EXISTS":
		n := 0
		f.mu.Lock()
		for _, k := range args[1:] {
			if _, ok := f.data[k]; ok {
				n++
				if name == "DEL" {
					delete(f.data, k)
				}
			}
		}
		f.mu.Unlock()
		fc.integer(n)
	case "INFO":
		fc.bulk("# Server\r\nredis_version:7.2.0\r\ngarnet_version:fake\r\nredis_mode:standalone\r\n# Replication\r\nrole:master\r\n")
	default:
		fc.err(GarnetUnknownCommand)
	}
	return false
}

// hello answers HELLO [protover [AUTH user pass] [SETNAME name]].
func (f *Fake) hello(fc *fakeConn, args []string) {
	proto := 2
	if fc.resp3 {
		proto = 3
	}
	if len(args) > 0 {
		p, err := strconv.Atoi(args[0])
		if err != nil || p < 2 || p > 3 {
			fc.err("NOPROTO unsupported protocol version")
			return
		}
		proto = p
		for i := 1; i < len(args); i++ {
			switch strings.ToUpper(args[i]) {
			case "AUTH":
				if i+2 >= len(args) {
					fc.err("ERR Syntax error in HELLO option 'auth'")
					return
				}
				if !f.checkPassword(args[i+2]) {
					fc.err("WRONGPASS invalid username-password pair or user is disabled.")
					return
				}
				fc.authed = true
				i += 2
			case "SETNAME":
				i++
			}
		}
	}
	if !fc.authed {
		fc.err("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	fc.resp3 = proto == 3
	kv := []any{"server", "redis", "version", "7.2.0", "proto", proto, "id", 1, "mode", "standalone", "role", "master", "modules", []any{}}
	if fc.resp3 {
		fmt.Fprintf(fc.w, "%%%d\r\n", len(kv)/2)
	} else {
		fmt.Fprintf(fc.w, "*%d\r\n", len(kv))
	}
	for _, v := range kv {
		switch v := v.(type) {
		case string:
			fc.bulk(v)
		case int:
			fc.integer(v)
		case []any:
			fmt.Fprintf(fc.w, "*0\r\n")
		}
	}
}

func (f *Fake) checkPassword(pw string) bool {
	return f.opts.Password == "" || pw == f.opts.Password
}

func arg(args []string, i int) string {
	if i < len(args) {
		return args[i]
	}
	return ""
}

func (fc *fakeConn) simple(s string) { fmt.Fprintf(fc.w, "+%s\r\n", s) }
func (fc *fakeConn) err(s string)    { fmt.Fprintf(fc.w, "-%s\r\n", s) }
func (fc *fakeConn) integer(n int)   { fmt.Fprintf(fc.w, ":%d\r\n", n) }
func (fc *fakeConn) bulk(s string)   { fmt.Fprintf(fc.w, "$%d\r\n%s\r\n", len(s), s) }
func (fc *fakeConn) null() {
	if fc.resp3 {
		fmt.Fprint(fc.w, "_\r\n")
	} else {
		fmt.Fprint(fc.w, "$-1\r\n")
	}
}

// readCommand reads one command: a RESP array of bulk strings, or an
// inline command line.
func readCommand(r *bufio.Reader) ([]string, error) {
	line, err := readCRLF(r)
	if err != nil {
		return nil, err
	}
	if line == "" {
		return nil, nil
	}
	if line[0] != '*' {
		return strings.Fields(line), nil
	}
	n, err := strconv.Atoi(line[1:])
	if err != nil || n < 0 || n > 1<<20 {
		return nil, errors.New("bad array header")
	}
	args := make([]string, 0, n)
	for range n {
		h, err := readCRLF(r)
		if err != nil {
			return nil, err
		}
		if h == "" || h[0] != '$' {
			return nil, errors.New("bad bulk header")
		}
		size, err := strconv.Atoi(h[1:])
		if err != nil || size < 0 || size > 64<<20 {
			return nil, errors.New("bad bulk length")
		}
		buf := make([]byte, size+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		args = append(args, string(buf[:size]))
	}
	return args, nil
}

func readCRLF(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}
