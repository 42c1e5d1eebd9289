// Package doctorcmd is the command line that runs redis-doctor, for the
// errors and reports that suggest it.
package doctorcmd
