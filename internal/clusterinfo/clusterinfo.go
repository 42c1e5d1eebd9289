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
