package testserver

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// ReplyError is an error reply from the server (a RESP "-" line), for
// example "WRONGPASS invalid username-password pair" or
// "ASK 3999 127.0.0.1:10001".
type ReplyError string

func (e ReplyError) Error() string { return string(e) }

// respConn is a minimal RESP2 client used for the harness's own commands:
// one connection, no pool, no retries, no background goroutines.
type respConn struct {
	conn net.Conn
	r    *bufio.Reader
}

// dialRESP connects to addr (TLS when tlsCfg is set), authenticates when
// password is set, and applies timeout to every later command.
func dialRESP(ctx context.Context, addr string, tlsCfg *tls.Config, user, password string) (*respConn, error) {
	var d interface {
		DialContext(ctx context.Context, network, addr string) (net.Conn, error)
	} = &net.Dialer{}
	if tlsCfg != nil {
		d = &tls.Dialer{Config: tlsCfg}
	}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	c := &respConn{conn: conn, r: bufio.NewReader(conn)}
	if password != "" {
		args := []any{"AUTH", password}
		if user != "" {
			args = []any{"AUTH", user, password}
		}
		if _, err := c.do(ctx, args...); err != nil {
			c.close()
			return nil, fmt.Errorf("AUTH: %w", err)
		}
	}
	return c, nil
}

func (c *respConn) close() { _ = c.conn.Close() }

// do sends one command and reads its reply. Replies map to Go values as
// go-redis maps them: simple and bulk strings to string, integers to int64,
// arrays to []any, null to nil; an error reply is a ReplyError.
func (c *respConn) do(ctx context.Context, args ...any) (any, error) {
	if dl, ok := ctx.Deadline(); ok {
		_ = c.conn.SetDeadline(dl)
	} else {
		_ = c.conn.SetDeadline(time.Time{})
	}
	buf := make([]byte, 0, 64)
	buf = append(buf, '*')
	buf = strconv.AppendInt(buf, int64(len(args)), 10)
	buf = append(buf, '\r', '\n')
	for _, a := range args {
		s := argString(a)
		buf = append(buf, '$')
		buf = strconv.AppendInt(buf, int64(len(s)), 10)
		buf = append(buf, '\r', '\n')
		buf = append(buf, s...)
		buf = append(buf, '\r', '\n')
	}
	if _, err := c.conn.Write(buf); err != nil {
		return nil, err
	}
	return c.readReply()
}

func argString(a any) string {
	switch v := a.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case time.Duration:
		return strconv.FormatInt(v.Milliseconds(), 10)
	default:
		return fmt.Sprint(v)
	}
}

var errProtocol = errors.New("testserver: malformed RESP reply")

func (c *respConn) readLine() (string, error) {
	line, err := c.r.ReadString('\n')
	if err != nil {
		return "", err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return "", errProtocol
	}
	return line[:len(line)-2], nil
}

func (c *respConn) readReply() (any, error) {
	line, err := c.readLine()
	if err != nil {
		return nil, err
	}
	kind, rest := line[0], line[1:]
	switch kind {
	case '+':
		return rest, nil
	case '-':
		return nil, ReplyError(rest)
	case ':':
		n, err := strconv.ParseInt(rest, 10, 64)
		if err != nil {
			return nil, errProtocol
		}
		return n, nil
	case '$':
		n, err := strconv.Atoi(rest)
		if err != nil || n < -1 {
			return nil, errProtocol
		}
		if n == -1 {
			return nil, nil
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(c.r, b); err != nil {
			return nil, err
		}
		return string(b[:n]), nil
	case '*':
		n, err := strconv.Atoi(rest)
		if err != nil || n < -1 {
			return nil, errProtocol
		}
		if n == -1 {
			return nil, nil
		}
		out := make([]any, n)
		var firstErr error
		for i := range out {
			v, err := c.readReply()
			if err != nil {
				var re ReplyError
				if !errors.As(err, &re) {
					return nil, err
				}
				if firstErr == nil {
					firstErr = err
				}
			}
			out[i] = v
		}
		return out, firstErr
	default:
		return nil, errProtocol
	}
}
