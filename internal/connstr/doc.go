// Package connstr is the StackExchange.Redis connection-string parser
// behind settings.ParseConnectionString: one declarative key table
// (keys.go) drives parsing, the binding of the ConfigurationOptions
// sections, error wording, redis-doctor and the docs' key tables.
//
// It also redacts connection strings (Redact, Secrets) and knows the Azure
// Redis host names whose defaults StackExchange.Redis applies. Package
// settings turns its results into the public Connection and ParseError.
package connstr
