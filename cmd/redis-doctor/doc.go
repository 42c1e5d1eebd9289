// Command redis-doctor checks one named Redis connection the way a service
// built on this module would make it, and says what is wrong when it does
// not work.
//
// Usage, from a service's module (the version it requires), from anywhere
// (@latest or a version), or as a tool of the module:
//
//	go run github.com/aspirego/redis/cmd/redis-doctor [flags] <name>
//	go run github.com/aspirego/redis/cmd/redis-doctor@latest [flags] <name>
//	go get -tool github.com/aspirego/redis/cmd/redis-doctor && go tool redis-doctor [flags] <name>
//
// The default build leaves out the Azure SDK, so that it builds from a
// module that does not list it; go run -tags azure adds the Microsoft Entra
// ID checks below (a client with AzureAuthentication=true needs them).
//
// It reads the configuration a service reads (appsettings.json,
// appsettings.{Environment}.json, environment variables such as
// ConnectionStrings__cache or CACHE_URI, with the Aspire precedence) and
// prints, secrets redacted:
//
//   - what it would connect to: topology, endpoints, user, TLS, database,
//     timeouts, and the connection string;
//   - where each value came from: the configuration key and its source
//     (a file, an environment variable), keys that are overridden or
//     ignored, and the settings left at their defaults.
//
// Then it connects, with every step bounded by -timeout: TCP to each
// endpoint, the TLS handshake, a raw PING, the go-redis client itself
// (authentication included), INFO (server product and version, role),
// the topology (replicas, cluster nodes, the sentinels' primary), the
// round-trip latency over a few PINGs, and the health check a service
// reports on /health. For an Azure Redis host or a client with
// AzureAuthentication, an Azure section shows whether Microsoft Entra ID
// is used, the credential type, the token's user (oid) and expiry, and
// the last refresh error.
//
// The report goes to stdout; when a step fails, the problem and what to
// change go to stderr, naming the configuration key and source to fix.
// It tells apart: nothing listening on the port, no answer (firewall,
// wrong host), a host name that does not resolve, ssl=true against a
// plain port, a plain connection to a TLS port, a certificate that is not
// trusted, not valid for the host name or expired, a server that wants a
// client certificate, a wrong password or user, a missing password, an
// ACL user without permission, a Sentinel given as a data server, and an
// unhealthy check. A replica, a cluster node given as a standalone server
// and disabled certificate verification are warnings. No password is ever
// printed.
//
// Flags:
//
//	-dir DIR        directory of appsettings.json (default: the working directory)
//	-env NAME       environment for appsettings.{NAME}.json (default:
//	                $DOTNET_ENVIRONMENT, else $ASPNETCORE_ENVIRONMENT, else Production)
//	-timeout D      bound of each network step (default 5s)
//	-pings N        PINGs for the latency figures (default 5)
//	-json           print the report as one JSON object
//	-keys           list every connection-string key and ConfigurationOptions
//	                property with what it does in Go (no name needed)
//
// Flags may come before or after the name.
//
// Exit status: 0 when the connection works and the health check is
// Healthy; 1 when the server cannot be reached or used (the message on
// stderr says what to change); 2 for a usage or configuration error, such
// as no connection string for the name.
//
// Examples:
//
//	ConnectionStrings__cache=localhost:6379,password=secret go run ./cmd/redis-doctor cache
//	go run ./cmd/redis-doctor -dir ./service -json cache
package main
