package settings

import (
	"cmp"
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
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
			if v != "" && !slices.Contains(s.spelling, v) {
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
			text = strings.ReplaceAll(text, v, redacted)
		}
		s.mu.RUnlock()
	}
	return Scrub(text)
}

var (
	// "password=secret", "sentinelPassword = secret", "password:secret"
	// as in a connection string or a typo of one, up to the next
	// separator.
	passwordPiece = regexp.MustCompile(`(?i)(password\s*[=:]\s*)[^,;&\s"'}\]]+`)
	// "scheme://user:secret@" and "scheme://:secret@", the secret taken
	// up to the last '@' of the authority (an unencoded '@' in a password
	// stays hidden).
	uriPassword = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s]*:)[^\s/?#]*@`)
)

// Scrub returns text with what looks like a password replaced by "***":
// the value of password= and sentinelPassword= pieces (and the typo
// password:value), and the password of a URI (scheme://user:***@host). It
// cannot know where a password with a separator in it ends: where the
// secrets are known, use a [Scrubber], which masks them whole.
func Scrub(text string) string {
	text = uriPassword.ReplaceAllString(text, "${1}"+redacted+"@")
	return passwordPiece.ReplaceAllStringFunc(text, func(m string) string {
		loc := passwordPiece.FindStringSubmatchIndex(m)
		if v := m[loc[3]:]; v == "…" || v == "..." {
			return m // a placeholder in a hint: "add password=… to ..."
		}
		return m[:loc[3]] + redacted
	})
}
