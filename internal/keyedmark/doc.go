// Package keyedmark lets the packages that provide keyed clients
// (keyed, distcache) mark a client's settings as a keyed client's, so that
// its health check gets the keyed name, without exporting the mark from
// package settings.
package keyedmark
