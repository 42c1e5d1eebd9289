package settings

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"
)

// replacement stands in for every password when the fuzz test checks that
// nothing printed depends on the password.
const replacement = "R3PLACEDpw"

// replaceSecrets returns s with the value of every non-empty password= and
// sentinelPassword= piece (or the password of a URI) replaced, and the
// values it replaced. A URI password is replaced only when it is correctly
// percent-encoded and not empty, so that the parser takes the same path.
func replaceSecrets(s string) (string, []string) {
	if _, ok := uriScheme(s); ok {
		i := strings.Index(s, "://") + len("://")
		rest := s[i:]
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		at := strings.LastIndexByte(rest[:end], '@')
		if at < 0 {
			return s, nil
		}
		user, pass, hasPass := strings.Cut(rest[:at], ":")
		dec, err := url.PathUnescape(pass)
		if !hasPass || pass == "" || err != nil || dec == "" {
			return s, nil
		}
		return s[:i] + user + ":" + replacement + rest[at:], []string{pass, dec}
	}
	pieces := strings.Split(s, ",")
	var secrets []string
	for i, raw := range pieces {
		p := strings.TrimSpace(raw)
		eq := strings.IndexByte(p, '=')
		if eq <= 0 || !isSecretKey(strings.TrimSpace(p[:eq])) {
			continue
		}
		v := strings.TrimSpace(p[eq+1:])
		if v == "" {
			continue
		}
		secrets = append(secrets, v)
		pieces[i] = p[:eq+1] + replacement
	}
	return strings.Join(pieces, ","), secrets
}

// printed is everything a parse result shows: the error, or the
// connection in every printed form.
func printed(c *Connection, err error) string {
	if err != nil {
		var pe *ParseError
		if errors.As(err, &pe) {
			return fmt.Sprintf("error: %v | key=%q piece=%q index=%d", err, pe.Key, pe.Piece, pe.Index)
		}
		return "error: " + err.Error()
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "%v | %#v | %q | %v | ", c, c, c.Endpoints, c.Ignored)
	slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})).Info("connection", "c", c)
	return buf.String()
}

func FuzzParseConnectionString(f *testing.F) {
	for _, s := range []string{
		"localhost",
		"localhost:6379,password=p@ssw0rd1",
		"localhost:6380,password=secret,ssl=true,abortConnect=false",
		"redis-1:6379,redis-2:6379,user=app,password=pw,connectTimeout=1000,syncTimeout=2000",
		"s1:26379,s2,serviceName=mymaster,password=pw,sentinelPassword=spw,defaultDatabase=2",
		"[::1]:7000,::1,!/tmp/redis.sock,fe80::1%eth0",
		"h,ssl=true,sslHost=example.com,sslProtocols=Tls12|Tls13,checkCertificateRevocation=false",
		"h,allowAdmin=true,keepAlive=60,version=7.2,tiebreaker=,configChannel=x,proxy=Twemproxy,setlib=false,protocol=resp3",
		"h,tunnel=http:proxy:3128,name=app",
		"h,password=abc,def",
		"h,password:secret",
		"h,$GET=FETCH,channelPrefix=x",
		"redis://:p%40ssw0rd1@localhost:6379/1?dial_timeout=3&addr=h2:7000",
		"rediss://user:pw@host?skip_verify=true&master_name=m",
		"unix://u:p@/tmp/redis.sock?db=2",
		"redis://u:pa/ss@host",
		"valkeys://[::1]:6380",
		" , ,=x,",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseConnectionString(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidConnectionString) {
				t.Fatalf("error %q is not ErrInvalidConnectionString", err)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %q is not a *ParseError", err)
			}
		} else {
			if c.Options == nil || len(c.Options.Addrs) == 0 || len(c.Endpoints) != len(c.Options.Addrs) {
				t.Fatalf("connection without endpoints: %#v", c)
			}
			for _, a := range c.Options.Addrs {
				if a == "" {
					t.Fatalf("empty address in %q", c.Options.Addrs)
				}
			}
			if c.Topology == Cluster && c.Options.DB != 0 {
				t.Fatalf("cluster with DB %d", c.Options.DB)
			}
		}
		redactedInput := Redact(s)

		// Nothing printed may depend on the password: parsing the same
		// string with every password replaced must print the same.
		s2, secrets := replaceSecrets(s)
		if len(secrets) == 0 {
			return
		}
		c2, err2 := ParseConnectionString(s2)
		out, out2 := printed(c, err), printed(c2, err2)
		if out != out2 {
			t.Fatalf("output depends on the password:\n%s\n%s", out, out2)
		}
		redacted2 := Redact(s2)
		for _, pw := range secrets {
			if len(pw) < 4 || strings.Contains(s2, pw) {
				continue // too short to tell, or also elsewhere in the string
			}
			if strings.Contains(out, pw) {
				t.Fatalf("output shows the password %q:\n%s", pw, out)
			}
			if strings.Contains(redactedInput, pw) && !strings.Contains(redacted2, pw) {
				t.Fatalf("Redact(%q) = %q shows the password %q", s, redactedInput, pw)
			}
		}
	})
}
