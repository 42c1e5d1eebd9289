// Package clusterinfo reads fields of a CLUSTER INFO reply. INFO itself
// is read with go-redis's InfoMap; CLUSTER INFO has the same key:value
// lines but no "# Section" header, which InfoMap's parser needs, and
// go-redis returns it as text only.
package clusterinfo

import "strings"

// Field returns the value of key in reply, a CLUSTER INFO reply, and
// whether it is there.
func Field(reply, key string) (string, bool) {
	for line := range strings.Lines(reply) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), key+":"); ok {
			return v, true
		}
	}
	return "", false
}
