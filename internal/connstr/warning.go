package connstr

// Warning is a configuration value that was accepted, because .NET
// accepts it, although Go cannot honour it as StackExchange.Redis does (or
// honours it only in part). The client is built without it; rediscache
// logs each warning once when it builds the client, and redis-doctor shows
// them.
type Warning struct {
	// Key is the connection-string keyword, URI parameter, configuration
	// key or "endpoint" the warning is about.
	Key string
	// Reason says what Go does instead and why. It never holds a secret.
	Reason string
}

// String returns "key: reason".
func (w Warning) String() string { return w.Key + ": " + w.Reason }
