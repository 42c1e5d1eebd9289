// Package clusterinfo reads fields of a CLUSTER INFO reply. INFO itself
// is read with go-redis's InfoMap; CLUSTER INFO has the same key:value
// lines but no "# Section" header, which InfoMap's parser needs, and
// go-redis returns it as text only.
package clusterinfo
