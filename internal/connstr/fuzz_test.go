package connstr

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

// tailReplacement stands in for a piece that may be the tail of a password
// with a comma.
const tailReplacement = "R3PLACEDtail"

// replaceSecretsAndTails returns s with the value of every non-empty
// password= and sentinelPassword= piece (or the password of a URI)
// replaced, and the values it replaced; and a second string in which the
// pieces that may continue a password containing a comma are replaced
// too: after a password piece, every piece up to the first key with a
// strict grammar (not free text) is replaced: pieces without '=' and
// unknown keys whole, free-text keys and keys with an invalid value in
// their value. The classification is written here again, independently
// of Redact's, from the key table.
func replaceSecretsAndTails(s string) (passwords string, secrets []string, tails string) {
	if _, ok := uriScheme(s); ok {
		i := strings.Index(s, "://") + len("://")
		rest := s[i:]
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		at := strings.LastIndexByte(rest[:end], '@')
		if at < 0 {
			return s, nil, s
		}
		user, pass, hasPass := strings.Cut(rest[:at], ":")
		dec, err := url.PathUnescape(pass)
		if !hasPass || pass == "" || err != nil || dec == "" {
			return s, nil, s
		}
		r := s[:i] + user + ":" + replacement + rest[at:]
		return r, []string{pass, dec}, r
	}
	pieces := strings.Split(s, ",")
	tailPieces := strings.Split(s, ",")
	after := false
	for i, raw := range pieces {
		p := strings.TrimSpace(raw)
		if p == "" {
			continue
		}
		eq := strings.IndexByte(p, '=')
		if after {
			d := (*Def)(nil)
			if eq > 0 {
				d = byKeyword[strings.ToLower(strings.TrimSpace(p[:eq]))]
			}
			switch {
			case eq > 0 && strings.HasPrefix(strings.TrimSpace(p[:eq]), "$"):
				// A command-map entry: accepted whatever it holds.
				tailPieces[i] = p[:eq+1] + tailReplacement
				continue
			case d == nil:
				tailPieces[i] = tailReplacement
				continue
			case d.freeText || d.grammar == gAny || d.grammar == gTunnel ||
				NewBuilder().apply(d, strings.TrimSpace(p[:eq]), strings.TrimSpace(p[eq+1:]), false) != nil:
				if d.secret {
					break // replaced below as a password
				}
				tailPieces[i] = p[:eq+1] + tailReplacement
				continue
			}
			after = false
		}
		if eq <= 0 || !isSecretKey(strings.TrimSpace(p[:eq])) {
			continue
		}
		after = true
		v := strings.TrimSpace(p[eq+1:])
		if v == "" {
			continue
		}
		secrets = append(secrets, v)
		pieces[i] = p[:eq+1] + replacement
		tailPieces[i] = pieces[i]
	}
	return strings.Join(pieces, ","), secrets, strings.Join(tailPieces, ",")
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
	fmt.Fprintf(&buf, "%v | %#v | %q | %v | %v | %v | ", c, c, c.Endpoints, c.Ignored, c.Warnings, c.CommandMap)
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
		"h,password=S3cr3t!,x=y",
		"h,password=head,name=tail",
		"h,password=a,ssl=true,b",
		"0000000000000000000,pAssword=out\"",
		"127.1:6389,good:6379,bad:xx,connectTimeout=0,defaultDatabase=-1,highIntegrity=true",
		"x.redis.azure.net,name=Core (Q&A)",
		"redis://:p%40ssw0rd1@localhost:6379/1?dial_timeout=3&addr=h2:7000",
		"rediss://user:pw@host?skip_verify=true&master_name=m",
		"unix://u:p@/tmp/redis.sock?db=2",
		"redis://u:pa/ss@host",
		"valkeys://[::1]:6380",
		" , ,=x,",
		// Bounded input: repeated unknown command-map entries, skipped
		// endpoints, pieces after a password, pool sizes past the clamp, a
		// long client name.
		"h,$X1=,$X2=,$x1=,$GET=,$X1=Y",
		"h,a:x,b:x,c:x,a:x",
		"h,password=pw,$A=,$B=,name=n,$A=",
		"redis://h?pool_size=2147483647&min_idle_conns=10001&max_idle_conns=0&max_active_conns=10000",
		"h,name=" + strings.Repeat("n", 2000) + ",password=pw",
		"h,paſſword=x,PASSWORD=y",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
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
		}

		// Nothing printed may depend on the password: parsing the same
		// string with every password replaced must print the same, and so
		// must Redact. This is exact: no substring search, so a password
		// that happens to occur in ordinary output ("out\"" in
		// "timeout\"") is no false alarm.
		s2, secrets, s3 := replaceSecretsAndTails(s)
		if len(secrets) == 0 && s3 == s {
			return
		}
		c2, err2 := Parse(s2)
		out, out2 := printed(c, err), printed(c2, err2)
		if out != out2 {
			t.Fatalf("output depends on the password:\n%s\n%s", out, out2)
		}
		if r, r2 := Redact(s), Redact(s2); r != r2 {
			t.Fatalf("Redact shows the password:\n%s\n%s", r, r2)
		}
		// With a comma in a password, the pieces after it are its tail:
		// Redact must not depend on them, nor may an error.
		if r, r3 := Redact(s), Redact(s3); r != r3 {
			t.Fatalf("Redact shows what may be the tail of a password:\n%q: %s\n%q: %s", s, r, s3, r3)
		}
		if err != nil {
			c3, err3 := Parse(s3)
			if e, e3 := printed(nil, err), printed(c3, err3); e != e3 {
				t.Fatalf("the error depends on what may be the tail of a password:\n%s\n%s", e, e3)
			}
		}
	})
}
