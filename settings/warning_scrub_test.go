package settings_test

import (
	"testing"

	"github.com/aspirego/redis/internal/redact"
	"github.com/aspirego/redis/settings"
)

// TestWarningsSurviveScrubbing: warnings are shown through scrubbed output
// (logs, redis-doctor), so their wording must not look like a secret to the
// scrubber, or the reader gets "password= *** silence this".
func TestWarningsSurviveScrubbing(t *testing.T) {
	for _, cs := range []string{
		"h,password=pw,name=tail",
		"h,password=pw,user=tail",
		"h,highIntegrity=true,checkCertificateRevocation=true,channelPrefix=p",
		"h:6379,bad:xx,connectTimeout=0,connectRetry=100000",
		"h,sslProtocols=Ssl3|Tls12",
	} {
		c, err := settings.ParseConnectionString(cs)
		if err != nil {
			t.Fatalf("%q: %v", cs, err)
		}
		if len(c.Warnings) == 0 {
			t.Fatalf("%q: no warnings", cs)
		}
		for _, w := range c.Warnings {
			if got := redact.Scrub(w.Reason); got != w.Reason {
				t.Errorf("%q: warning for %s changes when scrubbed:\n%s\n%s", cs, w.Key, w.Reason, got)
			}
		}
	}
}
