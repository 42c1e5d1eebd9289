// Package secrettest holds the one corpus of tricky passwords that every
// output path of the module is tested against (settings.Redact and
// redact.Scrubber, the health report, the go-redis log bridge,
// redis-doctor, the test harness), and the check that an output shows no
// part of them.
package secrettest
