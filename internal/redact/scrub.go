package redact

import (
	"cmp"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Scrubber is the one secret scrubber of this module: every output path
// that may carry free text from outside (health reports, the go-redis log
// bridge, redis-doctor, the test harness) passes it through a Scrubber.
// It masks, with "***", every secret it was given, whatever it looks like,
// in every spelling an output may use (as is, percent-encoded, quoted, JSON
// escaped); then what looks like a password (see [Scrub]). The zero value
// is ready to use; a Scrubber is safe for concurrent use.
type Scrubber struct {
	mu       sync.RWMutex
	spelling []string // every spelling of every secret, longest first
	known    map[string]bool
}

// NewScrubber returns a Scrubber that knows secrets.
func NewScrubber(secrets ...string) *Scrubber {
	s := &Scrubber{}
	s.Add(secrets...)
	return s
}

// Add makes the scrubber mask secrets too. Empty strings are ignored.
func (s *Scrubber) Add(secrets ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		for _, v := range spellings(secret) {
			if v != "" && !s.known[v] {
				if s.known == nil {
					s.known = make(map[string]bool)
				}
				s.known[v] = true
				s.spelling = append(s.spelling, v)
			}
		}
	}
	// Longest first, so that a secret that contains another is masked
	// whole.
	slices.SortStableFunc(s.spelling, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
}

// spellings are the forms a secret takes in printed output.
func spellings(secret string) []string {
	q := strconv.Quote(secret)
	j, _ := json.Marshal(secret)
	return []string{
		secret,
		url.PathEscape(secret),
		url.QueryEscape(secret),
		url.UserPassword("", secret).String()[1:], // ":" + userinfo encoding
		q[1 : len(q)-1],
		string(j[1 : len(j)-1]),
	}
}

// Scrub returns text with every known secret, and what looks like a
// password, replaced by "***". A nil Scrubber only does the latter.
func (s *Scrubber) Scrub(text string) string {
	if s != nil {
		s.mu.RLock()
		for _, v := range s.spelling {
			text = strings.ReplaceAll(text, v, Mask)
		}
		s.mu.RUnlock()
	}
	return Scrub(text)
}

var (
	// "password=secret", "sentinelPassword = secret", "password:secret"
	// as in a connection string or a typo of one, up to the next
	// separator. Anchored: Scrub tries it only where "password" starts.
	passwordPiece = regexp.MustCompile(`^(?i)(password\s*[=:]\s*)[^,;&\s"'}\]]+`)
	// "scheme://user:secret@" and "scheme://:secret@", the secret taken
	// up to the last '@' of the authority (an unencoded '@' in a password
	// stays hidden). Anchored: Scrub tries it only where a scheme before
	// "://" starts.
	uriPassword = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s]*:)[^\s/?#]*@`)
)

// Scrub returns text with what looks like a password replaced by "***":
// the value of password= and sentinelPassword= pieces (and the typo
// password:value), and the password of a URI (scheme://user:***@host). It
// cannot know where a password with a separator in it ends: where the
// secrets are known, use a [Scrubber], which masks them whole.
//
// It takes time linear in the length of text: the patterns are tried only
// where a match can start ("://" found by a byte search, "password" in
// any case), never run over the whole text (Go's regexp engine takes
// about 0.3 µs a byte there: seconds for a 10 MB client name).
func Scrub(text string) string {
	text = replaceAt(text, uriStarts(text), uriPassword, func(m string, loc []int) string {
		return m[:loc[3]] + Mask + "@"
	})
	return replaceAt(text, passwordStarts(text), passwordPiece, func(m string, loc []int) string {
		if v := m[loc[3]:]; v == "…" || v == "..." {
			return m // a placeholder in a hint: "add password=… to ..."
		}
		return m[:loc[3]] + Mask
	})
}

// replaceAt replaces the matches of the anchored re that start at the
// offsets starts (ascending) with repl(match, submatch offsets within
// the match); a start inside an earlier match is skipped, as in a
// left-to-right scan.
func replaceAt(text string, starts []int, re *regexp.Regexp, repl func(string, []int) string) string {
	if len(starts) == 0 {
		return text
	}
	var b strings.Builder
	done := 0
	for _, i := range starts {
		if i < done {
			continue
		}
		loc := re.FindStringSubmatchIndex(text[i:])
		if loc == nil {
			continue
		}
		b.WriteString(text[done:i])
		b.WriteString(repl(text[i:i+loc[1]], loc))
		done = i + loc[1]
	}
	if done == 0 {
		return text
	}
	b.WriteString(text[done:])
	return b.String()
}

// uriStarts returns where uriPassword can match: for each "://", the
// first letter of the run of scheme characters before it.
func uriStarts(text string) []int {
	var out []int
	for i := 0; ; {
		k := strings.Index(text[i:], "://")
		if k < 0 {
			return out
		}
		k += i
		j := k
		for j > i && isSchemeByte(text[j-1]) {
			j--
		}
		for j < k && !isLetter(text[j]) {
			j++
		}
		if j < k {
			out = append(out, j)
		}
		i = k + len("://")
	}
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func isSchemeByte(c byte) bool {
	return isLetter(c) || c >= '0' && c <= '9' || c == '+' || c == '.' || c == '-'
}

// passwordStarts returns where passwordPiece can match: every "password"
// in any case, as (?i) matches it (ſ, U+017F, is an s).
func passwordStarts(text string) []int {
	var out []int
	for i := 0; ; i++ {
		k := strings.IndexAny(text[i:], "pP")
		if k < 0 {
			return out
		}
		i += k
		if hasFoldPrefix(text[i:], "password") {
			out = append(out, i)
		}
	}
}

// hasFoldPrefix reports whether s starts with the ASCII word w under
// Unicode simple case folding.
func hasFoldPrefix(s, w string) bool {
	for _, c := range []byte(w) {
		r, n := utf8.DecodeRuneInString(s)
		if n == 0 || !strings.EqualFold(string(r), string(rune(c))) {
			return false
		}
		s = s[n:]
	}
	return true
}

// String says how many secrets the scrubber knows, never which.
func (s *Scrubber) String() string {
	if s == nil {
		return "redact.Scrubber(nil)"
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return "redact.Scrubber{" + strconv.Itoa(len(s.spelling)) + " spellings of secrets}"
}

// GoString is String: %#v shows no secret either.
func (s *Scrubber) GoString() string { return s.String() }

// Format makes every fmt verb print String.
func (s *Scrubber) Format(f fmt.State, verb rune) { Format(f, verb, s.String(), s.GoString) }

// MarshalJSON encodes the scrubber as String, a JSON string.
func (s *Scrubber) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// LogValue makes slog log String.
func (s *Scrubber) LogValue() slog.Value { return slog.StringValue(s.String()) }
