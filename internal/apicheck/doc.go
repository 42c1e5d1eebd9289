// Package apicheck lists the module's exported API, one declaration a line,
// in the manner of Go's own api/*.txt files, and its test keeps
// api/exported.txt (the checked-in record) equal to it.
//
// Adding to the API means updating the record; removing or changing a
// line is a breaking change and is written down in CHANGELOG.md too.
package apicheck
