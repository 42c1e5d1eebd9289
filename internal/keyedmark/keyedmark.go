// Package keyedmark lets the packages that provide keyed clients
// (keyed, distcache) mark a client's settings as a keyed client's, so that
// its health check gets the keyed name, without exporting the mark from
// package settings.
package keyedmark

// Mark marks the *settings.Settings it is given as a keyed client's. Package
// settings sets it when it is initialised.
var Mark func(settings any)
